"""Issue 24, point 1: the online 公示 of a 700-household cooperative on a 360 px phone.

It opens on the totals and a look-up by household number or head's name (masked); the
logged-in villager's own line comes first and is highlighted; the rest is two-line rows a
page at a time, so a page stays under five screens. Printing still gives every household,
and the desktop keeps the full table. Screenshots go to test-artifacts/notice/.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import User
from dividends import notice
from dividends.models import DividendLine
from tests import factories
from tests.appeals.conftest import APPROVED_ON, approved_run
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD
from villages.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
HOUSEHOLDS = 700
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
VISIBLE_ROWS = (
    "[...document.querySelectorAll('#notice-table tbody tr:not(.sum)')]"
    ".filter(row => row.checkVisibility()).length"
)


@pytest.fixture(autouse=True)
def _during_notice(monkeypatch):
    monkeypatch.setattr(notice, "today", lambda: APPROVED_ON + timedelta(days=2))


@pytest.fixture
def big_run(world):
    """world's cooperative A with 700 households on an approved run; the villager is
    household T0350 (head 孙悦明), somewhere in the middle of the list."""
    households = Household.objects.bulk_create(
        Household(
            cooperative=world.coop_a,
            community=world.east,
            number=f"T{n:04d}",
            head_name="孙悦明" if n == 350 else f"周{'一二三四五六七八九'[n % 9]}{n}",
        )
        for n in range(1, HOUSEHOLDS + 1)
    )
    run = approved_run(world, world.coop_a)
    DividendLine.objects.bulk_create(
        DividendLine(
            run=run,
            household=household,
            household_number=household.number,
            head_name=household.head_name,
            head_id_number_masked="330482********1234",
            community_name="东湖社区",
            shares={"人口股": "3"},
            weighted_shares=Decimal("3"),
            score=Decimal("88.0"),
            base_amount=Decimal("600.00"),
            incentive_amount=Decimal("120.00"),
            total_amount=Decimal("720.00"),
        )
        for household in households
    )
    mine = households[349]
    factories.user(
        username=mine.card_number, role=User.Role.VILLAGER, household_=mine, password=PASSWORD
    )
    return run, mine


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url


def test_the_notice_on_a_phone_opens_on_totals_own_line_and_a_look_up(
    live_server, big_run, browser, artifacts
):
    run, mine = big_run
    shots = artifacts / "notice"
    shots.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        log_in(page, live_server.url, mine.card_number)
        page.goto(f"{live_server.url}/dividends/runs/{run.pk}/notice/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / "villager-phone-first-screen.png"), timeout=60_000)
        page.screenshot(path=str(shots / "villager-phone.png"), full_page=True, timeout=60_000)

        # The first screen: the totals, the look-up and the villager's own line, highlighted.
        totals = page.locator("#notice-totals .notice-totals")
        assert totals.is_visible()
        assert "700 户" in totals.inner_text() and "504,000.00" in totals.inner_text()
        assert page.locator("#notice-q").bounding_box()["y"] < PHONE["height"]
        own = page.locator("#notice-mine .notice-line.is-mine")
        assert own.is_visible() and "T0350" in own.inner_text()
        assert "孙*明" in own.inner_text() and "孙悦明" not in page.content()
        assert own.bounding_box()["y"] < PHONE["height"] * 1.5
        assert page.locator("#notice-table tr.is-mine").count() == 1

        # One page of lines, far under five screens, with a pager; no sideways scroll.
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 5 * PHONE["height"], height
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        assert page.evaluate(VISIBLE_ROWS) == 20
        where = page.locator("#notice-pager [data-pager=where]")
        assert where.inner_text() == "第 1 / 35 页"
        page.click("#notice-pager [data-pager=next]")
        assert where.inner_text() == "第 2 / 35 页"
        assert page.locator("#notice-table tbody tr", has_text="T0021").is_visible()
        assert not page.locator("#notice-table tbody tr", has_text="T0001").is_visible()

        # The look-up: by household number, and by the head's full name, shown masked.
        page.fill("#notice-q", "T0123")
        page.click(".notice-search button[type=submit]")
        page.wait_for_load_state("networkidle")
        found = page.locator("#notice-found .notice-line")
        assert found.count() == 1 and "T0123" in found.inner_text()
        page.screenshot(path=str(shots / "villager-phone-look-up.png"))
        page.fill("#notice-q", "孙悦明")
        page.click(".notice-search button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "T0350" in page.locator("#notice-found .notice-line").inner_text()
        assert "孙悦明" not in page.locator("#notice-found .notice-line").inner_text()
        assert page.evaluate("document.documentElement.scrollHeight") < 5 * PHONE["height"]

        # Printing still gives all 700 households, as a table.
        page.emulate_media(media="print")
        assert page.evaluate(VISIBLE_ROWS) == HOUSEHOLDS
        assert not page.locator("#notice-totals").is_visible()
        assert page.locator("#notice-table thead").is_visible()
        page.emulate_media(media="screen")
    finally:
        context.close()
    assert violations == [], violations


def test_the_desktop_notice_keeps_the_whole_table(live_server, big_run, page, artifacts):
    run, mine = big_run
    log_in(page, live_server.url, mine.card_number)
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/notice/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate(VISIBLE_ROWS) == HOUSEHOLDS
    assert not page.locator("#notice-totals").is_visible()
    assert not page.locator("#notice-pager").is_visible()
    assert page.locator("#notice-table thead").is_visible()
    (artifacts / "notice").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "notice" / "villager-desktop.png"))
