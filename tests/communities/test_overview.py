"""The subdistrict overview (issue 14): matrix, statistics, 红黑榜, cooperative overview,
against hand-counted fixtures, as the right and the wrong user."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditRecord
from communities import services
from communities.models import Community
from communities.services import Entry
from dividends.models import DividendLine, DividendRun
from overview import selectors as overview_selectors
from overview import views as overview_views
from tests import factories

from .conftest import YEAR

TODAY = date(YEAR, 6, 15)


def record(actor, household, item, day, points=None):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[Entry(household_id=household.pk, item_id=item.pk, occurred_on=day, points=points)],
        today=TODAY,
    )
    return event


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(overview_views, "today", lambda: TODAY)


@pytest.fixture
def scored(world, items):
    """Hand-counted year (base 80, bounds 0–120):

    - A001 (甲, 东湖): 庭院整洁 +5 in Feb, 乱堆乱放 −3 in May → 82, scored
    - A002 (甲, 西湖): 志愿服务 +2 in Mar, reversed → 80, not scored
    - B001 (乙, 东湖): nothing → 80, not scored
    - B002 (乙, 西湖): 乱堆乱放 −5 in Apr → 75, scored
    东湖 closed May (last month); 西湖 did not.
    """
    record(world.staff_east, world.a_east, items["clean"], date(YEAR, 2, 10), "5")
    record(world.staff_east, world.a_east, items["litter"], date(YEAR, 5, 10), "3")
    volunteer = record(world.staff_west, world.a_west, items["volunteer"], date(YEAR, 3, 10), "2")
    services.score_event_reverse(actor=world.staff_west, event=volunteer, reason="录错户")
    record(world.staff_west, world.b_west, items["litter"], date(YEAR, 4, 10), "5")
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 5, 1), today=TODAY
    )
    return world


# --- Linkage matrix ----------------------------------------------------------------------


def test_matrix_matches_the_hand_count(scored):
    w = scored
    matrix = overview_selectors.linkage_matrix(user=w.admin, year=YEAR, today=TODAY)
    va, vb = w.coop_a.village_id, w.coop_b.village_id
    cells = {
        key: (cell.households, cell.scored, cell.average) for key, cell in matrix.cells.items()
    }
    assert cells == {
        (va, w.east.pk): (1, 1, Decimal("82.0")),
        (va, w.west.pk): (1, 0, Decimal("80.0")),
        (vb, w.east.pk): (1, 0, Decimal("80.0")),
        (vb, w.west.pk): (1, 1, Decimal("75.0")),
    }
    assert (matrix.row_totals[va].households, matrix.row_totals[va].average) == (2, Decimal("81.0"))
    assert (matrix.column_totals[w.west.pk].scored, matrix.column_totals[w.west.pk].average) == (
        1,
        Decimal("77.5"),
    )
    # (82 + 80 + 80 + 75) / 4 = 79.25 → 79.3
    assert (matrix.total.households, matrix.total.scored, matrix.total.average) == (
        4,
        2,
        Decimal("79.3"),
    )
    assert [community.code for community in matrix.behind] == ["WEST"]


def test_matrix_page_shows_the_theme_of_a_village_scoring_itself(scored, standard, login):
    standard.theme = "美丽庭院"
    standard.save()
    # 甲村 still has its own village committee; 乙村 was dissolved into the communities.
    Community.objects.create(
        town=factories.town(),
        code="JIA",
        name="甲村村委会",
        kind=Community.Kind.VILLAGE_COMMITTEE,
        village=scored.coop_a.village,
    )
    response = login(scored.admin).get(reverse("overview:matrix"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "美丽庭院" in body
    assert body.count("村委会自评") == 1
    table = body.split('class="table matrix-table"', 1)[1]  # the full table, after the heat map
    row = table.split(scored.coop_a.village.name, 1)[1].split("</th>", 1)[0]
    assert "村委会自评" in row


def test_staff_see_only_their_community_in_the_matrix(scored, login):
    w = scored
    matrix = overview_selectors.linkage_matrix(user=w.staff_east, year=YEAR, today=TODAY)
    assert [community.code for community in matrix.communities] == ["EAST"]
    assert set(matrix.cells) == {(w.coop_a.village_id, w.east.pk), (w.coop_b.village_id, w.east.pk)}
    body = login(w.staff_east).get(reverse("overview:matrix")).content.decode()
    assert "西湖社区" not in body


def test_accountant_sees_only_their_cooperative_in_the_matrix(scored):
    matrix = overview_selectors.linkage_matrix(user=scored.accountant_a, year=YEAR, today=TODAY)
    assert {village for village, _ in matrix.cells} == {scored.coop_a.village_id}
    assert matrix.total.households == 2


def test_matrix_cell_lists_only_households_in_scope(scored, login):
    w = scored
    url = reverse("overview:matrix_cell", args=[w.coop_a.village_id, w.east.pk])
    assert "王建国" in login(w.admin).get(url).content.decode()
    # Staff of 西湖 open a 东湖 cell: nothing of it is theirs.
    body = login(w.staff_west).get(url).content.decode()
    assert "王建国" not in body


@pytest.mark.parametrize(
    "name", ["overview:matrix", "overview:statistics", "overview:cooperatives"]
)
def test_villagers_may_not_open_the_overview_pages(scored, login, name):
    client = login(scored.villager_a)
    assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse(name), {"format": "xlsx"}).status_code == 403


def test_villager_may_not_open_a_matrix_cell(scored, login):
    url = reverse("overview:matrix_cell", args=[scored.coop_a.village_id, scored.east.pk])
    assert login(scored.villager_a).get(url).status_code == 403


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_matrix_xlsx_is_scoped_and_formula_safe(scored, login):
    Community.objects.filter(pk=scored.east.pk).update(name="=HYPERLINK(1)")
    book = _workbook(login(scored.staff_east).get(reverse("overview:matrix"), {"format": "xlsx"}))
    rows = list(book.worksheets[0].values)
    assert rows[0][:3] == ("行政村", "主题", "社区")
    communities = {row[2] for row in rows[1:]}
    assert "'=HYPERLINK(1)" in communities
    assert "西湖社区" not in communities
    assert sum(row[3] for row in rows[1:] if row[2] != "合计") == 2


# --- Statistics --------------------------------------------------------------------------


def test_statistics_match_the_hand_count(scored):
    w = scored
    stats = overview_selectors.statistics(user=w.admin, year=YEAR, month_from=1, month_to=6)
    categories = {row["category"]: row for row in stats["categories"]}
    environment = categories["environment"]
    # 庭院整洁 +5, 乱堆乱放 −3, 乱堆乱放 −5; the reversed 志愿服务 counts no event, nets 0.
    assert (environment["events"], environment["adds"], environment["deducts"]) == (3, 1, 2)
    assert environment["points"] == Decimal("-3")
    assert (categories["participation"]["events"], categories["participation"]["points"]) == (
        0,
        Decimal("0"),
    )
    items = {row["item__name"]: (row["events"], row["points"]) for row in stats["items"]}
    assert items["乱堆乱放"] == (2, Decimal("-8"))
    assert (stats["households"], stats["participants"], stats["participation"]) == (
        4,
        1,
        Decimal("25.0"),
    )
    by_community = {row["community"].code: row for row in stats["by_community"]}
    assert (by_community["EAST"]["events"], by_community["EAST"]["points"]) == (2, Decimal("2"))
    assert by_community["EAST"]["participation"] == Decimal("50.0")
    assert (by_community["WEST"]["events"], by_community["WEST"]["points"]) == (1, Decimal("-5"))
    assert by_community["WEST"]["participation"] == Decimal("0.0")
    by_village = {row["household__cooperative__village__name"]: row for row in stats["by_village"]}
    assert by_village[w.coop_a.village.name]["points"] == Decimal("2")
    assert by_village[w.coop_b.village.name]["points"] == Decimal("-5")
    assert {row["label"]: row["count"] for row in stats["histogram"]} == {
        "<60": 0,
        "60–70": 0,
        "70–80": 1,
        "80–90": 3,
        "90–100": 0,
        "100–110": 0,
        "110–120": 0,
        "≥120": 0,
    }
    trend = {row["month"]: (row["events"], row["points"]) for row in stats["trend"]}
    assert trend == {
        1: (0, Decimal("0")),
        2: (1, Decimal("5")),
        3: (0, Decimal("0")),
        4: (1, Decimal("-5")),
        5: (1, Decimal("-3")),
        6: (0, Decimal("0")),
    }


def test_statistics_month_range(scored):
    stats = overview_selectors.statistics(user=scored.admin, year=YEAR, month_from=4, month_to=5)
    (environment,) = [row for row in stats["categories"] if row["category"] == "environment"]
    assert (environment["events"], environment["points"]) == (2, Decimal("-8"))
    assert [row["month"] for row in stats["trend"]] == [4, 5]
    # Annual scores up to April: A001 85, A002 80, B001 80, B002 75.
    assert {row["label"]: row["count"] for row in stats["histogram"]}["80–90"] == 3


def test_statistics_scope_for_staff(scored):
    stats = overview_selectors.statistics(
        user=scored.staff_west, year=YEAR, month_from=1, month_to=12
    )
    assert [row["community"].code for row in stats["by_community"]] == ["WEST"]
    assert stats["households"] == 2
    assert sum(row["count"] for row in stats["histogram"]) == 2


def test_statistics_page_and_xlsx(scored, login):
    client = login(scored.staff_east)
    response = client.get(reverse("overview:statistics"), {"year": YEAR})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="overview-chart-data"' in body
    assert "vendor/chartjs/chart.umd.min.js" in body
    book = _workbook(client.get(reverse("overview:statistics"), {"year": YEAR, "format": "xlsx"}))
    assert [sheet.title for sheet in book.worksheets][:2] == ["按类别", "按积分项"]
    community_rows = list(book["按社区"].values)[1:]
    assert [row[0] for row in community_rows] == ["东湖社区"]


def test_a_year_still_to_come_shows_this_year(scored, login):
    # One "months of a year" rule: a year still to come has no months, so the overview
    # shows this year (to this month), as the points chart and the card already did.
    query = {"year": YEAR + 1, "community": scored.east.pk}
    period = overview_views._period(RequestFactory().get("/", query))
    assert period == (YEAR, 1, TODAY.month, TODAY.month, scored.east.pk)
    past = overview_views._period(RequestFactory().get("/", {"year": YEAR - 1}))
    assert past[:4] == (YEAR - 1, 1, 12, 12)


# --- Query bound -------------------------------------------------------------------------


def _grow(world, items, count):
    """`count` more households in 东湖, each with an add in February."""
    for n in range(count):
        household = factories.household(
            cooperative_=world.coop_a, community_=world.east, number=f"X{n:04d}"
        )
        record(world.staff_east, household, items["clean"], date(YEAR, 2, 1), "2")


@pytest.mark.parametrize("extra", [0, 30])
def test_overview_pages_run_a_bounded_number_of_queries(
    scored, items, login, django_assert_max_num_queries, extra
):
    _grow(scored, items, extra)
    client = login(scored.admin)
    for name, bound in (
        ("overview:matrix", 12),
        ("overview:statistics", 16),
        ("overview:honor_roll", 12),
        ("overview:cooperatives", 10),
    ):
        with django_assert_max_num_queries(bound):
            assert client.get(reverse(name), {"year": YEAR}).status_code == 200
    with django_assert_max_num_queries(13):  # opening on the latest month: one more
        assert client.get(reverse("overview:honor_roll")).status_code == 200
    with django_assert_max_num_queries(24):
        assert client.get(reverse("home")).status_code == 200


# --- 红黑榜 ---------------------------------------------------------------------------------


def test_honor_roll_for_staff(scored):
    red, black = overview_selectors.honor_roll(community=scored.east, month=date(YEAR, 2, 1))
    assert [(row["household"].number, row["points"]) for row in red] == [("A001", Decimal("5"))]
    assert black == []
    red, black = overview_selectors.honor_roll(community=scored.east, month=date(YEAR, 5, 1))
    assert red == []
    assert [(row["household"].number, row["points"]) for row in black] == [("A001", Decimal("-3"))]


def test_honor_roll_page_shows_both_lists_to_staff(scored, login):
    body = (
        login(scored.staff_east)
        .get(reverse("overview:honor_roll"), {"year": YEAR, "month": 5})
        .content.decode()
    )
    assert "黑榜" in body and "王建国" in body


def test_staff_may_not_open_another_communitys_honor_roll(scored, login):
    client = login(scored.staff_west)
    url = reverse("overview:honor_roll")
    assert client.get(url, {"community": scored.east.pk}).status_code == 404
    assert client.get(url, {"community": scored.east.pk, "format": "xlsx"}).status_code == 404
    setting = reverse("overview:honor_roll_setting", args=[scored.east.pk])
    assert client.post(setting, {"published": "1"}).status_code == 404
    scored.east.refresh_from_db()
    assert not scored.east.honor_roll_published


@pytest.mark.parametrize("who", ["accountant_a", "supervisor_a"])
def test_accountants_and_supervisors_do_not_see_the_honor_roll(scored, login, who):
    assert login(getattr(scored, who)).get(reverse("overview:honor_roll")).status_code == 403


def test_villager_sees_nothing_until_published(scored, login):
    client = login(scored.villager_a)
    body = client.get(reverse("overview:honor_roll"), {"year": YEAR, "month": 2}).content.decode()
    assert "尚未公布" in body
    assert "王*国" not in body and "王建国" not in body


def test_villager_sees_only_the_published_red_list_of_their_community(scored, login):
    staff = login(scored.staff_east)
    response = staff.post(
        reverse("overview:honor_roll_setting", args=[scored.east.pk]), {"published": "1"}
    )
    assert response.status_code == 302
    assert AuditRecord.objects.filter(action="community.honor_roll_published").exists()
    client = login(scored.villager_a)
    url = reverse("overview:honor_roll")
    body = client.get(url, {"year": YEAR, "month": 2}).content.decode()
    assert "王*国" in body and "王建国" not in body
    # May: A001 is on the 黑榜 only; a villager never sees it.
    body = client.get(url, {"year": YEAR, "month": 5}).content.decode()
    assert "黑榜" not in body and "王*国" not in body and "-3" not in body
    # Asking for the black list or an export changes nothing.
    body = client.get(url, {"year": YEAR, "month": 5, "format": "xlsx"}).content.decode()
    assert "黑榜" not in body
    # Another community's list: never.
    assert client.get(url, {"community": scored.west.pk}).status_code == 404


def test_villager_of_an_unpublished_community_sees_nothing(scored, login):
    Community.objects.filter(pk=scored.east.pk).update(honor_roll_published=True)
    # villager_b lives in 西湖 (not published); 东湖's list stays hidden from them.
    body = (
        login(scored.villager_b)
        .get(reverse("overview:honor_roll"), {"year": YEAR, "month": 2})
        .content.decode()
    )
    assert "尚未公布" in body and "王*国" not in body


# --- Cooperative overview ----------------------------------------------------------------


def _run(cooperative, year, *, version=1, status=DividendRun.Status.APPROVED, creator, **money):
    values = {
        "total": Decimal("1000.00"),
        "base_pool": Decimal("800.00"),
        "incentive_pool": Decimal("200.00"),
        "incentive_paid": Decimal("150.00"),
        "remainder": Decimal("50.00"),
        **{key: Decimal(value) for key, value in money.items()},
    }
    return DividendRun.objects.create(
        cooperative=cooperative,
        year=year,
        version=version,
        record_date=date(year, 12, 31),
        incentive_mode=DividendRun.IncentiveMode.FIXED,
        incentive_value=values["incentive_pool"],
        policy=DividendRun.Policy.SCORE,
        status=status,
        created_by=creator,
        **values,
    )


def _line(run, household, base, incentive):
    DividendLine.objects.create(
        run=run,
        household=household,
        household_number=household.number,
        head_name=household.head_name,
        weighted_shares=Decimal("1"),
        score=Decimal("80"),
        base_amount=Decimal(base),
        incentive_amount=Decimal(incentive),
        total_amount=Decimal(base) + Decimal(incentive),
    )


@pytest.fixture
def runs(world):
    w = world
    this_a = _run(w.coop_a, YEAR, status=DividendRun.Status.COMPUTED, creator=w.accountant_a)
    _line(this_a, w.a_east, "500.00", "100.00")
    _line(this_a, w.a_west, "300.00", "50.00")
    # A draft later version does not replace the computed one… the approved one would.
    _run(w.coop_a, YEAR, version=2, status=DividendRun.Status.DRAFT, creator=w.accountant_a)
    last_a = _run(
        w.coop_a,
        YEAR - 1,
        creator=w.accountant_a,
        total="900.00",
        base_pool="700.00",
        incentive_pool="200.00",
        incentive_paid="180.00",
        remainder="20.00",
    )
    _line(last_a, w.a_east, "400.00", "100.00")
    _line(last_a, w.a_west, "300.00", "80.00")
    this_b = _run(
        w.coop_b,
        YEAR,
        creator=w.accountant_b,
        total="500.00",
        base_pool="400.00",
        incentive_pool="100.00",
        incentive_paid="100.00",
        remainder="0.00",
    )
    _line(this_b, w.b_east, "400.00", "100.00")
    return w


def test_cooperative_overview_matches_the_hand_count(runs):
    data = overview_selectors.cooperative_overview(user=runs.admin, year=YEAR)
    a, b = data["rows"]
    # The latest version (a draft, v2) is chosen when none is approved: no payments yet.
    assert a["current"]["run"].version == 2 and a["current"]["base_paid"] is None
    assert a["previous"]["base_paid"] == Decimal("700.00")
    assert a["change"]["total"] == Decimal("100.00")
    assert b["current"]["base_paid"] == Decimal("400.00")
    assert b["previous"] is None
    totals = data["totals"]
    assert totals["current"]["total"] == Decimal("1500.00")
    assert totals["current"]["base_paid"] == Decimal("400.00")
    assert totals["previous"]["remainder"] == Decimal("20.00")


def test_cooperative_overview_prefers_the_approved_run(runs):
    DividendRun.objects.filter(cooperative=runs.coop_a, year=YEAR, version=2).delete()
    data = overview_selectors.cooperative_overview(user=runs.accountant_a, year=YEAR)
    (a,) = data["rows"]
    assert a["cooperative"] == runs.coop_a
    assert a["current"]["base_paid"] == Decimal("800.00")
    assert a["change"]["base_paid"] == Decimal("100.00")
    assert a["change"]["incentive_paid"] == Decimal("-30.00")


@pytest.mark.parametrize("who", ["staff_east", "villager_a"])
def test_cooperative_overview_refused(runs, login, who):
    client = login(getattr(runs, who))
    assert client.get(reverse("overview:cooperatives")).status_code == 403
    assert client.get(reverse("overview:cooperatives"), {"format": "xlsx"}).status_code == 403


def test_cooperative_overview_xlsx_for_a_supervisor_is_scoped(runs, login):
    book = _workbook(
        login(runs.supervisor_b).get(
            reverse("overview:cooperatives"), {"year": YEAR, "format": "xlsx"}
        )
    )
    names = {row[0] for row in list(book.worksheets[0].values)[1:]}
    assert runs.coop_b.name in names and runs.coop_a.name not in names


def test_overview_pages_show_no_english_words_in_chinese(scored, runs, login):
    from tests.test_i18n import english_words

    client = login(scored.admin)
    for url in (
        reverse("overview:matrix"),
        reverse("overview:matrix_cell", args=[scored.coop_a.village_id, scored.east.pk]),
        reverse("overview:statistics"),
        reverse("overview:honor_roll"),
        reverse("overview:cooperatives"),
    ):
        assert english_words(client.get(url, {"year": YEAR}), "admin") == set(), url
    # The audit trail names logins without a real name by their login (staff_east): data.
    response = client.get(reverse("accounts:audit_list"))
    assert english_words(response, "admin", "staff", "east", "west") == set()


@pytest.mark.parametrize("who", ["villager_a", "accountant_a", "supervisor_a"])
def test_only_staff_and_admin_change_the_publication(scored, login, who):
    url = reverse("overview:honor_roll_setting", args=[scored.east.pk])
    assert login(getattr(scored, who)).post(url, {"published": "1"}).status_code == 403
    scored.east.refresh_from_db()
    assert not scored.east.honor_roll_published


def test_statistics_xlsx_for_an_accountant_counts_only_their_cooperative(scored, login):
    book = _workbook(
        login(scored.accountant_b).get(
            reverse("overview:statistics"), {"year": YEAR, "month_to": 6, "format": "xlsx"}
        )
    )
    villages = [row[0] for row in list(book["按行政村"].values)[1:]]
    assert villages == [scored.coop_b.village.name]
    bands = {row[0]: row[1] for row in list(book["年度积分分布"].values)[1:]}
    assert sum(bands.values()) == 2  # B001 and B002 only
