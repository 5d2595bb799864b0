"""Monthly points chart (美丽积分图): scope, hand-computed values, the low list, CSV, queries."""

import csv
import io
import os
import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from communities import chart_views
from communities.models import ScoreEvent
from communities.services import Entry, score_events_record
from tests import factories

URL = reverse("communities:points_chart")
TODAY = date(2026, 11, 25)

# Hand-computed running scores, base 80, January → November 2026 (see `scored`).
A_EAST = ["50", "50", "50", "50", "50", "60", "70", "80", "80", "80", "85"]
B_EAST = ["70", "70", "70", "70", "70", "70", "70", "50", "45", "45", "45"]
C_EAST = ["80", "80", "80", "80", "80", "80", "80", "80", "80", "55", "55"]
# (a + b + c) / 3 per month, to one decimal, half up.
EAST_AVERAGE = ["66.7", "66.7", "66.7", "66.7", "66.7", "70", "73.3", "70", "68.3", "60", "61.7"]


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(chart_views, "today", lambda: TODAY)


def _event(household, item, points, day, actor):
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=Decimal(points),
        occurred_on=day,
        community=household.community,
        entered_by=actor,
    )


@pytest.fixture
def scored(world, items):
    """Three households of the east grid: one improving, one persistently low, one lately low."""
    staff = world.staff_east
    c_east = factories.household(
        cooperative_=world.coop_a,
        community_=world.east,
        micro_grid_=world.grid_east,
        number="A003",
        head_name="孙丽华",
    )
    # a_east: 50 in January, climbs back to 80 by August, 85 in November: improving.
    for day in (date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 20)):
        _event(world.a_east, items["litter"], "-10", day, staff)
    for month in (6, 7, 8):
        _event(world.a_east, items["clean"], "10", date(2026, month, 3), staff)
    # b_east: 70 from January, 50 in August (veto item), 45 from September: low for 4 months.
    _event(world.b_east, items["litter"], "-10", date(2026, 1, 8), staff)
    _event(world.b_east, items["crime"], "-20", date(2026, 8, 9), staff)
    _event(world.b_east, items["litter"], "-5", date(2026, 9, 9), staff)
    # c_east: 80 until September, 55 in October and November: low for 2 months.
    for day, points in (
        (date(2026, 10, 2), "-10"),
        (date(2026, 10, 15), "-10"),
        (date(2026, 10, 28), "-5"),
    ):
        _event(c_east, items["litter"], points, day, staff)
    # This month's entry goes through the batch service, as on the batch page.
    score_events_record(
        actor=staff,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["clean"].pk,
                occurred_on=date(2026, 11, 10),
                points=Decimal("5"),
            )
        ],
        today=TODAY,
    )
    # West: one deduction, so there is something to (not) leak.
    _event(world.a_west, items["litter"], "-10", date(2026, 3, 1), world.staff_west)
    return c_east


def _rows(response):
    return {
        row["household"].number: [cell["text"] for cell in row["cells"]]
        for row in response.context["rows"]
    }


def _low(response):
    return [(row["household"].number, row["streak"]) for row in response.context["low"]]


# --- who may see -------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(URL, {"grid": world.grid_east.pk})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["villager_a", "accountant_a"])
@pytest.mark.parametrize("query", [{}, {"grid": "E"}, {"format": "csv", "grid": "E"}])
def test_villagers_and_accountants_are_refused(login, world, who, query):
    if "grid" in query:
        query = {**query, "grid": world.grid_east.pk}
    response = login(getattr(world, who)).get(URL, query)
    assert response.status_code == 403


@pytest.mark.parametrize("query", ["grid", "community"])
@pytest.mark.parametrize("export", [False, True])
def test_staff_outside_scope_get_404(login, world, standard, query, export):
    target = world.grid_east if query == "grid" else world.east
    params = {query: target.pk, **({"format": "csv"} if export else {})}
    response = login(world.staff_west).get(URL, params)
    assert response.status_code == 404


