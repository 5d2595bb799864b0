"""The 红黑榜 and the villager's 红榜 open on the latest month that has points (issue 24,
point 8), not on the current, empty month; the villager's page says when the community
published its 红榜. Today is pinned to 15 June 2026; the last points are from May.
Screenshots go to test-artifacts/honor-roll/.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from communities import services
from communities.models import ScoreEvent
from overview import views as overview_views
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(overview_views, "today", lambda: date(2026, 6, 15))


@pytest.fixture
def may_points(world, scoring):
    for household, item, points, day in (
        (world.b_east, scoring["litter"], "-5", date(2026, 4, 10)),
        (world.a_east, scoring["clean"], "5", date(2026, 5, 3)),
        (world.b_east, scoring["litter"], "-3", date(2026, 5, 20)),
    ):
        ScoreEvent.objects.create(
            household=household,
            item=item,
            points=Decimal(points),
            occurred_on=day,
            community=household.community,
            entered_by=world.staff_east,
        )


def login(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_staff_honor_roll_opens_on_the_latest_month_with_points(
    live_server, transactional_db, world, may_points, browser, artifacts, size
):
    shots = artifacts / "honor-roll"
    shots.mkdir(exist_ok=True)
    viewport = PHONE if size == "phone" else {"width": 1280, "height": 800}
    context = browser.new_context(
        viewport=viewport, is_mobile=size == "phone", locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server.url, "staff_east")
        page.goto(f"{live_server.url}/overview/honor-roll/")
        assert "东湖社区 2026-05" in page.locator("main h1").inner_text()
        assert page.locator("#honor-year").input_value() == "2026"
        assert page.locator("#honor-month").input_value() == "5"
        assert "王建国" in page.locator(".honor-red").inner_text()
        assert "陈志强" in page.locator(".honor-black").inner_text()
        page.screenshot(path=str(shots / f"staff-{size}.png"), full_page=True)
        # A month chosen on purpose stays chosen, empty or not.
        page.select_option("#honor-month", "6")
        page.click("main form.search-form button[type=submit]")
        page.wait_for_url(re.compile(r".*month=6.*"))
        assert "2026-06" in page.locator("main h1").inner_text()
        assert page.locator(".honor-red").inner_text().count("本月无上榜股东户") == 1
    finally:
        context.close()


def test_villager_red_list_says_when_it_was_published_and_shows_the_latest_month(
    live_server, transactional_db, world, may_points, browser, artifacts
):
    shots = artifacts / "honor-roll"
    shots.mkdir(exist_ok=True)
    services.community_set_honor_roll_published(
        actor=world.staff_east, community=world.east, published=True
    )
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server.url, "villager_a")
        page.locator(".tab-bar a", has_text="红榜").click()
        page.wait_for_url(re.compile(r".*/overview/honor-roll/$"))
        assert "东湖社区 2026-05" in page.locator("main h1").inner_text()
        published = page.locator("#honor-published").inner_text()
        assert f"本社区于 {timezone.localdate():%Y-%m-%d} 公布红榜" in published
        assert "2026-05" in published
        rows = page.locator(".honor-red tbody").inner_text()
        assert "王*国" in rows and "王建国" not in rows
        assert "陈" not in rows  # the 黑榜 is never shown to villagers
        page.screenshot(path=str(shots / "villager-phone.png"), full_page=True)
    finally:
        context.close()
