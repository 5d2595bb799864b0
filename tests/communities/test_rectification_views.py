"""The rectification pages (issue 25, point 3): the open list on the to-do list, the
re-inspection page and the villager's card, each in its scope."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities.models import RectificationInspection, ScoreEvent
from tests.communities.test_rectification import deduct, rectifiable  # noqa: F401

LIST = reverse("communities:rectification_list")


def inspect_url(rectification):
    return reverse("communities:rectification_inspect", args=[rectification.pk])


@pytest.fixture
def opened(world, rectifiable):  # noqa: F811
    """One open rectification in each community."""
    east = deduct(world, rectifiable).rectification
    west = deduct(world, rectifiable, household=world.b_west, actor=world.staff_west).rectification
    return east, west


def test_the_list_shows_the_staff_members_open_rectifications_only(world, opened, login):
    page = login(world.staff_east).get(LIST).content.decode()

    assert "王建国" in page and inspect_url(opened[0]) in page
    assert "赵美兰" not in page and inspect_url(opened[1]) not in page
    assert "2026 年整改情况" in page


def test_the_to_do_list_counts_open_and_overdue_rectifications(world, opened, login):
    page = login(world.staff_east).get(reverse("home")).content.decode()
    assert 'id="todo-rectifications"' in page
    assert "（1 件已逾期）" in page  # due 2026-03-17, long past


def test_re_inspection_on_the_page_earns_back_and_refuses_a_second_time(
    world, opened, login, private_media
):
    client = login(world.staff_east)
    url = inspect_url(opened[0])
    assert 'name="result"' in client.get(url).content.decode()
    photo = SimpleUploadedFile("a.jpg", _jpeg(), content_type="image/jpeg")

    answer = client.post(url, {"result": "on_time", "note": "已清理", "photo": photo})

    assert answer.status_code == 302
    inspection = RectificationInspection.objects.get()
    assert inspection.photo.name.startswith("evidence/")
    assert inspection.earn_back.points == 2.5  # half of 5
    assert client.get(reverse("private_file", args=[inspection.photo.name])).status_code == 200
    again = client.post(url, {"result": "late"})
    assert again.status_code == 400 and "已复查" in again.content.decode()
    assert RectificationInspection.objects.count() == 1


def test_a_refusal_is_shown_on_the_page(world, opened, login):
    answer = login(world.staff_east).post(inspect_url(opened[0]), {"result": ""})
    assert answer.status_code == 400
    assert "请选择复查结果" in answer.content.decode()


@pytest.mark.parametrize("who", ["staff_west", "accountant_a", "villager_a", "bank_officer"])
def test_the_wrong_user_cannot_open_or_post_a_re_inspection(world, opened, login, who):
    client = login(getattr(world, who))
    url = inspect_url(opened[0])
    events = ScoreEvent.objects.count()

    assert client.get(url).status_code in (403, 404)
    assert client.post(url, {"result": "on_time"}).status_code in (403, 404)
    assert not RectificationInspection.objects.exists()
    assert ScoreEvent.objects.count() == events
    assert client.get(LIST).status_code in (200, 403)
    assert "王建国" not in client.get(LIST).content.decode() or who == "accountant_a"


def test_the_villagers_card_shows_their_open_rectification_with_its_due_date(world, opened, login):
    page = login(world.villager_a).get(reverse("card:mine")).content.decode()
    assert 'id="pc-rectifications"' in page
    assert "请在 2026-03-17 前整改" in page
    assert "按期整改返还扣分的 50%" in page
    assert f"rectification-{opened[1].pk}" not in page


def test_the_card_drops_it_once_re_inspected(world, opened, login):
    from communities.services import rectification_inspect

    rectification_inspect(
        actor=world.staff_east, rectification=opened[0], result="late", today=date(2026, 3, 20)
    )
    page = login(world.villager_a).get(reverse("card:mine")).content.decode()
    assert 'id="pc-rectifications"' not in page


def _jpeg():
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (20, 20), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_admin_sees_the_figures_per_community(world, opened, login):
    page = login(world.admin).get(LIST).content.decode()
    assert page.count('class="rectify-community"') == 2
    assert "东湖社区" in page and "西湖社区" in page


def test_the_door_app_data_carries_the_open_rectification(world, opened, login):
    data = (
        login(world.staff_east)
        .get(reverse("communities:door_data"), {"grid": world.grid_east.pk})
        .json()
    )
    rows = {row["number"]: row for row in data["households"]}
    assert rows["A001"]["rectifyDue"] == "2026-03-17"
    assert rows["A001"]["rectifyUrl"] == inspect_url(opened[0])
    assert rows["B001"]["rectifyDue"] is None