def test_unknown_grid_is_404(login, world):
    assert login(world.admin).get(URL, {"grid": 999999}).status_code == 404


def test_picker_lists_only_own_grids_grouped_by_community(login, world):
    response = login(world.staff_east).get(URL)
    assert response.status_code == 200
    picker = response.context["picker"]
    assert [entry["community"].code for entry in picker] == ["EAST"]
    assert [item["grid"].code for item in picker[0]["grids"]] == ["E1"]
    assert picker[0]["grids"][0]["grid"].household_count == 2
    content = response.content.decode()
    assert "东一网格" in content and "西一网格" not in content
    assert f"grid={world.grid_east.pk}" in content


def test_admin_picker_shows_every_community(login, world):
    response = login(world.admin).get(URL)
    assert [entry["community"].code for entry in response.context["picker"]] == ["EAST", "WEST"]


def test_staff_sees_only_households_living_in_their_communities(login, world, scored):
    # Bad data: a household of the east grid that lives in the west community.
    stray = factories.household(
        cooperative_=world.coop_b,
        community_=world.west,
        micro_grid_=world.grid_east,
        number="B099",
        head_name="周游",
    )
    east = login(world.staff_east).get(URL, {"grid": world.grid_east.pk})
    assert east.status_code == 200
    assert set(_rows(east)) == {"A001", "B001", "A003"}
    assert "周游" not in east.content.decode()
    admin = login(world.admin).get(URL, {"grid": world.grid_east.pk})
    assert stray.number in _rows(admin)


def test_staff_of_west_see_their_grid_and_community(login, world, scored):
    client = login(world.staff_west)
    grid = client.get(URL, {"grid": world.grid_west.pk})
    assert set(_rows(grid)) == {"A002", "B002"}
    community = client.get(URL, {"community": world.west.pk})
    assert set(_rows(community)) == {"A002", "B002"}
    assert "王建国" not in community.content.decode()


# --- what it shows -------------------------------------------------------------


def test_table_values_are_the_running_monthly_scores(login, world, scored):
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk, "year": 2026})
    assert response.status_code == 200
    assert response.context["labels"] == [
        f"{month}月" for month in range(1, 12)
    ]  # through November
    assert _rows(response) == {"A001": A_EAST, "B001": B_EAST, "A003": C_EAST}
    assert [average["text"] for average in response.context["averages"]] == EAST_AVERAGE
    rows = {row["household"].number: row for row in response.context["rows"]}
    assert (rows["A001"]["change_text"], rows["A001"]["trend"]) == ("+35", "up")
    assert (rows["B001"]["change_text"], rows["B001"]["trend"]) == ("-25", "down")
    assert (rows["A003"]["change_text"], rows["A003"]["trend"]) == ("-25", "down")
    content = response.content.decode()
    assert 'class="num trend trend-up positive" title="50 → 85"' in content
    assert 'class="num trend trend-down negative"' in content
    assert '<td class="num below">45</td>' in content
    assert "网格平均" in content


def test_chart_data_goes_through_json_script(login, world, scored):
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk})
    content = response.content.decode()
    assert '<canvas id="points-chart"' in content
    assert '<script id="points-chart-data" type="application/json">' in content
    assert "vendor/chartjs/chart.umd.min.js" in content and "js/points-chart.js" in content
    assert "cdn" not in content.lower()
    data = response.context["chart_data"]
    assert data["labels"][0] == "1月" and len(data["labels"]) == 11
    assert data["threshold"] == 60.0
    by_label = {household["label"]: household for household in data["households"]}
    assert by_label["A001 王建国"]["scores"] == [float(value) for value in A_EAST]
    assert by_label["B001 陈志强"]["low"] is True
    assert data["average"] == [float(value) for value in EAST_AVERAGE]


