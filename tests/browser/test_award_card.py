"""A villager's card at 360 px in a real browser (Debian chromium): the household's
dividend and two monthly awards, each award line explained; nothing scrolls sideways,
the award links are thumb-sized and the text readable."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from awards import services as award_services
from communities.models import ScoreEvent
from dividends import run_jobs
from dividends import services as dividend_services
from dividends.models import DividendRun
from overview import card_views
from tests import factories
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(card_views, "today", lambda: date(2026, 11, 25))


def event(world, household, item, points, day):
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=Decimal(points),
        occurred_on=day,
        community=household.community,
        entered_by=world.staff_east,
    )


@pytest.fixture
def paid(world, scoring):
    for household, april, may in ((world.a_east, "6", "3"), (world.a_west, "2", "1")):
        event(world, household, scoring["clean"], april, date(2026, 4, 8))
        event(world, household, scoring["clean"], may, date(2026, 5, 12))
    dividend = dividend_services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1200.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    dividend = run_jobs.dividend_run_compute(run_id=dividend.pk)
    dividend_services.dividend_run_approve(actor=world.supervisor_a, run=dividend)
    awards = []
    for month in (4, 5):
        run = award_services.award_run_create(
            actor=world.accountant_a,
            cooperative=world.coop_a,
            name="全域秀美月度奖励",
            period_kind="month",
            year=2026,
            period_number=month,
            pool=Decimal("10000.00"),
            categories=["environment"],
        )
        run = award_services.award_run_compute(run_id=run.pk)
        awards.append(award_services.award_run_approve(actor=world.supervisor_a, run=run))
    return dividend, awards


def test_the_card_shows_a_dividend_and_two_monthly_awards_at_360_px(
    live_server, transactional_db, world, paid, browser, artifacts
):
    dividend, (april, may) = paid
    household = world.a_east
    factories.user(username=household.card_number, role=User.Role.VILLAGER, household_=household)
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
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", household.card_number)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}/card/#pc-awards")

    dividend_row = page.locator(f"#dividend-{dividend.pk}")
    assert dividend_row.is_visible()
    assert "2026年" in dividend_row.inner_text()
    awards = page.locator("#pc-awards .pc-award")
    assert awards.count() == 2
    newest, older = awards.nth(0).inner_text(), awards.nth(1).inner_text()
    # May: 3 of 4 points of 10,000.00; April: 6 of 8 points.
    assert "2026年5月" in newest and "7,500.00 元" in newest
    assert "本期环境整治类计分 3 分 · 按积分比例" in newest
    assert "奖励金 10,000.00 元 × 本户 3 分 ÷ 全部符合条件户合计 4 分" in newest
    assert "2026年4月" in older and "7,500.00 元" in older and "6 分" in older
    assert "李秀英" not in page.locator("body").inner_text()

    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    for link in page.locator("#pc-awards a").all():
        box = link.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (link.inner_text(), box)
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('#pc-awards *')]
            .filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest >= 14, smallest
    page.locator("#pc-awards").screenshot(path=str(artifacts / "award-card-360.png"))
    page.screenshot(path=str(artifacts / "award-card-360-full.png"), full_page=True)
    context.close()
