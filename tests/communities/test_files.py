"""Uploaded files are private: evidence photos and adoption resolutions are served only by
the file view, with the scope of the object they belong to, under random names, and only
the types that belong there."""

import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from communities import services
from communities.models import ScoreEvent, ScoringStandard, StandardAdoption
from communities.services import BatchError, Entry

from .conftest import YEAR

BATCH_URL = "/communities/scoring/batch/"
MONTH = "2026-10"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
GPS_TAG = 0x8825  # the EXIF GPSInfo pointer


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_FILES_ACCEL_PREFIX = ""
    return tmp_path


def jpeg_with_location(name="wang-jianguo-yard.jpg", size=(40, 30)):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_TAG] = {1: "N", 2: (30.0, 42.0, 0.0), 3: "E", 4: (121.0, 1.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def record_photo(actor, household, item, photo):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[
            Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=date(YEAR, 3, 10),
                evidence=photo,
            )
        ],
        today=date(YEAR, 12, 31),
    )
    return event


@pytest.fixture
def photo_event(world, items):
    return record_photo(world.staff_east, world.a_east, items["photo"], jpeg_with_location())


# --- stored: random name, re-encoded, no location -------------------------------------------


def test_evidence_is_stored_under_a_random_name(photo_event, media):
    name = photo_event.evidence.name

    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", name)
    assert "wang" not in name
    assert (media / name).exists()


def test_evidence_is_re_encoded_without_exif_or_location(photo_event, media):
    with Image.open(media / photo_event.evidence.name) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (40, 30)
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info


def test_large_photos_are_scaled_down(world, items, media):
    event = record_photo(
        world.staff_east, world.a_east, items["photo"], jpeg_with_location(size=(4000, 3000))
    )

    with Image.open(media / event.evidence.name) as stored:
        assert max(stored.size) == 2560


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("yard.html", HTML),
        ("yard.jpg", HTML),  # an image name does not make it an image
        ("yard.pdf", b"%PDF-1.4 not a photo"),
        ("yard.png", b"\x89PNG\r\n\x1a\n broken"),
    ],
)
def test_evidence_that_is_not_an_image_is_refused(world, items, media, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")

    with pytest.raises(BatchError) as refused:
        record_photo(world.staff_east, world.a_east, items["photo"], upload)

    assert [error.field for error in refused.value.errors] == ["evidence"]
    assert not ScoreEvent.objects.exists()
    assert not list(media.rglob("*.*"))


def test_evidence_over_the_size_limit_is_refused(world, items, media, settings):
    settings.UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (1024 * 1024), "image/jpeg")

    with pytest.raises(BatchError) as refused:
        record_photo(world.staff_east, world.a_east, items["photo"], big)

    assert "1 MB" in str(refused.value.errors[0].message)


def test_an_html_upload_on_the_batch_page_is_refused_at_its_cell(world, items, login, media):
    response = login(world.staff_east).post(
        BATCH_URL,
        {
            "month": MONTH,
            "grid": world.grid_east.pk,
            f"p-{world.a_east.pk}-{items['photo'].pk}": "3",
            f"e-{world.a_east.pk}": SimpleUploadedFile("yard.html", HTML, "text/html"),
        },
    )

    assert response.status_code == 200
    assert "请上传照片" in response.content.decode()
    assert not ScoreEvent.objects.exists()
    assert not list(media.rglob("*.*"))


# --- served: only through the view, with the event's scope -------------------------------------


def file_url(name):
    return reverse("private_file", kwargs={"name": name})


def test_the_files_url_is_the_view_not_a_media_url(photo_event):
    assert photo_event.evidence.url == f"/files/{photo_event.evidence.name}"


def test_there_is_no_open_media_url(world, photo_event, login):
    client = login(world.admin)

    assert client.get(f"/media/{photo_event.evidence.name}").status_code == 404


