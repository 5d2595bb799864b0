"""The door app's records made without signal (issue 25, point 4): a matter, a progress note,
a visit and a re-inspection, synced once (the phone's client id), each refused on its own
with its reason, and every one checked against the sender's scope."""

import io
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import AuditRecord, User
from communities.models import (
    DoorRecord,
    HouseholdVisit,
    Rectification,
    RectificationInspection,
    ScoreEvent,
)
from communities.services import Entry, score_events_record
from matters import door_records
from matters import services as matter_services
from matters.door_records import DoorRecordEntry
from matters.models import Matter, MatterStep
from tests import factories

from .conftest import YEAR

TODAY = date(YEAR, 10, 20)
DAY = date(YEAR, 10, 12)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def photo(name="door.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def rectifiable(items):
    item = items["litter"]
    item.rectify_days = 7
    item.rectify_refund_percent = 50
    item.save()
    return item


def open_rectification(world, item, household):
    (event,) = score_events_record(
        actor=world.admin,
        entries=[
            Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=DAY,
                points=Decimal("4"),
                note="门前堆放杂物",
            )
        ],
        today=TODAY,
    )
    return Rectification.objects.get(deduction=event)


def assigned_matter(world, grid, actor):
    matter = matter_services.matter_record(actor=actor, text="路灯不亮", micro_grid=grid)
    matter_services.matter_assess(actor=actor, matter=matter, decision="accepted")
    matter_services.matter_assign(
        actor=actor, matter=matter, office="镇城建办", due_on=TODAY + timedelta(days=7)
    )
    return matter


def record(kind, **fields):
    fields.setdefault("client_id", uuid.uuid4())
    return DoorRecordEntry(kind=kind, **fields)


def sync(actor, records):
    return door_records.door_records_sync(actor=actor, records=records, today=TODAY)


def test_each_record_sent_twice_is_recorded_once(world, rectifiable):
    rectification = open_rectification(world, rectifiable, world.a_east)
    in_hand = assigned_matter(world, world.grid_east, world.staff_east)
    queue = [
        record(
            "matter", household_id=world.a_east.pk, text="坟浜河岸塌了", place="坟浜河边",
            photo=photo(),
        ),
        record("matter", grid_id=world.grid_east.pk, text="议站：健身器材坏了"),
        record("progress", matter_id=in_hand.pk, note="已联系城建办，下周修", photo=photo()),
        record("visit", household_id=world.b_east.pk, occurred_on=DAY, note="走访"),
        record("inspection", rectification_id=rectification.pk, result="on_time", note="已清理"),
    ]  # fmt: skip
    first = sync(world.staff_east, queue)
    assert [result.status for result in first] == ["created"] * 5
    # The answer was lost (the phone left the stairwell): the whole queue goes again.
    second = sync(world.staff_east, queue)
    assert [result.status for result in second] == ["existing"] * 5
    assert [result.object_id for result in second] == [result.object_id for result in first]

    raised = Matter.objects.get(pk=first[0].object_id)
    assert (raised.household, raised.micro_grid, raised.place) == (
        world.a_east, world.grid_east, "坟浜河边"
    )  # fmt: skip
    assert raised.photo.name.endswith(".jpg") and raised.recorded_by == world.staff_east
    assert Matter.objects.get(pk=first[1].object_id).household is None
    assert Matter.objects.count() == 3
    step = MatterStep.objects.get(step=MatterStep.Step.HANDLE)
    assert step.note == "已联系城建办，下周修" and step.photo
    in_hand.refresh_from_db()
    assert in_hand.state == Matter.State.IN_HAND
    assert HouseholdVisit.objects.get().visited_on == DAY
    inspection = RectificationInspection.objects.get()
    assert inspection.result == "on_time" and inspection.earn_back.points == Decimal("2")
    assert ScoreEvent.objects.filter(points__gt=0).count() == 1
    assert DoorRecord.objects.count() == 5
    # The services audited each act once.
    assert AuditRecord.objects.filter(action="matter.collect").count() == 3
    assert AuditRecord.objects.filter(action="matter.handle").count() == 1
    assert AuditRecord.objects.filter(action="rectification.inspect").count() == 1


def test_the_same_record_twice_in_one_send_is_one(world):
    same = record("matter", household_id=world.a_east.pk, text="路面坑洼")
    results = sync(world.staff_east, [same, same])
    assert [result.status for result in results] == ["created", "existing"]
    assert Matter.objects.count() == 1


