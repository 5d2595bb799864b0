"""The rectification figures on the statistics page (issue 25, point 3): rate, median days
to rectify and overdue counts per micro-grid, community and town, read through the one
rule (`communities.selectors.rectification_statistics`) for the user's scope and the
page's year and months, on the page and in its xlsx, checked against a recomputation by
hand from the rows."""

import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from communities.models import Rectification, RectificationInspection, ScoreEvent
from communities.services import rectification_inspect, score_event_reverse
from overview import selectors as overview_selectors
from overview import views as overview_views
from tests import factories
from tests.communities.test_rectification import deduct, rectifiable  # noqa: F401
from villages.models import Town

TODAY = date(2026, 6, 15)
STATISTICS = reverse("overview:statistics")
ON_TIME, LATE, NOT = (
    RectificationInspection.Result.ON_TIME,
    RectificationInspection.Result.LATE,
    RectificationInspection.Result.NOT_RECTIFIED,
)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(overview_views, "today", lambda: TODAY)


@pytest.fixture
def cases(world, rectifiable):  # noqa: F811
    """Deductions under 乱堆乱放 (7 days to rectify), today 2026-06-15:

    - A001 (东湖, 东一): 03-10, on time, inspected 03-14 (4 days)
    - B001 (东湖, 东一): 03-10, late, inspected 03-20 (10 days)
    - A002 (西湖, 西一): 03-10, not rectified (03-19)
    - B002 (西湖, 西一): 03-10, never inspected: overdue; and 06-12, open, due 06-19
    - A001: 05-02, reversed: dropped from every figure
    - D001 (独山港镇's 港口社区, no grid): 04-01, on time, inspected 04-03 (2 days)
    """
    inspect = [
        (deduct(world, rectifiable), ON_TIME, 4, world.staff_east),
        (deduct(world, rectifiable, household=world.b_east), LATE, 10, world.staff_east),
        (
            deduct(world, rectifiable, household=world.a_west, actor=world.staff_west),
            NOT,
            9,
            world.staff_west,
        ),
    ]
    deduct(world, rectifiable, household=world.b_west, actor=world.staff_west)
    deduct(
        world,
        rectifiable,
        household=world.b_west,
        actor=world.staff_west,
        occurred_on=date(2026, 6, 12),
    )
    dropped = deduct(world, rectifiable, occurred_on=date(2026, 5, 2))
    score_event_reverse(actor=world.staff_east, event=dropped, reason="录错户")
    dushangang = factories.town(code="DSG", name="独山港镇", kind=Town.Kind.TOWN)
    harbour = factories.community(code="GANGKOU", name="港口社区", town_=dushangang)
    # 独山港镇's administrator scores where the household lives (linkage across towns).
    dsg_admin = factories.user(
        username="admin_dsg", role=User.Role.SUBDISTRICT_ADMIN, town=dushangang, is_staff=True
    )
    d001 = factories.household(
        cooperative_=world.coop_a, community_=harbour, number="D001", head_name="孙海"
    )
    day = date(2026, 4, 1)
    inspect.append(
        (deduct(world, rectifiable, household=d001, actor=dsg_admin, occurred_on=day),)
        + (ON_TIME, 2, dsg_admin)
    )
    for event, result, days, actor in inspect:
        rectification_inspect(
            actor=actor,
            rectification=event.rectification,
            result=result,
            today=event.occurred_on + timedelta(days=days),
        )
    world.harbour = harbour
    return world


def recomputed(rows, *, today):
    """(opened, on time, late, not rectified, open, overdue, rate, median days) of the
    rectifications `rows`, counted here by hand from the rows themselves."""
    results = [r.inspection_or_none.result if r.inspection_or_none else None for r in rows]
    on_time, late, never = (results.count(k) for k in (ON_TIME, LATE, NOT))
    opened = [r for r, result in zip(rows, results, strict=True) if result is None]
    overdue = sum(r.due_on < today for r in opened)
    due = on_time + late + never + overdue
    rate = (
        (Decimal(100 * (on_time + late)) / due).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if due
        else None
    )
    days = [
        (r.inspection.inspected_on - r.deduction.occurred_on).days
        for r, result in zip(rows, results, strict=True)
        if result in (ON_TIME, LATE)
    ]
    middle = Decimal(str(median(days))).quantize(Decimal("0.1")) if days else None
    return (len(rows), on_time, late, never, len(opened), overdue, rate, middle)


def as_tuple(f):
    median_days = f.median_days.quantize(Decimal("0.1")) if f.median_days is not None else None
    return (f.opened, f.on_time, f.late, f.not_rectified, f.open, f.overdue, f.rate, median_days)


def live(**filters):
    """Live rectifications in 2026, by hand: the deduction not reversed (nothing here
    needs review)."""
    return [
        r
        for r in Rectification.objects.filter(deduction__occurred_on__year=2026, **filters)
        if not ScoreEvent.objects.filter(reverses=r.deduction).exists()
    ]


