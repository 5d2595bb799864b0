"""Batch entry page (批量录入): scope, saving, every refusal next to its cell, query count."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import AuditRecord
from communities.models import (
    MonthStatusChange,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StandardAdoption,
)
from tests import factories

URL = reverse("communities:batch_entry")
MONTH = "2026-10"
DAY = date(2026, 10, 12)


def cell(html, household, item):
    """The inner HTML of one points cell (its input and the errors next to it)."""
    return _td(html, f"cell-{household.pk}-{item.pk}")


def row_field(html, name, household):
    """The inner HTML of a row's date / note / evidence cell."""
    return _td(html, f"{name}-{household.pk}")


def _td(html, element_id):
    match = re.search(rf'<td id="{element_id}"[^>]*>(.*?)</td>', html, re.S)
    assert match, f"no cell {element_id} on the page"
    return match.group(0)


def points(household, item):
    return f"p-{household.pk}-{item.pk}"


def post(client, data, *, grid, month=MONTH, **extra):
    return client.post(URL, {"month": month, "grid": grid.pk, **data}, **extra)


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- who may open the page -------------------------------------------------------------


def test_staff_sees_only_their_grid_households(world, items, login):
    response = login(world.staff_east).get(URL, {"month": MONTH, "grid": world.grid_east.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "王建国" in html and "陈志强" in html  # A001, B001 live in the east grid
    assert "李秀英" not in html and "赵美兰" not in html
    assert f'name="{points(world.a_east, items["clean"])}"' in html
    # The grid selector offers only grids of the staff member's communities.
    assert "东一网格" in html and "西一网格" not in html


def test_default_grid_is_one_of_the_staff_members_own(world, items, login):
    html = login(world.staff_east).get(URL).content.decode()
    assert "王建国" in html and "李秀英" not in html


def test_staff_of_another_community_cannot_open_the_grid(world, items, login):
    response = login(world.staff_west).get(URL, {"month": MONTH, "grid": world.grid_east.pk})
    assert response.status_code == 404
    assert "王建国" not in response.content.decode()


def test_other_grid_id_in_a_post_is_refused(world, items, login):
    response = post(
        login(world.staff_west), {points(world.a_east, items["clean"]): "5"}, grid=world.grid_east
    )
    assert response.status_code == 404
    assert ScoreEvent.objects.count() == 0


@pytest.mark.parametrize("role", ["villager_a", "accountant_a"])
def test_villagers_and_accountants_are_forbidden(world, items, login, role):
    client = login(getattr(world, role))
    assert client.get(URL).status_code == 403
    assert (
        post(client, {points(world.a_east, items["clean"]): "5"}, grid=world.grid_east).status_code
        == 403
    )
    assert ScoreEvent.objects.count() == 0


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_admin_sees_every_grid(world, items, login):
    html = (
        login(world.admin).get(URL, {"month": MONTH, "grid": world.grid_west.pk}).content.decode()
    )
    assert "李秀英" in html and "赵美兰" in html
    assert "东一网格" in html and "西一网格" in html


def test_search_finds_households_across_the_staff_members_communities(world, items, login):
    client = login(world.staff_east)
    html = client.get(URL, {"month": MONTH, "q": "13800001111"}).content.decode()  # A001's phone
    assert "王建国" in html and "陈志强" not in html
    html = client.get(URL, {"month": MONTH, "q": "B00"}).content.decode()  # household number
    assert "陈志强" in html and "赵美兰" not in html  # B002 lives in the west
    html = client.get(URL, {"month": MONTH, "q": "李秀英"}).content.decode()
    assert f'id="row-{world.a_west.pk}"' not in html


@pytest.mark.parametrize(
    "part", ["1111", "0001111", "1380000111", "138", "6228480011112222", "1234", "33048219650118"]
)
def test_search_never_matches_part_of_a_personal_number(world, items, login, part):
    # The page shows 138****1111: a search by a part must not tell which digits are hidden.
    html = login(world.staff_east).get(URL, {"month": MONTH, "q": part}).content.decode()

    assert f'id="row-{world.a_east.pk}"' not in html


@pytest.mark.parametrize(
    "whole", ["13800001111", "138 0000 1111", "330482196501181234", "6228480011112222333"]
)
def test_search_finds_a_whole_personal_number(world, items, login, whole):
    html = login(world.staff_east).get(URL, {"month": MONTH, "q": whole}).content.decode()

    assert f'id="row-{world.a_east.pk}"' in html


def test_table_shows_month_points_and_running_year_score(world, items, login):
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["clean"],
        points=Decimal("5"),
        occurred_on=date(2026, 10, 3),
        community=world.east,
        entered_by=world.staff_east,
    )
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["litter"],
        points=Decimal("-2"),
        occurred_on=date(2026, 3, 3),
        community=world.east,
        entered_by=world.staff_east,
    )
    html = (
        login(world.staff_east)
        .get(URL, {"month": MONTH, "grid": world.grid_east.pk})
        .content.decode()
    )
    assert re.search(rf'id="month-{world.a_east.pk}">\+5<', html)
    assert re.search(rf'id="year-{world.a_east.pk}">83<', html)  # base 80 + 5 - 2
    assert re.search(rf'id="year-{world.b_east.pk}">80<', html)
    # Empty cells are empty (no grey default that looks filled in): the header gives the
    # range. The date defaults to the 15th of a past month.
    assert "placeholder" not in cell(html, world.a_east, items["clean"])
    assert 'value=""' in cell(html, world.a_east, items["clean"])
    assert re.search(r'batch-item-rule">\+1–10<', html)
    assert 'value="2026-10-15"' in row_field(html, "date", world.a_east)


