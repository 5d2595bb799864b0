"""The subdistrict overview in a real browser (issue 14): the admin opens the matrix and the
statistics with their three charts at 360 px and at desktop size; nothing scrolls sideways,
no CSP violation, the charts are drawn, and screenshots go to test-artifacts/."""

from datetime import date
from decimal import Decimal

import pytest

from communities.models import ScoreEvent
from overview import views as overview_views
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SIZES = {"360": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(overview_views, "today", lambda: date(2026, 6, 15))


@pytest.fixture
def events(world, scoring):
    for household, item, points, day in (
        (world.a_east, scoring["clean"], "5", date(2026, 2, 10)),
        (world.a_east, scoring["litter"], "-3", date(2026, 5, 10)),
        (world.b_west, scoring["volunteer"], "2", date(2026, 3, 10)),
        (world.b_east, scoring["litter"], "-5", date(2026, 4, 10)),
    ):
        ScoreEvent.objects.create(
            household=household,
            item=item,
            points=Decimal(points),
            occurred_on=day,
            community=household.community,
            entered_by=world.staff_east,
        )


@pytest.mark.parametrize("size", SIZES)
def test_overview_with_charts_fits_the_screen(
    live_server, transactional_db, world, events, browser, artifacts, size
):
    context = browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "360",
        has_touch=size == "360",
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator(".todo-list").is_visible()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"overview-home-{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/overview/?year=2026")
        # At a glance (issue 24, point 8): a heat map of 均分, the full table behind a tap.
        heat = page.locator(".matrix-heat")
        assert heat.is_visible()
        assert heat.bounding_box()["y"] < SIZES[size]["height"]  # starts on the first screen
        cells = page.locator(".heat-table td a")
        assert sorted(cells.all_inner_texts()) == ["1", "1", "1", "1"]
        # Every household's score is 80 + its events: all in the 60–80 or 80–100 band.
        bands = page.eval_on_selector_all(
            ".heat-table td:has(a)", "tds => tds.map(t => t.className)"
        )
        assert set(bands) <= {"heat-mid", "heat-good"} and "heat-mid" in bands
        assert cells.first.bounding_box()["height"] >= 44
        assert page.locator(".matrix-table").is_hidden()
        page.click(".matrix-details > summary")
        assert page.locator(".matrix-table").is_visible()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"overview-matrix-{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/overview/statistics/?year=2026&month_from=1&month_to=6")
        page.wait_for_function(
            "window.overviewCharts && Object.keys(window.overviewCharts).length === 3"
        )
        drawn = page.evaluate(
            "Object.values(window.overviewCharts).map(c => c.data.datasets[0].data.length)"
        )
        assert drawn == [1, 6, 8]  # one category (all environment), six months, eight score bands
        for canvas in ("#chart-categories", "#chart-trend", "#chart-histogram"):
            box = page.locator(canvas).bounding_box()
            assert box["width"] > 200 and box["height"] > 200
            assert box["x"] + box["width"] <= SIZES[size]["width"]
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"overview-statistics-{size}.png"), full_page=True)
        # Summary first; on a phone the six tables are behind a tap (issue 24, point 8).
        assert page.locator(".stats").first.bounding_box()["y"] < SIZES[size]["height"]
        tables = page.locator("details.overview-table")
        assert tables.count() == 6
        opened = page.eval_on_selector_all("details.overview-table", "ds => ds.map(d => d.open)")
        assert opened == [size == "desktop"] * 6
        if size == "360":
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height < 5 * SIZES[size]["height"], height
            page.click("details.overview-table >> nth=0 >> summary")
            assert page.locator("details.overview-table >> nth=0 >> table").is_visible()
            page.evaluate(
                "document.querySelectorAll('details.overview-table').forEach(d => d.open = true)"
            )
            assert page.evaluate("document.documentElement.scrollHeight") > 1.5 * height
    finally:
        context.close()
    assert violations == [], violations