def test_the_figures_match_a_recomputation_from_the_rows(cases):
    w = cases
    figures = overview_selectors.statistics_rectifications(
        user=w.admin, year=2026, month_from=1, month_to=6, today=TODAY
    )

    assert as_tuple(figures["total"]) == recomputed(live(), today=TODAY)
    # Written out: 3 rectified (on time 2, late 1) of 5 due (with the not rectified and
    # the overdue one); median of 2, 4 and 10 days; the 06-12 one is open, not yet due.
    assert as_tuple(figures["total"]) == (6, 2, 1, 1, 2, 1, Decimal("60.0"), Decimal("4.0"))
    towns = {town.code: f for town, f in figures["towns"]}
    assert list(towns) == ["DANGHU", "DSG"]
    assert as_tuple(towns["DANGHU"]) == recomputed(
        live(household__community__town__code="DANGHU"), today=TODAY
    )
    assert as_tuple(towns["DSG"]) == (1, 1, 0, 0, 0, 0, Decimal("100.0"), Decimal("2.0"))
    communities = {c.code: f for c, f in figures["communities"]}
    assert list(communities) == ["EAST", "WEST", "GANGKOU"]  # by town, then code
    for code, f in communities.items():
        assert as_tuple(f) == recomputed(live(household__community__code=code), today=TODAY)
    assert as_tuple(communities["EAST"]) == (2, 1, 1, 0, 0, 0, Decimal("100.0"), Decimal("7.0"))
    assert as_tuple(communities["WEST"]) == (3, 0, 0, 1, 2, 1, Decimal("0.0"), None)
    grids = {g.code: f for g, f in figures["grids"]}
    assert list(grids) == ["E1", "W1"]  # D001 has no grid: counted above grids only
    for code, f in grids.items():
        assert as_tuple(f) == recomputed(live(household__micro_grid__code=code), today=TODAY)


def test_the_months_of_the_page_choose_the_deductions(cases):
    march = overview_selectors.statistics_rectifications(
        user=cases.admin, year=2026, month_from=3, month_to=3, today=TODAY
    )
    assert as_tuple(march["total"]) == (4, 1, 1, 1, 1, 1, Decimal("50.0"), Decimal("7.0"))
    assert [c.code for c, _ in march["communities"]] == ["EAST", "WEST"]
    # Overdue is counted as of the day asked: the 06-12 one is due 06-19.
    later = overview_selectors.statistics_rectifications(
        user=cases.admin, year=2026, month_from=6, month_to=6, today=date(2026, 6, 20)
    )
    assert as_tuple(later["total"]) == (1, 0, 0, 0, 1, 1, Decimal("0.0"), None)
    last_year = overview_selectors.statistics_rectifications(
        user=cases.admin, year=2025, month_from=1, month_to=12, today=TODAY
    )
    assert last_year["communities"] == [] and last_year["total"].opened == 0


def test_each_user_sees_the_figures_of_their_own_scope(cases):
    west = overview_selectors.statistics_rectifications(
        user=cases.staff_west, year=2026, month_from=1, month_to=6, today=TODAY
    )
    assert as_tuple(west["total"]) == recomputed(live(household__community=cases.west), today=TODAY)
    assert [c.code for c, _ in west["communities"]] == ["WEST"]
    assert [g.code for g, _ in west["grids"]] == ["W1"]
    # The accountant of 甲: A001 (东湖), A002 (西湖) and D001 (港口), wherever they live.
    coop_a = overview_selectors.statistics_rectifications(
        user=cases.accountant_a, year=2026, month_from=1, month_to=6, today=TODAY
    )
    assert as_tuple(coop_a["total"]) == recomputed(
        live(household__cooperative=cases.coop_a), today=TODAY
    )
    assert coop_a["total"].opened == 3


def test_the_page_shows_the_summary_first_and_the_tables_behind_a_tap(cases, login):
    page = login(cases.admin).get(STATISTICS, {"year": 2026, "month_to": 6}).content.decode()

    section = page.split('id="statistics-rectification"', 1)[1].split("</section>", 1)[0]
    summary, tables = section.split("<details", 1)
    # Rate, median days and overdue, before any table.
    assert "60.0%" in summary and '<div class="value">4</div>' in summary
    assert section.count("data-closed-on-phone") == 3  # towns, communities, grids
    assert "按镇（街道）" in section and "独山港镇" in section
    assert "东湖社区 · 东一网格" in tables
    # Staff of 西湖 see neither 东湖 nor the town rows (one town only).
    west = login(cases.staff_west).get(STATISTICS, {"year": 2026}).content.decode()
    section = west.split('id="statistics-rectification"', 1)[1].split("</section>", 1)[0]
    assert "东湖" not in section and "按镇（街道）" not in section
    assert "西湖社区 · 西一网格" in section and "0.0%" in section


def test_the_xlsx_has_the_figures_sheet(cases, login):
    response = login(cases.admin).get(STATISTICS, {"year": 2026, "month_to": 6, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content))["整改情况"].values)

    assert rows[0][:4] == ("范围", "名称", "社区", "整改数")
    by_name = {(row[0], row[1]): row[3:] for row in rows[1:]}  # an empty name reads as None
    assert by_name[("合计", None)] == (6, 2, 1, 1, 2, 1, 60, 4)
    assert by_name[("镇（街道）", "独山港镇")] == (1, 1, 0, 0, 0, 0, 100, 2)
    assert by_name[("社区", "西湖社区")] == (3, 0, 0, 1, 2, 1, 0, None)
    assert by_name[("微网格", "东一网格")] == (2, 1, 1, 0, 0, 0, 100, 7)


@pytest.mark.parametrize("extra", [0, 12])
def test_the_figures_run_a_bounded_number_of_queries(
    cases, items, login, django_assert_max_num_queries, extra
):
    w = cases
    for n in range(extra):  # a grid and a community more, each with a rectification
        community = factories.community()
        grid = factories.micro_grid(community_=community)
        household = factories.household(
            cooperative_=w.coop_b, community_=community, micro_grid_=grid, number=f"X{n:03d}"
        )
        deduct(w, items["litter"], household=household, actor=w.admin)
    with django_assert_max_num_queries(3):
        figures = overview_selectors.statistics_rectifications(
            user=w.admin, year=2026, month_from=1, month_to=6, today=TODAY
        )
        assert len(figures["grids"]) == 2 + extra
    client = login(w.admin)
    with django_assert_max_num_queries(16):  # as in test_overview.py
        assert client.get(STATISTICS, {"year": 2026}).status_code == 200
