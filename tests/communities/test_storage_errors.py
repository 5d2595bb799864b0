"""A full or read-only media disk (issue 20, point 10): the answer says what happened —
JSON for the door app, the error page for the batch page — and nothing of the send is
saved, neither rows nor files. On real small file systems (tests/communities/conftest.py)."""

import io
import json
import os
import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from communities.models import ScoreEvent
from tests.conftest import fill

from .conftest import YEAR

TODAY = date(YEAR, 10, 20)
DAY = date(YEAR, 10, 12)
FULL = "照片没有保存：服务器存储空间不足，这次提交的内容都没有保存"
READ_ONLY = "照片没有保存：服务器存储暂时只能读取、不能写入"


@pytest.fixture
def staff_client(world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)
    # As in production: an unhandled exception becomes the handler's answer, not a raise.
    client = Client(raise_request_exception=False)
    client.force_login(world.staff_east)
    return client


def large_photo():
    """A photo whose re-encoded JPEG (noise does not compress) does not fit in 64 KB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (900, 700), os.urandom(900 * 700 * 3)).save(
        buffer, format="JPEG", quality=95
    )
    return SimpleUploadedFile("door.jpg", buffer.getvalue(), content_type="image/jpeg")


def files_on(disk):
    return sorted(str(path.relative_to(disk)) for path in disk.rglob("*") if path.is_file())


def door_send(client, world, items):
    client_id = str(uuid.uuid4())
    entries = [
        {
            "clientId": client_id,
            "household": world.a_east.pk,
            "item": items["photo"].pk,
            "points": "3",
            "note": "分类到位",
            "occurredOn": DAY.isoformat(),
        }
    ]
    return client.post(
        reverse("communities:door_sync"),
        {"entries": json.dumps(entries), f"photo-{client_id}": large_photo()},
        headers={"accept": "application/json"},
    )


def test_the_door_app_hears_that_the_disk_is_full(world, items, staff_client, small_disk):
    fill(small_disk, leave=64 * 1024)

    response = door_send(staff_client, world, items)

    assert response.status_code == 507
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["code"] == "storage_full" and answer["error"].startswith(FULL)
    assert not ScoreEvent.objects.exists()
    assert files_on(small_disk) == ["filler.bin"]  # no whole and no partial photo


def test_the_door_app_hears_that_the_disk_is_read_only(world, items, staff_client, read_only_disk):
    response = door_send(staff_client, world, items)

    assert response.status_code == 503
    assert response.json()["code"] == "storage_read_only"
    assert response.json()["error"].startswith(READ_ONLY)
    assert response["Retry-After"]
    assert not ScoreEvent.objects.exists()


def test_the_batch_page_says_that_the_disk_is_full(world, items, staff_client, small_disk):
    fill(small_disk, leave=64 * 1024)
    month = f"{YEAR}-10"

    response = staff_client.post(
        reverse("communities:batch_entry"),
        {
            "month": month,
            "grid": world.grid_east.pk,
            f"p-{world.a_east.pk}-{items['photo'].pk}": "3",
            f"p-{world.a_east.pk}-{items['clean'].pk}": "2",
            f"e-{world.a_east.pk}": large_photo(),
        },
    )

    assert response.status_code == 507
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert FULL in body and "没有保存" in body
    assert "您的操作可能没有完成" not in body  # the generic 500 sentence
    assert not ScoreEvent.objects.exists()
    assert files_on(small_disk) == ["filler.bin"]
