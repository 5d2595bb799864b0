"""Issue 13 in a real browser on a 360 px phone: a villager opens the login from the card's
QR code, lands on the point card, appeals a deduction; the community's staff member upholds
it; the villager's card then shows the reversal and the answer. The card, the appeal pages
and the dividend notice never scroll sideways and show no text under 14 px."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import User
from appeals.models import Appeal
from communities.models import ScoreEvent
from dividends import notice
from overview import card_views
from tests import factories
from tests.appeals.conftest import approved_run, line
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
TODAY = date(2026, 11, 25)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# Every visible piece of text, with its computed size; visually hidden labels are skipped.
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const size = parseFloat(style.fontSize);
    if (size < 14) small.push([element.tagName, element.className, node.textContent.trim().slice(0, 30), size]);
  }
  return small;
}"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(card_views, "today", lambda: TODAY)
    monkeypatch.setattr(notice, "today", lambda: TODAY)


def phone(browser, **extra):
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **extra,
    )
    context.set_default_timeout(15_000)
    return context


def check_layout(page, name, artifacts):
    assert page.evaluate(NO_SIDEWAYS_SCROLL), (
        name,
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"),
    )
    assert page.evaluate(SMALL_TEXT) == [], name
    page.screenshot(path=str(artifacts / f"villager-{name}-360.png"), full_page=True)


def test_villager_appeals_a_deduction_and_staff_uphold_it(
    live_server, transactional_db, world, scoring, browser, artifacts
):
    household = world.a_east
    card_number = household.card_number
    factories.user(username=card_number, role=User.Role.VILLAGER, household_=household)
    wrong = ScoreEvent.objects.create(
        household=household,
        item=scoring["litter"],
        points=Decimal("-5"),
        occurred_on=date(2026, 7, 1),
        community=world.east,
        entered_by=world.staff_east,
        note="门口堆放杂物",
    )
    ScoreEvent.objects.create(
        household=household,
        item=scoring["clean"],
        points=Decimal("5"),
        occurred_on=date(2026, 3, 10),
        community=world.east,
        entered_by=world.staff_east,
    )
    # An approved dividend under notice: the notice page is checked on the phone too.
    run = approved_run(world, world.coop_a, year=2025, approved_on=TODAY - timedelta(days=1))
    line(run, household)
    line(run, world.a_west, base="300.00", incentive="50.00")

    villager = phone(browser)
    page = villager.new_page()
    violations = watch_csp(page)
    try:
        # The QR code of the printed card opens the login with the card number filled in.
        page.goto(f"{live_server.url}/accounts/login/?card={card_number}")
        assert page.locator("#id_username").input_value() == card_number
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")

        # Card first: the login lands on the card.
        page.wait_for_url(re.compile(r".*/card/$"))
        assert page.locator("#card-score").inner_text() == "80"  # 80 + 5 − 5
        assert page.locator("#card-score-label").inner_text() == "2026 年积分 80 分"
        check_layout(page, "card", artifacts)

        page.click(f"#event-{wrong.pk} a.pc-appeal-link")
        page.wait_for_url(re.compile(r".*/appeals/new/event/\d+/$"))
        check_layout(page, "appeal-form", artifacts)
        page.fill("#id_text", "那天是施工队的材料，不是我家堆的")
        page.click("main form button[type=submit]")

        page.wait_for_url(re.compile(r".*/card/.*"))
        assert "申诉：待答复" in page.locator(f"#event-{wrong.pk}").inner_text()
        appeal = Appeal.objects.get(event=wrong)

        page.click(f"#appeal-{appeal.pk} a.pc-appeal-link")
        page.wait_for_url(re.compile(rf".*/appeals/{appeal.pk}/$"))
        check_layout(page, "appeal-detail", artifacts)

        page.goto(f"{live_server.url}/dividends/runs/{run.pk}/notice/")
        assert "王*国" in page.locator("#notice-table").inner_text()
        check_layout(page, "notice", artifacts)
    finally:
        villager_state = villager.storage_state()
        villager.close()
    assert violations == [], violations

    staff = phone(browser)
    page = staff.new_page()
    violations = watch_csp(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "staff_east")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/$"))
        page.goto(f"{live_server.url}/appeals/")
        assert "已等待 0 天" in page.locator("#open-appeals").inner_text()
        check_layout(page, "appeal-list-staff", artifacts)
        page.click(f"a[href='/appeals/{appeal.pk}/']")
        page.check("input[name=decision][value=upheld]")
        page.fill("#id_answer", "网格长核实是施工队材料，已冲正")
        page.click("main form.ap-form button[type=submit]")
        page.wait_for_url(re.compile(rf".*/appeals/{appeal.pk}/$"))
        assert page.locator("#appeal-state").inner_text() == "申诉成立"
        check_layout(page, "appeal-answered-staff", artifacts)
    finally:
        staff.close()
    assert violations == [], violations

    villager = phone(browser, storage_state=villager_state)
    page = villager.new_page()
    violations = watch_csp(page)
    try:
        page.goto(f"{live_server.url}/card/")
        assert page.locator("#card-score").inner_text() == "85"  # the −5 is cancelled
        original = page.locator(f"#event-{wrong.pk}")
        assert "已冲正" in original.inner_text()
        assert "申诉：申诉成立" in original.inner_text()
        assert "网格长核实是施工队材料，已冲正" in original.inner_text()
        assert page.locator(".pc-event.is-reversal").count() == 1
        assert f"申诉 #{appeal.pk}" in page.locator(".pc-event.is-reversal").inner_text()
        check_layout(page, "card-after-appeal", artifacts)
    finally:
        villager.close()
    assert violations == [], violations


def test_the_signed_notice_link_on_a_phone_without_login(
    live_server, transactional_db, world, browser, artifacts
):
    run = approved_run(world, world.coop_a, year=2025, approved_on=TODAY - timedelta(days=1))
    line(run, world.a_east)
    url = f"{live_server.url}/dividends/notice/{notice.public_token(run)}/"
    context = phone(browser)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        page.goto(url)
        body = page.locator("body").inner_text()
        assert "王*国" in body and "王建国" not in body
        check_layout(page, "notice-public", artifacts)
        # 200% text: half the CSS width on the same phone.
        zoomed = browser.new_context(
            viewport={"width": PHONE["width"] // 2, "height": PHONE["height"] // 2},
            device_scale_factor=4,
            is_mobile=True,
            locale="zh-CN",
        )
        try:
            zoomed_page = zoomed.new_page()
            zoomed_page.goto(url)
            assert zoomed_page.evaluate(NO_SIDEWAYS_SCROLL), zoomed_page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            zoomed_page.screenshot(
                path=str(artifacts / "villager-notice-public-zoom200.png"), full_page=True
            )
        finally:
            zoomed.close()
    finally:
        context.close()
    assert violations == [], violations
