"""A file is stored only with the row that names it (pinghu_points.files.stored_with_rows):
a write that rolls back — the same door batch sent twice at once, a full disk at the
second photo, a second appeal racing the first — leaves no file behind, whole or partial;
and `remove_unreferenced_files` finds what a killed process left."""

import errno
import io
import os
import threading
import time
import uuid
from dataclasses import replace
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from PIL import Image

from appeals.models import Appeal
from communities import services
from communities.models import ScoreEvent
from communities.services import Entry
from pinghu_points import files
from tests.conftest import fill

from .conftest import YEAR

TODAY = date(YEAR, 10, 20)
DAY = date(YEAR, 10, 12)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def photo(size=(64, 48), noise=False):
    buffer = io.BytesIO()
    if noise:
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(
            buffer, format="JPEG", quality=95
        )
    else:
        Image.new("RGB", size, "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("door.jpg", buffer.getvalue(), content_type="image/jpeg")


def entry(world, items, *, household=None, evidence=None, client_id=None):
    return Entry(
        household_id=(household or world.a_east).pk,
        item_id=items["photo"].pk,
        occurred_on=DAY,
        points="3",
        evidence=evidence if evidence is not None else photo(),
        client_id=client_id or uuid.uuid4(),
    )


def stored(media):
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def named_by_rows():
    return sorted(name for name in files.referenced_names())


# --- The same door batch sent twice -------------------------------------------------------


def test_a_send_that_meets_its_twin_at_the_insert_leaves_no_file(world, items, media, monkeypatch):
    """The other send commits the same entry between this send's check and its insert (what
    two phones' retries at once do): this send's insert meets the unique client id, its
    transaction rolls back, and the photo it had stored goes with it."""
    same = entry(world, items)
    real_validate = services.validate_entries
    twin = []

    def validate_while_the_twin_commits(**kwargs):
        answer = real_validate(**kwargs)
        if not twin:
            twin.append(
                ScoreEvent.objects.create(
                    household=world.a_east,
                    item=items["photo"],
                    points=3,
                    occurred_on=DAY,
                    community=world.east,
                    entered_by=world.staff_east,
                    client_id=same.client_id,
                )
            )
        return answer

    monkeypatch.setattr(services, "validate_entries", validate_while_the_twin_commits)

    (result,) = services.score_entries_sync(actor=world.staff_east, entries=[same], today=TODAY)

    assert result.status == "existing" and result.event == twin[0]
    assert ScoreEvent.objects.count() == 1
    assert stored(media) == []


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_twice_at_once_leaves_only_the_files_of_its_rows(world, items, media):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    results = []
    for _race in range(3):
        queue = [entry(world, items, household=h) for h in (world.a_east, world.b_east)]
        barrier = threading.Barrier(2)

        def send(queue=queue, barrier=barrier):
            try:
                # Each send has its own upload objects, as two requests would.
                mine = [replace(e, evidence=photo()) for e in queue]
                barrier.wait()
                results.extend(
                    services.score_entries_sync(actor=world.staff_east, entries=mine, today=TODAY)
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted({r.status for r in results}) <= ["created", "existing"]
    assert ScoreEvent.objects.count() == 6
    assert stored(media) == named_by_rows()
    assert len(stored(media)) == 6


# --- A full disk ---------------------------------------------------------------------------


def test_a_write_that_fails_at_the_second_photo_leaves_neither_file(
    world, items, media, monkeypatch
):
    """Simulated at the system call: the second photo's bytes are written, then the disk
    reports it full (as a delayed allocation does at fsync)."""
    calls = []
    real_fsync = os.fsync

    def fsync(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(descriptor)

    monkeypatch.setattr(files.os, "fsync", fsync)

    with pytest.raises(OSError) as failed:
        services.score_events_record(
            actor=world.staff_east,
            entries=[entry(world, items), entry(world, items, household=world.b_east)],
            today=TODAY,
        )

    assert failed.value.errno == errno.ENOSPC
    assert len(calls) == 2
    assert not ScoreEvent.objects.exists()
    assert stored(media) == []


def test_a_real_full_disk_at_the_second_photo_leaves_nothing(world, items, small_disk):
    fill(small_disk, leave=64 * 1024)
    small, large = photo(), photo(size=(900, 700), noise=True)  # the second does not fit

    with pytest.raises(OSError) as failed:
        services.score_events_record(
            actor=world.staff_east,
            entries=[
                entry(world, items, evidence=small),
                entry(world, items, household=world.b_east, evidence=large),
            ],
            today=TODAY,
        )

    assert failed.value.errno == errno.ENOSPC
    assert not ScoreEvent.objects.exists()
    assert stored(small_disk) == ["filler.bin"]


# --- Other writers of files ----------------------------------------------------------------


def test_an_appeal_that_loses_its_race_leaves_no_photo(world, items, media, monkeypatch):
    from appeals import selectors as appeal_selectors
    from appeals.services import appeal_file

    (deduction,) = services.score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["litter"].pk,
                occurred_on=DAY,
                note="堆放杂物",
            )
        ],
        today=TODAY,
    )
    appeal_file(actor=world.villager_a, text="没有堆放", event=deduction)
    # The second appeal's check ran before the first committed: only the database sees it.
    monkeypatch.setattr(appeal_selectors, "has_open_appeal", lambda **kwargs: False)

    with pytest.raises(Exception, match="已有一条申诉"):
        appeal_file(actor=world.villager_a, text="再申诉", event=deduction, photo=photo())

    assert Appeal.objects.count() == 1
    assert stored(media) == []


def test_files_of_a_committed_write_stay(world, items, media):
    (event,) = services.score_events_record(
        actor=world.staff_east, entries=[entry(world, items)], today=TODAY
    )

    assert stored(media) == [event.evidence.name]


# --- remove_unreferenced_files -------------------------------------------------------------


def old(path, hours=3):
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def test_the_command_lists_files_no_row_names_and_removes_them_only_when_asked(
    world, items, media, capsys
):
    (event,) = services.score_events_record(
        actor=world.staff_east, entries=[entry(world, items)], today=TODAY
    )
    old(media / event.evidence.name)
    stray = media / "evidence" / "2026" / "10" / "0123456789abcdef0123456789abcdef.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"\xff\xd8 left by a killed process")
    old(stray)
    empty_folder_file = media / "appeals" / "2026" / "stray.jpg"
    empty_folder_file.parent.mkdir(parents=True)
    empty_folder_file.write_bytes(b"x" * 2048)
    old(empty_folder_file)
    young = media / "evidence" / "young.jpg"
    young.write_bytes(b"being written")  # its transaction may still commit

    call_command("remove_unreferenced_files")
    listed = capsys.readouterr().out

    assert "evidence/2026/10/0123456789abcdef0123456789abcdef.jpg" in listed
    assert "appeals/2026/stray.jpg" in listed
    assert event.evidence.name not in listed and "young.jpg" not in listed
    assert "找到 2 个没有记录的文件" in listed and "未删除" in listed
    assert stray.exists() and empty_folder_file.exists()

    call_command("remove_unreferenced_files", "--delete")
    removed = capsys.readouterr().out

    assert "已删除 2 个没有记录的文件" in removed
    assert not stray.exists() and not empty_folder_file.exists()
    assert not (media / "appeals").exists()  # its folder was left empty
    assert (media / event.evidence.name).exists() and young.exists()


def test_the_command_respects_min_age(world, media, capsys):
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "stray.jpg").write_bytes(b"x")

    call_command("remove_unreferenced_files", "--delete", "--min-age", "0")

    assert "已删除 1 个" in capsys.readouterr().out
    assert stored(media) == []