def test_community_view_averages_the_whole_community(login, world, scored):
    response = login(world.admin).get(URL, {"community": world.east.pk})
    assert set(_rows(response)) == {"A001", "B001", "A003"}
    assert response.context["average_label"] == "社区平均"


def test_past_year_shows_twelve_months(login, world, scored):
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk, "year": 2025})
    assert response.status_code == 200
    # No standard was adopted for 2025: no rows, the households are named as unscored.
    assert response.context["rows"] == []
    assert len(response.context["labels"]) == 12
    assert {h.number for h in response.context["without_standard"]} == {"A001", "B001", "A003"}


# --- the low list -------------------------------------------------------------


def test_low_list_defaults_threshold_60_three_months(login, world, scored):
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk})
    assert (response.context["threshold"], response.context["months"]) == (Decimal("60"), 3)
    # b_east: below 60 from August to November; a_east was low January–May but recovered;
    # c_east is low for only two months.
    assert _low(response) == [("B001", 4)]
    assert "持续低分" in response.content.decode()


def test_low_list_with_two_months_is_sorted_longest_first(login, world, scored):
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk, "months": 2})
    assert _low(response) == [("B001", 4), ("A003", 2)]


def test_low_list_threshold_is_strictly_below(login, world, scored):
    # Threshold 50: b_east's 50 in August is not below it; 45 from September is.
    response = login(world.staff_east).get(
        URL, {"grid": world.grid_east.pk, "threshold": "50", "months": "3"}
    )
    assert _low(response) == [("B001", 3)]
    response = login(world.staff_east).get(
        URL, {"grid": world.grid_east.pk, "threshold": "50", "months": "4"}
    )
    assert _low(response) == []
    assert "没有持续低分的股东户" in response.content.decode()


def test_low_list_with_high_threshold_catches_everyone(login, world, scored):
    response = login(world.staff_east).get(
        URL, {"grid": world.grid_east.pk, "threshold": "90.5", "months": "1"}
    )
    # Everyone stayed below 90.5 all year; ties on length go to the lowest latest score first.
    assert _low(response) == [("B001", 11), ("A003", 11), ("A001", 11)]


# --- bad parameters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"months": "0"}, "连续月数须为 1 到 12 之间的整数"),
        ({"months": "13"}, "连续月数须为 1 到 12 之间的整数"),
        ({"months": "three"}, "连续月数须为 1 到 12 之间的整数"),
        ({"threshold": "sixty"}, "低分线须为数字，例如 60"),
        ({"threshold": "-5"}, "低分线不能为负数"),
        ({"year": "2027"}, "年度须在 2018 到 2026 之间"),
        ({"year": "abc"}, "年度须为整数"),
        ({"grid": "abc"}, "网格编号无效"),
        ({"format": "pdf"}, "只能下载 CSV 格式"),
    ],
)
def test_bad_parameters_give_a_clear_message(login, world, standard, params, message):
    query = {"grid": world.grid_east.pk, **params}
    response = login(world.staff_east).get(URL, query)
    assert response.status_code == 400
    content = response.content.decode()
    assert "参数有误" in content
    assert message in content
    assert 'id="points-chart"' not in content


def test_grid_and_community_together_is_an_error(login, world, standard):
    response = login(world.staff_east).get(
        URL, {"grid": world.grid_east.pk, "community": world.east.pk}
    )
    assert response.status_code == 400
    assert "请只选择一个网格或一个社区" in response.content.decode()


# --- CSV -----------------------------------------------------------------------


