"""Lists that fit a thumb (issue 16) in a real browser at 360 px: the household list, the month
list and the dividend run list show one compact row per item, the whole row one link of at
least 44 × 44 px across the list's width, text of at least 14 px, paging links and search
buttons of at least 44 px, and nothing scrolls sideways. At desktop size the tables stay.
Screenshots go to test-artifacts/."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from communities import selectors
from communities import services as ledger
from communities.models import ScoreEvent
from dividends import run_jobs
from dividends import services as dividends
from dividends.models import DividendRun
from tests import factories
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
PAGES = {
    "households": "/villages/households/",
    "months": "/communities/scoring/months/",
    "runs": "/dividends/",
}

# Boxes of the visible links, buttons and inputs matching a selector.
TARGETS = """selector => Array.from(document.querySelectorAll(selector))
  .filter(e => e.getClientRects().length > 0)
  .map(e => {
    const r = e.getBoundingClientRect();
    return {what: e.outerHTML.slice(0, 80), width: r.width, height: r.height};
  })"""
# Each row of each visible thumb list: the row's width, its link's width and height.
ROWS = """() => Array.from(document.querySelectorAll('.thumb-list'))
  .filter(list => list.getClientRects().length > 0)
  .flatMap(list => Array.from(list.children).map(li => {
    const links = li.querySelectorAll('a, button');
    const link = links[0];
    return {
      row: li.getBoundingClientRect().width,
      list: list.clientWidth,
      targets: links.length,
      link: link ? link.getBoundingClientRect().width : 0,
      height: link ? link.getBoundingClientRect().height : 0,
    };
  }))"""
# The smallest computed font size of any text in the visible thumb lists.
SMALLEST_TEXT = """() => {
  let smallest = Infinity;
  for (const list of document.querySelectorAll('.thumb-list')) {
    if (list.getClientRects().length === 0) continue;
    const walker = document.createTreeWalker(list, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.textContent.trim()) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(node.parentElement).fontSize));
    }
  }
  return smallest;
}"""


@pytest.fixture
def lists(world, scoring):
    """More households than one page holds (so the paging links show), a score, a closed
    month, and two dividend runs."""
    for n in range(55):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            micro_grid_=world.grid_east,
            number=f"A{n + 100:03d}",
            head_name="欧阳建华",
        )
    ScoreEvent.objects.create(
        household=world.a_east,
        item=scoring["clean"],
        points=Decimal("5"),
        occurred_on=date(2026, 2, 10),
        community=world.east,
        entered_by=world.staff_east,
    )
    ledger.month_close(
        actor=world.staff_east,
        community=world.east,
        month=selectors.first_of_month(timezone.localdate()),
    )
    run = dividends.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1234567.50"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    assert run_jobs.dividend_run_compute(run_id=run.pk).status == DividendRun.Status.COMPUTED
    dividends.dividend_run_create(
        actor=world.accountant_b,
        cooperative=world.coop_b,
        year=2026,
        total=Decimal("80000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )


def admin_page(browser, live_server, viewport):
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def too_small(page, selector):
    return [
        box for box in page.evaluate(TARGETS, selector) if box["width"] < 44 or box["height"] < 44
    ]


def test_each_list_is_one_thumb_sized_link_per_row_at_360_px(
    live_server, transactional_db, world, lists, browser, artifacts
):
    context, page = admin_page(browser, live_server, PHONE)
    violations = watch_csp(page)
    try:
        for name, path in PAGES.items():
            page.goto(f"{live_server.url}{path}")
            assert page.locator(".thumb-list").first.is_visible(), name
            assert page.locator(".thumb-wide").first.is_hidden(), name

            rows = page.evaluate(ROWS)
            assert rows, name
            for row in rows:
                assert row["targets"] == 1, (name, row)  # one link per row, nothing else
                # The link spans its row, and the row the list (sub-pixel rounding aside).
                assert row["link"] == row["row"], (name, row)
                assert abs(row["row"] - row["list"]) <= 1, (name, row)
                assert 44 <= row["height"] <= 72, (name, row)
            assert too_small(page, ".thumb-list a, .thumb-list button") == [], name
            assert too_small(page, ".pagination a, .search-form button") == [], name
            assert page.evaluate(SMALLEST_TEXT) >= 14, name
            assert page.evaluate(NO_SIDEWAYS_SCROLL), name
            page.screenshot(path=str(artifacts / f"thumb-list-{name}-360.png"), full_page=True)

        # The figures on the right: this year's score, the month's status, the run's total.
        page.goto(f"{live_server.url}{PAGES['households']}")
        assert page.locator(".pagination a").count() == 1  # 下一页
        first = page.locator("#household-thumbs .thumb-row").first
        assert "A001" in first.inner_text()
        page.goto(f"{live_server.url}{PAGES['months']}")
        assert page.locator(".thumb-status.is-closed").count() == 1
        page.goto(f"{live_server.url}{PAGES['runs']}")
        assert "1,234,567.50" in page.locator("#run-thumbs").inner_text()

        # A closed month's row opens its page, where the admin reopens it with a reason.
        page.goto(f"{live_server.url}{PAGES['months']}")
        page.locator(".thumb-row:has(.thumb-status.is-closed)").click()
        page.wait_for_selector("#month-reopen-form")
        assert (
            too_small(page, "#month-reopen-form input[type=text], #month-reopen-form button") == []
        )
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / "thumb-list-month-reopen-360.png"), full_page=True)

        # A row opens the item: the household's page.
        page.goto(f"{live_server.url}{PAGES['households']}")
        page.locator("#household-thumbs .thumb-row").first.click()
        page.wait_for_url(f"{live_server.url}/villages/households/{world.a_east.pk}/")
    finally:
        context.close()
    assert violations == [], violations


def test_desktop_keeps_the_tables(live_server, transactional_db, world, lists, browser, artifacts):
    context, page = admin_page(browser, live_server, DESKTOP)
    try:
        for name, path in PAGES.items():
            page.goto(f"{live_server.url}{path}")
            assert page.locator(".thumb-wide table").first.is_visible(), name
            assert page.locator(".thumb-list").first.is_hidden(), name
            page.screenshot(path=str(artifacts / f"thumb-list-{name}-desktop.png"))
    finally:
        context.close()