def test_a_refused_record_comes_back_with_its_reason_and_the_others_are_recorded(
    world, rectifiable
):
    rectification = open_rectification(world, rectifiable, world.a_east)
    collected = matter_services.matter_record(
        actor=world.staff_east, text="垃圾桶满了", micro_grid=world.grid_east
    )
    queue = [
        record("matter", household_id=world.a_east.pk, text="河岸塌了"),
        record("matter", household_id=world.b_east.pk, text="   "),
        record("progress", matter_id=collected.pk, note="已处理"),
        record("visit", household_id=world.b_east.pk, occurred_on=TODAY + timedelta(days=1)),
        record("inspection", rectification_id=rectification.pk, result="maybe"),
        record("visit", household_id=world.b_east.pk, occurred_on=DAY),
        record("matter", household_id=world.a_east.pk, text="x", client_id=None),
        record("nonsense", household_id=world.a_east.pk),
    ]
    results = sync(world.staff_east, queue)
    assert [result.status for result in results] == [
        "created", "refused", "refused", "refused", "refused", "created", "refused", "refused"
    ]  # fmt: skip
    assert results[1].errors == ["请写下是什么事"]
    assert "待研判" in results[2].errors[0] and "不能办理" in results[2].errors[0]
    assert "晚于今天" in results[3].errors[0]
    assert results[4].errors == ["请选择复查结果"]
    assert results[6].errors == ["缺少记录编号"]
    assert Matter.objects.count() == 2
    assert HouseholdVisit.objects.get().visited_on == DAY
    assert not RectificationInspection.objects.exists()
    # A refused record is not kept as sent: put right, the same id goes through.
    fixed = replace_text(queue[1], "健身器材坏了")
    (again,) = sync(world.staff_east, [fixed])
    assert again.status == "created"


def replace_text(entry, text):
    from dataclasses import replace

    return replace(entry, text=text)


def test_a_second_re_inspection_of_the_same_rectification_is_refused(world, rectifiable):
    rectification = open_rectification(world, rectifiable, world.a_east)
    sync(world.staff_east, [record("inspection", rectification_id=rectification.pk, result="late")])
    (other,) = sync(
        world.staff_east,
        [record("inspection", rectification_id=rectification.pk, result="on_time")],
    )
    assert other.status == "refused" and other.errors == ["该整改已复查，不能重复复查"]
    assert RectificationInspection.objects.get().result == "late"


def test_out_of_scope_households_matters_and_rectifications_are_refused(world, rectifiable):
    west_rectification = open_rectification(world, rectifiable, world.a_west)
    west_matter = assigned_matter(world, world.grid_west, world.staff_west)
    before = (Matter.objects.count(), MatterStep.objects.count())
    results = sync(
        world.staff_east,
        [
            record("matter", household_id=world.a_west.pk, text="河岸塌了"),
            record("matter", grid_id=world.grid_west.pk, text="河岸塌了"),
            record("visit", household_id=world.a_west.pk, occurred_on=DAY),
            record("progress", matter_id=west_matter.pk, note="已处理"),
            record("progress", matter_id=10**9, note="已处理"),
            record("inspection", rectification_id=west_rectification.pk, result="on_time"),
        ],
    )
    assert [result.status for result in results] == ["refused"] * 6
    assert results[0].errors == ["该户不在您负责的社区"]
    assert results[1].errors == ["这个微网格不归您管"]
    assert results[2].errors == ["该户不在您负责的社区"]
    # Another scope's matter reads as one that does not exist.
    assert results[3].errors == results[4].errors == ["找不到这件事，或它不由您办理"]
    assert results[5].errors == ["找不到这项整改，或该户不在您负责的社区"]
    assert (Matter.objects.count(), MatterStep.objects.count()) == before
    assert not HouseholdVisit.objects.exists()
    assert not RectificationInspection.objects.exists()
    assert not DoorRecord.objects.exists()


def test_a_client_id_of_another_staff_member_or_kind_is_refused(world):
    other = factories.user(
        username="staff_east_2", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )
    key = uuid.uuid4()
    sync(world.staff_east, [record("matter", household_id=world.a_east.pk, text="路灯", client_id=key)])  # fmt: skip
    (theirs,) = sync(other, [record("matter", household_id=world.a_east.pk, text="路灯", client_id=key)])  # fmt: skip
    (kind,) = sync(world.staff_east, [record("visit", household_id=world.a_east.pk, client_id=key)])  # fmt: skip
    assert theirs.status == kind.status == "refused"
    assert theirs.errors == ["记录编号已被其他记录使用"]
    assert Matter.objects.count() == 1 and not HouseholdVisit.objects.exists()