def _csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export_has_the_table(login, world, scored):
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "points-chart-2026-grid-EAST-E1.csv" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0] == [
        "户号",
        "户主",
        "合作社",
        "微网格",
        *[f"{m}月" for m in range(1, 12)],
        "变化",
        "连续低分月数",
    ]
    body = {row[0]: row for row in rows[1:-1]}
    assert body["A001"] == ["A001", "王建国", "甲村股份经济合作社", "东一网格", *A_EAST, "35", ""]
    assert body["B001"] == ["B001", "陈志强", "乙村股份经济合作社", "东一网格", *B_EAST, "-25", "4"]
    assert body["A003"][4:] == [*C_EAST, "-25", ""]
    assert rows[-1] == ["", "网格平均", "", "", *EAST_AVERAGE, "", ""]
    text = response.content.decode()
    assert "330482196501181234" not in text  # no ID numbers
    assert "13800001111" not in text and "6228480011112222333" not in text


def test_csv_export_respects_scope(login, world, scored):
    assert (
        login(world.staff_west).get(URL, {"grid": world.grid_east.pk, "format": "csv"}).status_code
        == 404
    )
    west = login(world.staff_west).get(URL, {"community": world.west.pk, "format": "csv"})
    assert {row[0] for row in _csv_rows(west)[1:-1]} == {"A002", "B002"}


def test_csv_neutralises_formula_like_names(login, world, standard):
    factories.household(
        cooperative_=world.coop_a,
        community_=world.east,
        micro_grid_=world.grid_east,
        number="A050",
        head_name="=HYPERLINK(1)",
    )
    response = login(world.staff_east).get(URL, {"grid": world.grid_east.pk, "format": "csv"})
    names = {row[0]: row[1] for row in _csv_rows(response)[1:-1]}
    assert names["A050"] == "'=HYPERLINK(1)"


# --- queries --------------------------------------------------------------------

QUERY_BOUND = 7  # session, user, grid, households, monthly_scores (3)


@pytest.mark.parametrize("count", [5, 40])
@pytest.mark.parametrize("export", [False, True])
def test_query_count_does_not_grow_with_households(
    login, world, items, django_assert_max_num_queries, count, export
):
    grid = factories.micro_grid(community_=world.east, code="E9", name="东九网格")
    for index in range(count):
        household = factories.household(
            cooperative_=world.coop_a if index % 2 else world.coop_b,
            community_=world.east,
            micro_grid_=grid,
            number=f"Q{index:03d}",
            head_name=f"户主{index}",
        )
        _event(household, items["litter"], "-10", date(2026, 1 + index % 11, 1), world.staff_east)
        _event(household, items["volunteer"], "2", date(2026, 2, 1), world.staff_east)
    client = login(world.staff_east)
    params = {"grid": grid.pk, **({"format": "csv"} if export else {})}
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(URL, params)
    assert response.status_code == 200
    if not export:
        assert len(response.context["rows"]) == count


# --- the page in a browser --------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian chromium")
def test_chart_draws_in_a_browser(live_server, client, world, scored, monkeypatch):
    playwright = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client.force_login(world.staff_east)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        try:
            for width in (1280, 390):
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": session,
                            "url": live_server.url,
                        }
                    ]
                )
                page = context.new_page()
                requests = []
                page.on("request", lambda request, seen=requests: seen.append(request.url))
                page.goto(f"{live_server.url}{URL}?grid={world.grid_east.pk}")
                page.wait_for_function("window.pointsChart !== undefined")
                chart = page.evaluate(
                    "() => ({labels: window.pointsChart.data.labels,"
                    " sets: window.pointsChart.data.datasets.map(d => d.label),"
                    " width: window.pointsChart.width})"
                )
                assert chart["labels"][-1] == "11月"
                assert "A001 王建国" in chart["sets"] and "网格平均" in chart["sets"]
                assert 0 < chart["width"] <= width
                # Offline: every request stays on our own server.
                assert all(url.startswith(live_server.url) for url in requests)
                # The page itself does not scroll sideways on a phone; the table does.
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 1
                if os.environ.get("CHART_SCREENSHOTS"):
                    page.screenshot(
                        path=os.path.join(os.environ["CHART_SCREENSHOTS"], f"chart-{width}.png"),
                        full_page=True,
                    )
                context.close()
        finally:
            browser.close()
