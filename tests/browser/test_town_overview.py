"""The city overview (城市总览, issue 22 point 4) in a real browser: the city administrator
opens the towns side by side at 360 px and at desktop size — a card per town, the chart drawn, the
table behind a tap on a phone, nothing sideways, tap targets of 44 px, no CSP violation,
axe-core clean (the `browser` fixture) — and opens one town's own overview. Screenshots
go to test-artifacts/."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from communities.models import ScoreEvent, StandardAdoption
from overview import views as overview_views
from tests import factories
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD
from villages.models import Town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SIZES = {"360": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(overview_views, "today", lambda: date(2026, 6, 15))


@pytest.fixture
def towns(world, scoring):
    """当湖街道 (the `world`) and 独山港镇 with 韩家庙村: a household each scored."""
    town = Town.objects.create(code="DUSHANGANG", name="独山港镇", kind=Town.Kind.TOWN)
    coop = factories.cooperative(
        code="COOPH",
        name="韩家庙村股份经济合作社",
        village_=factories.village(code="HJM", name="韩家庙村", town_=town),
    )
    community = factories.community(code="HJMC", name="韩家庙村委会", town_=town)
    StandardAdoption.objects.create(
        standard=scoring["clean"].standard,
        cooperative=coop,
        meeting_date=date(2026, 1, 20),
        votes_for=30,
        votes_against=0,
    )
    hjm = factories.household(cooperative_=coop, community_=community, number="H001")
    factories.household(cooperative_=coop, community_=community, number="H002")
    for household, item, points, day in (
        (world.a_east, scoring["clean"], "5", date(2026, 2, 10)),
        (world.b_west, scoring["litter"], "-5", date(2026, 4, 10)),
        (hjm, scoring["clean"], "8", date(2026, 3, 10)),
    ):
        ScoreEvent.objects.create(
            household=household,
            item=item,
            points=Decimal(points),
            occurred_on=day,
            community=household.community,
            entered_by=world.staff_east,
        )
    return town


def _phone_context(browser, size):
    phone = size == "360"
    context = browser.new_context(
        viewport=SIZES[size],
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    return context


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("size", SIZES)
def test_the_city_overview_fits_the_screen(
    live_server, transactional_db, world, towns, browser, artifacts, size
):
    factories.user(username="city", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True)
    phone = size == "360"
    context = _phone_context(browser, size)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        _log_in(page, live_server, "city")
        page.goto(f"{live_server.url}/overview/towns/?year=2026")
        cards = page.locator(".town-card")
        assert cards.count() == 2
        assert cards.first.bounding_box()["y"] < 2 * SIZES[size]["height"]
        assert [t.strip() for t in page.locator(".town-card h2").all_inner_texts()] == [
            "当湖街道 街道",
            "独山港镇 镇",
        ]
        page.wait_for_function("window.overviewCharts && window.overviewCharts['chart-towns']")
        drawn = page.evaluate(
            "window.overviewCharts['chart-towns'].data.datasets.map(d => d.data.length)"
        )
        assert drawn == [2, 2]
        box = page.locator("#chart-towns").bounding_box()
        assert box["width"] > 200 and box["height"] > 200
        assert box["x"] + box["width"] <= SIZES[size]["width"]
        for link in page.locator(".town-links a").all():
            link_box = link.bounding_box()
            assert link_box["height"] >= 44 and link_box["width"] >= 44
        table = page.locator("details.overview-table")
        assert table.evaluate("d => d.open") is (not phone)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"town-overview-{size}.png"), full_page=True)
        if phone:
            page.click("details.overview-table > summary")
        assert page.locator(".town-table").is_visible()
        assert page.locator("#town-total").is_visible()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"town-overview-table-{size}.png"), full_page=True)

        # Each town opens its own overview: the matrix of 独山港镇 only.
        page.click(".town-card >> nth=1 >> .town-links a.btn-primary")
        page.wait_for_url(f"**/overview/?town={towns.pk}&year=2026")
        assert "独山港镇" in page.locator("#overview-town").inner_text()
        assert page.locator(".heat-table tbody th").all_inner_texts() == ["韩家庙村"]
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"town-overview-matrix-{size}.png"), full_page=True)
    finally:
        context.close()
    assert violations == [], violations


@pytest.mark.parametrize("size", SIZES)
def test_a_town_admin_sees_their_town_only(
    live_server, transactional_db, world, towns, browser, artifacts, size
):
    """当湖街道's administrator (`admin`): one card, their town; 独山港镇's overview is not
    theirs (404); their own opens on their villages."""
    context = _phone_context(browser, size)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        _log_in(page, live_server, "admin")
        page.goto(f"{live_server.url}/overview/towns/?year=2026")
        assert [t.strip() for t in page.locator(".town-card h2").all_inner_texts()] == [
            "当湖街道 街道"
        ]
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"town-admin-overview-{size}.png"), full_page=True)
        response = page.goto(f"{live_server.url}/overview/?town={towns.pk}&year=2026")
        assert response.status == 404
        page.goto(f"{live_server.url}/overview/?year=2026")
        assert "韩家庙村" not in page.locator("main").inner_text()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"town-admin-matrix-{size}.png"), full_page=True)
    finally:
        context.close()
    assert violations == [], violations