def test_the_records_endpoint_answers_per_record_with_photos(world, rectifiable, login):
    rectification = open_rectification(world, rectifiable, world.a_east)
    client = login(world.staff_east)
    matter_key, inspect_key = str(uuid.uuid4()), str(uuid.uuid4())
    payload = [
        {"kind": "matter", "clientId": matter_key, "household": world.a_east.pk,
         "text": "坟浜河岸塌了", "place": "坟浜", "occurredOn": DAY.isoformat()},
        {"kind": "inspection", "clientId": inspect_key, "rectification": rectification.pk,
         "result": "on_time", "note": "已清理"},
        {"kind": "visit", "clientId": str(uuid.uuid4()), "household": world.a_west.pk,
         "occurredOn": DAY.isoformat()},
    ]  # fmt: skip
    url = reverse("matters:door_records_sync")
    statuses = []
    for _attempt in range(2):
        response = client.post(
            url,
            {
                "records": json.dumps(payload),
                f"photo-{matter_key}": photo(),
                f"photo-{inspect_key}": photo(),
            },
        )
        assert response.status_code == 200
        results = response.json()["results"]
        statuses.append([result["status"] for result in results])
        assert results[2]["errors"] == [{"field": "other", "message": "该户不在您负责的社区"}]
    assert statuses == [["created", "created", "refused"], ["existing", "existing", "refused"]]
    assert Matter.objects.get().photo.name.endswith(".jpg")
    assert RectificationInspection.objects.get().photo.name.endswith(".jpg")


def test_the_records_endpoints_are_for_staff_only(world, login):
    for user in (world.villager_a, world.accountant_a, world.supervisor_a):
        client = login(user)
        assert client.post(reverse("matters:door_records_sync"), {"records": "[]"}).status_code == 403  # fmt: skip
        data = client.get(reverse("matters:door_records_data"), {"grid": world.grid_east.pk})
        assert data.status_code == 403
    client = login(world.staff_east)
    assert client.post(reverse("matters:door_records_sync"), {"records": "{"}).status_code == 400  # fmt: skip
    too_many = json.dumps([{"kind": "visit"}] * 51)
    assert client.post(reverse("matters:door_records_sync"), {"records": too_many}).status_code == 400  # fmt: skip
    assert client.get(reverse("matters:door_records_data"), {"grid": world.grid_west.pk}).status_code == 404  # fmt: skip


def test_the_records_data_lists_the_grids_matters_in_hand_and_open_rectifications(
    world, rectifiable, login
):
    rectification = open_rectification(world, rectifiable, world.a_east)
    open_rectification(world, rectifiable, world.a_west)
    in_hand = assigned_matter(world, world.grid_east, world.staff_east)
    matter_services.matter_record(actor=world.staff_east, text="待研判的事", micro_grid=world.grid_east)  # fmt: skip
    assigned_matter(world, world.grid_west, world.staff_west)
    answer = (
        login(world.staff_east)
        .get(reverse("matters:door_records_data"), {"grid": world.grid_east.pk})
        .json()
    )
    assert [matter["id"] for matter in answer["matters"]] == [in_hand.pk]
    assert answer["matters"][0]["text"] == "路灯不亮"
    assert answer["rectifications"] == [
        {
            "id": rectification.pk,
            "household": world.a_east.pk,
            "dueOn": (DAY + timedelta(days=7)).isoformat(),
            "item": "乱堆乱放",
            "deductedOn": DAY.isoformat(),
            "points": "4",
            "refund": "按期整改返还扣分的 50%",
        }
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["matter", "inspection"])
def test_two_sends_of_a_record_at_the_same_moment_make_one(world, rectifiable, kind):
    """The phone retries while its first send is still being written: one record, and
    both sends get it back. Needs a server database (row locks, concurrent connections)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    if kind == "matter":
        same = record("matter", household_id=world.a_east.pk, text="河岸塌了", photo=photo())
    else:
        rectification = open_rectification(world, rectifiable, world.a_east)
        same = record("inspection", rectification_id=rectification.pk, result="on_time")
    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            barrier.wait()
            results.extend(sync(world.staff_east, [same]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.status for result in results) == ["created", "existing"]
    assert len({result.object_id for result in results}) == 1
    assert DoorRecord.objects.count() == 1
    assert Matter.objects.count() == (1 if kind == "matter" else 0)
    assert RectificationInspection.objects.count() == (1 if kind == "inspection" else 0)
