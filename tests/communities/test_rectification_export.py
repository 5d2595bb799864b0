"""Rectifications and matters on the household's page and in the rectification download
(issue 25, point 5), each in its scope, the download through the one writer."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from communities import services
from matters import services as matter_services
from tests.communities.test_rectification import deduct, rectifiable  # noqa: F401

EXPORT = reverse("communities:rectification_export")


def household_url(household):
    return reverse("villages:household_detail", args=[household.pk])


@pytest.fixture
def three(world, rectifiable):  # noqa: F811
    """East: one rectified on time (earns back half), one left open (overdue by now);
    west: one not rectified."""
    on_time = deduct(world, rectifiable).rectification
    services.rectification_inspect(
        actor=world.staff_east,
        rectification=on_time,
        result="on_time",
        note="已清理",
        today=date(2026, 3, 12),
    )
    left_open = deduct(world, rectifiable, household=world.b_east, points="3").rectification
    west = deduct(world, rectifiable, household=world.b_west, actor=world.staff_west).rectification
    services.rectification_inspect(
        actor=world.staff_west,
        rectification=west,
        result="not_rectified",
        today=date(2026, 3, 20),
    )
    return on_time, left_open, west


def read(response):
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_download_lists_the_scopes_rectifications_with_their_state(world, three, login):
    rows = read(login(world.staff_east).get(EXPORT, {"year": 2026}))
    text = str(rows)
    assert "王建国" in text and "陈志强" in text and "赵美兰" not in text
    header = rows.index(next(row for row in rows if row[0] == "社区"))
    body = {row[2]: row for row in rows[header + 1 :]}
    assert body["A001"][9] == "按期整改" and body["A001"][13] == 2.5
    assert body["B001"][9] == "已逾期，待复查" and body["B001"][13] is None
    admin = str(read(login(world.admin).get(EXPORT, {"year": 2026})))
    assert "未整改" in admin and "赵美兰" in admin
    assert "王建国" not in str(read(login(world.admin).get(EXPORT, {"year": 2025})))


def test_the_download_keeps_a_formula_out(world, rectifiable, login):  # noqa: F811
    world.a_east.head_name = "=HYPERLINK(1)"
    world.a_east.save()
    deduct(world, rectifiable)
    rows = read(login(world.staff_east).get(EXPORT, {"year": 2026}))
    assert "'=HYPERLINK(1)" in str(rows)


@pytest.mark.parametrize("who", ["accountant_a", "supervisor_a", "villager_a", "bank_officer"])
def test_roles_without_rectifications_get_no_download(world, three, login, who):
    assert login(getattr(world, who)).get(EXPORT).status_code == 403


def test_the_household_page_lists_its_rectifications_and_matters(world, three, login):
    matter = matter_services.matter_record(actor=world.villager_a, text="坟浜河岸塌了")
    page = login(world.staff_east).get(household_url(world.a_east)).content.decode()
    assert 'id="household-rectifications"' in page and "按期整改" in page
    assert 'id="household-matters"' in page and "坟浜河岸塌了" in page
    assert reverse("matters:detail", args=[matter.pk]) in page
    other = login(world.staff_east).get(household_url(world.b_east)).content.decode()
    assert "已逾期，待复查" in other
    assert reverse("communities:rectification_inspect", args=[three[1].pk]) in other
    # The accountant sees the household (its shares) and its rectifications, no matters.
    page = login(world.accountant_a).get(household_url(world.a_east)).content.decode()
    assert "按期整改" in page and "坟浜河岸塌了" not in page
    assert "rectifications/" not in page  # no re-inspection link
    # Another community's staff: 404.
    assert login(world.staff_west).get(household_url(world.a_east)).status_code == 404


def test_open_and_overdue_rectifications_are_on_the_grid_leaders_to_do_list(world, three, login):
    from accounts.models import User
    from tests import factories

    # A grid leader scores as staff of the grid's community (accounts.scope.
    # households_scorable_by): rectifications follow the scoring scope.
    leader = factories.user(
        username="leader_east", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )
    world.grid_east.leader = leader
    world.grid_east.save()
    for user in (leader, world.staff_east):
        page = login(user).get(reverse("home")).content.decode()
        item = page[page.index('id="todo-rectifications"') :][:600]
        assert "（1 件已逾期）" in item and '<span class="todo-count">1</span>' in item, user
    page = login(world.staff_west).get(reverse("home")).content.decode()
    item = page[page.index('id="todo-rectifications"') :][:600]
    assert '<span class="todo-count is-zero">0</span>' in item