def test_anonymous_users_are_sent_to_login(world, photo_event, client):
    response = client.get(photo_event.evidence.url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b", "villager_b"])
def test_evidence_outside_scope_is_not_found(world, photo_event, login, user_name):
    response = login(getattr(world, user_name)).get(photo_event.evidence.url)

    assert response.status_code == 404


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a", "villager_a"])
def test_evidence_is_shown_to_who_may_see_the_household(world, photo_event, login, user_name):
    response = login(getattr(world, user_name)).get(photo_event.evidence.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_a_name_no_object_holds_is_not_found(world, photo_event, login, media):
    (media / "evidence" / "stray.jpg").write_bytes(b"\xff\xd8 stray")

    client = login(world.admin)

    assert client.get(file_url("evidence/stray.jpg")).status_code == 404
    assert client.get(file_url("../" + photo_event.evidence.name)).status_code == 404


def test_the_point_card_and_the_api_link_to_the_view(world, photo_event, login):
    client = login(world.villager_a)

    page = client.get(reverse("communities:household_points", args=[world.a_east.pk]))
    api = client.get(f"/api/score-events/{photo_event.pk}/")

    assert f'href="/files/{photo_event.evidence.name}"' in page.content.decode()
    assert api.json()["evidence"].endswith(f"/files/{photo_event.evidence.name}")


def test_production_hands_the_file_to_nginx(world, photo_event, login, settings):
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/protected-media/"

    response = login(world.staff_east).get(photo_event.evidence.url)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{photo_event.evidence.name}"
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""


# --- adoption resolutions --------------------------------------------------------------------


@pytest.fixture
def admin_client(world, client):
    world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    return client


def add_standard_with_resolution(admin_client, world, upload):
    data = {
        "name": "通界村主题标准",
        "year": YEAR,
        "theme": "美丽庭院",
        "base_points": "100",
        "lower_bound": "0",
        "upper_bound": "120",
        "status": "draft",
        "adoptions-TOTAL_FORMS": 1,
        "adoptions-INITIAL_FORMS": 0,
        "adoptions-0-cooperative": world.coop_a.pk,
        "adoptions-0-meeting_date": f"{YEAR}-01-20",
        "adoptions-0-votes_for": 40,
        "adoptions-0-votes_against": 1,
        "adoptions-0-votes_abstain": 0,
        "adoptions-0-resolution": upload,
        "items-TOTAL_FORMS": 0,
        "items-INITIAL_FORMS": 0,
    }
    return admin_client.post(reverse("admin:communities_scoringstandard_add"), data)


def test_an_html_resolution_is_refused(admin_client, world, media):
    response = add_standard_with_resolution(
        admin_client, world, SimpleUploadedFile("决议.html", HTML, "text/html")
    )

    assert response.status_code == 200
    assert "决议文件须为 PDF 或图片" in response.content.decode()
    assert not ScoringStandard.objects.filter(name="通界村主题标准").exists()
    assert not list(media.rglob("*.*"))


@pytest.fixture
def resolution(admin_client, world):
    upload = SimpleUploadedFile("决议.pdf", b"%PDF-1.4 resolution", "application/pdf")
    response = add_standard_with_resolution(admin_client, world, upload)
    assert response.status_code == 302
    admin_client.logout()
    return StandardAdoption.objects.get(standard__name="通界村主题标准")


def test_a_resolution_is_stored_under_a_random_name(resolution):
    assert re.fullmatch(r"resolutions/\d{4}/[0-9a-f]{32}\.pdf", resolution.resolution.name)


def test_a_pdf_resolution_is_a_download_with_nosniff(world, resolution, login):
    response = login(world.accountant_a).get(resolution.resolution.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("user_name", ["accountant_b", "villager_b"])
def test_a_resolution_outside_scope_is_not_found(world, resolution, login, user_name):
    assert login(getattr(world, user_name)).get(resolution.resolution.url).status_code == 404


def test_an_old_non_image_upload_is_never_served_inline(world, standard, login, media):
    # A file stored before these checks, under its uploaded name.
    (media / "resolutions").mkdir()
    (media / "resolutions" / "x.html").write_bytes(HTML)
    StandardAdoption.objects.filter(cooperative=world.coop_a).update(
        resolution="resolutions/x.html"
    )

    response = login(world.accountant_a).get(file_url("resolutions/x.html"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