# --- saving --------------------------------------------------------------------------


def test_saving_a_batch_records_signed_events_and_one_audit_record(
    world, items, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = login(world.staff_east)
    response = post(
        client,
        {
            points(world.a_east, items["clean"]): "5",
            points(world.a_east, items["litter"]): "3",
            points(world.b_east, items["volunteer"]): "2.5",
            points(world.b_east, items["crime"]): "20",
            points(world.b_east, items["clean"]): "",  # empty: no event
            f"d-{world.a_east.pk}": "2026-10-12",
            # Each entry has its own note: 庭院整洁's note is not 乱堆乱放's reason.
            f"n-{world.a_east.pk}-{items['clean'].pk}": "十月检查",
            f"n-{world.a_east.pk}-{items['litter'].pk}": "门口堆放杂物",
            f"d-{world.b_east.pk}": "2026-10-20",
            # A veto needs its reason and a photo (docs/scoring.md, "Veto").
            f"n-{world.b_east.pk}-{items['crime'].pk}": "违法被判刑",
            f"e-{world.b_east.pk}": png(),
        },
        grid=world.grid_east,
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?month={MONTH}&grid={world.grid_east.pk}"
    events = {(e.household_id, e.item_id): e for e in ScoreEvent.objects.all()}
    assert len(events) == 4
    assert events[(world.a_east.pk, items["clean"].pk)].points == Decimal("5")
    assert events[(world.a_east.pk, items["litter"].pk)].points == Decimal("-3")
    assert events[(world.b_east.pk, items["volunteer"].pk)].points == Decimal("2.5")
    assert events[(world.b_east.pk, items["crime"].pk)].points == Decimal("-20")
    # The veto waits for a second staff member whatever the community's review setting.
    assert events[(world.b_east.pk, items["crime"].pk)].needs_review
    assert events[(world.b_east.pk, items["crime"].pk)].evidence
    first = events[(world.a_east.pk, items["clean"].pk)]
    assert first.occurred_on == date(2026, 10, 12) and first.note == "十月检查"
    assert events[(world.a_east.pk, items["litter"].pk)].note == "门口堆放杂物"
    assert events[(world.b_east.pk, items["volunteer"].pk)].note == ""
    assert events[(world.b_east.pk, items["crime"].pk)].note == "违法被判刑"
    assert first.community == world.east and first.entered_by == world.staff_east
    assert events[(world.b_east.pk, items["crime"].pk)].occurred_on == date(2026, 10, 20)
    assert len({e.batch for e in events.values()}) == 1
    audits = AuditRecord.objects.filter(action="score_event.create")
    assert audits.count() == 1
    assert audits.get().details["count"] == 4 and audits.get().details["source"] == "batch"

    html = client.get(response["Location"]).content.decode()
    assert "已保存 4 条积分记录" in html
    assert re.search(rf'id="year-{world.a_east.pk}">82<', html)  # 80 + 5 - 3
    # 80 + 2.5: the veto's -20 counts once a second staff member confirms it.
    assert re.search(rf'id="year-{world.b_east.pk}">82.5<', html)
    assert re.search(rf'id="month-{world.b_east.pk}">\+2\.5<', html)


def test_evidence_is_saved_with_the_photo_item(world, items, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post(
        login(world.staff_east),
        {
            points(world.a_east, items["photo"]): "3",
            points(world.a_east, items["clean"]): "2",
            f"e-{world.a_east.pk}": png(),
        },
        grid=world.grid_east,
    )
    assert response.status_code == 302
    photo_event = ScoreEvent.objects.get(item=items["photo"])
    assert photo_event.evidence.name.startswith("evidence/")
    assert not ScoreEvent.objects.get(item=items["clean"]).evidence


def test_review_required_community_says_events_wait_for_review(world, items, login):
    world.east.review_required = True
    world.east.save()
    client = login(world.staff_east)
    response = post(client, {points(world.a_east, items["clean"]): "5"}, grid=world.grid_east)
    html = client.get(response["Location"]).content.decode()
    assert "已保存 1 条积分记录" in html and "复核" in html
    assert ScoreEvent.objects.get().needs_review


# --- refusals: all or nothing, each error next to its cell --------------------------------


def assert_nothing_saved(response):
    assert response.status_code == 200
    assert ScoreEvent.objects.count() == 0
    assert not AuditRecord.objects.filter(action="score_event.create").exists()
    assert "整批都未保存" in response.content.decode()


def test_household_outside_scope_is_refused(world, items, login):
    response = post(
        login(world.staff_east),
        {
            points(world.a_east, items["clean"]): "5",  # fine on its own
            points(world.a_west, items["clean"]): "5",  # tampered: lives in the west
        },
        grid=world.grid_east,
    )
    assert_nothing_saved(response)
    html = response.content.decode()
    errors = re.search(r'id="batch-errors".*?</div>', html, re.S).group(0)
    assert "不在您负责的社区" in errors
    assert "李秀英" not in html  # the refused household's name is not revealed
    # What was typed for the good cell is kept.
    assert 'value="5"' in cell(html, world.a_east, items["clean"])


def test_item_not_in_the_households_standard_is_refused_at_its_cell(world, items, login):
    # A third cooperative with its own standard lives in the same grid: the table shows the
    # union of both standards' items and disables the cells that do not apply.
    coop_c = factories.cooperative(code="COOPC", name="丙村股份经济合作社")
    own = ScoringStandard.objects.create(
        town=factories.town(),
        name="丙村主题标准",
        year=2026,
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=own, cooperative=coop_c, meeting_date=date(2026, 1, 9), votes_for=30
    )
    theme = ScoringItem.objects.create(
        standard=own,
        code="ZT01",
        name="主题活动",
        category=ScoringItem.Category.OTHER,
        direction=ScoringItem.Direction.ADD,
        default_points=2,
        min_points=1,
        max_points=4,
    )
    c_east = factories.household(
        cooperative_=coop_c,
        community_=world.east,
        micro_grid_=world.grid_east,
        number="C001",
        head_name="钱海",
    )
    client = login(world.staff_east)
    html = client.get(URL, {"month": MONTH, "grid": world.grid_east.pk}).content.decode()
    assert f'name="{points(c_east, theme)}"' in html
    assert f'name="{points(world.a_east, theme)}"' not in html  # disabled for A001
    assert f'name="{points(c_east, items["clean"])}"' not in html

    response = post(
        client,
        {points(world.a_east, theme): "2", points(c_east, theme): "2"},
        grid=world.grid_east,
    )
    assert_nothing_saved(response)
    html = response.content.decode()
    assert "不属于" in cell(html, world.a_east, theme)
    assert "errorlist" not in cell(html, c_east, theme)


def test_points_outside_the_items_range_are_refused_at_the_cell(world, items, login):
    response = post(
        login(world.staff_east),
        {
            points(world.a_east, items["volunteer"]): "9",
            points(world.a_east, items["clean"]): "5",
            points(world.b_east, items["litter"]): "abc",
        },
        grid=world.grid_east,
    )
    assert_nothing_saved(response)
    html = response.content.decode()
    assert "超出“志愿服务”允许的范围" in cell(html, world.a_east, items["volunteer"])
    assert "errorlist" not in cell(html, world.a_east, items["clean"])
    assert "分值应为数字" in cell(html, world.b_east, items["litter"])
    assert 'value="9"' in cell(html, world.a_east, items["volunteer"])


def test_cap_exceeded_is_refused_at_the_cell(world, items, login):
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["clean"],
        points=Decimal("6"),
        occurred_on=date(2026, 10, 2),
        community=world.east,
        entered_by=world.staff_east,
    )
    response = post(
        login(world.staff_east),
        {points(world.a_east, items["clean"]): "5", points(world.b_east, items["clean"]): "5"},
        grid=world.grid_east,
    )
    assert response.status_code == 200
    assert ScoreEvent.objects.count() == 1
    html = response.content.decode()
    assert "超过每月上限 10" in cell(html, world.a_east, items["clean"])
    assert "errorlist" not in cell(html, world.b_east, items["clean"])


def test_closed_month_is_refused(world, items, login):
    MonthStatusChange.objects.create(
        community=world.east,
        month=date(2026, 10, 1),
        action=MonthStatusChange.Action.CLOSE,
        actor=world.admin,
    )
    client = login(world.staff_east)
    html = client.get(URL, {"month": MONTH, "grid": world.grid_east.pk}).content.decode()
    assert "本月已关账" in html
    assert f'name="{points(world.a_east, items["clean"])}"' not in html  # nothing to type into
    response = post(client, {points(world.a_east, items["clean"]): "5"}, grid=world.grid_east)
    assert_nothing_saved(response)
    assert "已关账" in row_field(response.content.decode(), "date", world.a_east)


def test_date_in_the_future_is_refused_at_the_rows_date(world, items, login):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = post(
        login(world.staff_east),
        {points(world.a_east, items["clean"]): "5", f"d-{world.a_east.pk}": tomorrow.isoformat()},
        grid=world.grid_east,
        month=tomorrow.strftime("%Y-%m"),
    )
    assert_nothing_saved(response)
    assert "晚于今天" in row_field(response.content.decode(), "date", world.a_east)


def test_date_outside_the_chosen_month_is_refused(world, items, login):
    response = post(
        login(world.staff_east),
        {
            points(world.a_east, items["clean"]): "5",
            f"d-{world.a_east.pk}": "2026-09-30",
            points(world.b_east, items["volunteer"]): "9",  # reported in the same pass
        },
        grid=world.grid_east,
    )
    assert_nothing_saved(response)
    html = response.content.decode()
    assert "所选月份 2026-10" in row_field(html, "date", world.a_east)
    assert 'value="2026-09-30"' in row_field(html, "date", world.a_east)
    assert "超出" in cell(html, world.b_east, items["volunteer"])


def test_missing_evidence_is_refused_at_the_cell(world, items, login):
    response = post(
        login(world.staff_east),
        {points(world.a_east, items["photo"]): "3", points(world.b_east, items["clean"]): "5"},
        grid=world.grid_east,
    )
    assert_nothing_saved(response)
    html = response.content.decode()
    assert "须上传照片" in cell(html, world.a_east, items["photo"])
    assert 'type="file"' in row_field(html, "evidence", world.a_east)


def test_a_file_that_is_not_an_image_is_refused(world, items, login):
    response = post(
        login(world.staff_east),
        {
            points(world.a_east, items["photo"]): "3",
            f"e-{world.a_east.pk}": SimpleUploadedFile(
                "x.png", b"not an image", content_type="image/png"
            ),
        },
        grid=world.grid_east,
    )
    assert_nothing_saved(response)
    assert "errorlist" in row_field(response.content.decode(), "evidence", world.a_east)


def test_empty_batch_saves_nothing(world, items, login):
    response = post(
        login(world.staff_east), {points(world.a_east, items["clean"]): " "}, grid=world.grid_east
    )
    assert_nothing_saved(response)
    assert "没有填写任何分值" in response.content.decode()


# --- query count ----------------------------------------------------------------------


@pytest.fixture
def five_items(items, standard):
    """Five items that neither need a photo nor hit a cap with one entry each."""
    extra = ScoringItem.objects.create(
        standard=standard,
        code="WM01",
        name="文明家庭",
        category=ScoringItem.Category.CIVILITY,
        direction=ScoringItem.Direction.ADD,
        default_points=3,
        min_points=1,
        max_points=5,
    )
    # No veto among them: a veto needs a photo per row, stored one by one (tested elsewhere).
    spitting = ScoringItem.objects.create(
        standard=items["clean"].standard,
        code="WM09",
        name="随地吐痰",
        category=ScoringItem.Category.CIVILITY,
        direction=ScoringItem.Direction.DEDUCT,
        default_points=2,
        min_points=1,
        max_points=5,
    )
    return [items["clean"], items["volunteer"], items["litter"], spitting, extra]


# Session, user, grids, the photo items, then the service: lock, households (and their
# communities and cooperatives, fetched once each, not joined on every row), items, the
# community lock (month close), standards, closed months, paid years, two cap sums, one
# insert, one audit record (+ savepoints).
SAVE_QUERY_BOUND = 19
# Session, user, grids, households, standards, items, month points, year scores, closed months.
PAGE_QUERY_BOUND = 11


def _batch(households, items_):
    return {points(h, item): str(item.default_points) for h in households for item in items_}


def test_saving_runs_a_bounded_number_of_queries(
    world, five_items, login, django_assert_max_num_queries
):
    households = [world.a_east, world.b_east] + [
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            micro_grid_=world.grid_east,
            head_name=f"住户{n}",
        )
        for n in range(8)
    ]
    client = login(world.staff_east)

    with CaptureQueriesContext(connection) as large:
        with django_assert_max_num_queries(SAVE_QUERY_BOUND):
            response = post(client, _batch(households, five_items), grid=world.grid_east)
    assert response.status_code == 302
    assert ScoreEvent.objects.count() == 50

    with CaptureQueriesContext(connection) as small:
        with django_assert_max_num_queries(SAVE_QUERY_BOUND):
            response = post(
                client,
                _batch(households[:2], five_items[:1]),
                grid=world.grid_east,
                month="2026-09",
            )
    assert response.status_code == 302
    assert ScoreEvent.objects.count() == 52
    # Not merely under the bound: the count does not grow with the batch.
    assert len(large.captured_queries) == len(small.captured_queries)


def test_showing_the_grid_runs_a_bounded_number_of_queries(
    world, five_items, login, django_assert_max_num_queries
):
    client = login(world.staff_east)
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"month": MONTH, "grid": world.grid_east.pk})
    for n in range(10):
        factories.household(
            cooperative_=world.coop_b,
            community_=world.east,
            micro_grid_=world.grid_east,
            head_name=f"住户{n}",
        )
    with (
        CaptureQueriesContext(connection) as large,
        django_assert_max_num_queries(PAGE_QUERY_BOUND),
    ):
        response = client.get(URL, {"month": MONTH, "grid": world.grid_east.pk})
    assert response.content.decode().count('class="batch-row') == 12
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_refused_save_lists_each_problem_with_a_link_to_its_cell(world, items, login):
    client = login(world.staff_east)
    response = post(
        client,
        {
            points(world.a_east, items["clean"]): "50",  # out of range
            points(world.b_east, items["volunteer"]): "2",
            f"d-{world.b_east.pk}": "2026-09-01",  # not in the month
        },
        grid=world.grid_east,
    )
    html = response.content.decode()
    top = re.search(r'<div class="message error batch-errors".*?</div>', html, re.S).group(0)
    assert f'href="#id_p-{world.a_east.pk}-{items["clean"].pk}"' in top
    assert "A001 王建国 · 庭院整洁：分值 50 超出" in top
    assert f'href="#id_d-{world.b_east.pk}"' in top
    assert f'id="id_d-{world.b_east.pk}"' in html
    assert ScoreEvent.objects.count() == 0
