"""Issue 25 (议事) in a real browser on a 360 px phone: a villager raises a matter from the
point card; the grid leader assesses, assigns, records progress and reports back on their
phone; the villager reads the result on the card and says it was solved. No page scrolls
sideways, no text is under 14 px, every control on the page is at least 44 px high."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from matters.models import Matter
from tests import factories
from tests.browser.conftest import watch_csp
from tests.browser.test_villager_appeal import SMALL_TEXT, phone
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# The controls of the matters pages and of the card's 议事 section (the rest of the card
# has its own phone test).
SMALL_TARGETS = """() => {
  const small = [];
  const scope = ".mt-page, #pc-matters";
  const kinds = ["a", "button", "select", "textarea",
                 "input:not([type=hidden]):not([type=radio])", "label.ap-choice"];
  const selector = kinds.map(k => scope.split(", ").map(s => `${s} ${k}`).join(", ")).join(", ");
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (box.height < 44 - 0.5) small.push([el.tagName, el.className, (el.textContent || el.name || "").trim().slice(0, 20), box.height]);
  }
  return small;
}"""


def check_layout(page, name, artifacts):
    assert page.evaluate(NO_SIDEWAYS_SCROLL), (
        name,
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"),
    )
    assert page.evaluate(SMALL_TEXT) == [], name
    assert page.evaluate(SMALL_TARGETS) == [], name
    page.screenshot(path=str(artifacts / f"matters-{name}-360.png"), full_page=True)


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")


def test_a_matter_from_the_card_to_the_villagers_verdict(
    live_server, transactional_db, world, browser, artifacts
):
    household = world.a_east
    factories.user(username=household.card_number, role=User.Role.VILLAGER, household_=household)
    leader = factories.user(
        username="leader_east", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )
    world.grid_east.leader = leader
    world.grid_east.save()
    due = (timezone.localdate() + timedelta(days=7)).isoformat()

    villager = phone(browser)
    page = villager.new_page()
    violations = watch_csp(page)
    try:
        log_in(page, live_server.url, household.card_number)
        page.wait_for_url(re.compile(r".*/card/$"))
        check_layout(page, "card-before", artifacts)
        page.click("#pc-raise-matter")
        page.wait_for_url(re.compile(r".*/matters/new/$"))
        check_layout(page, "raise-form", artifacts)
        page.fill("#id_text", "坟浜河岸杂草丛生，岸坡塌了一段，晚上走路危险")
        page.fill("#id_place", "坟浜河边")
        page.click("#matter-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/matters/\d+/$"))
        assert page.locator("#matter-state").inner_text() == "待研判"
        check_layout(page, "detail-villager", artifacts)
        matter = Matter.objects.get()
    finally:
        villager_state = villager.storage_state()
        villager.close()
    assert violations == [], violations

    staff = phone(browser)
    page = staff.new_page()
    violations = watch_csp(page)
    try:
        log_in(page, live_server.url, "leader_east")
        page.wait_for_url(re.compile(r".*/$"))
        page.goto(f"{live_server.url}/matters/")
        check_layout(page, "list-leader", artifacts)
        page.click(f"a[href='/matters/{matter.pk}/']")
        check_layout(page, "detail-assess", artifacts)
        page.check("input[name=assess-decision][value=accepted]")
        page.click("#step-assess button[type=submit]")
        page.wait_for_url(re.compile(rf".*/matters/{matter.pk}/$"))
        assert page.locator("#matter-state").inner_text() == "已受理，待交办"
        page.select_option("#id_assign-community", str(world.east.pk))
        page.fill("#id_assign-due_on", due)
        page.click("#step-assign button[type=submit]")
        page.wait_for_url(re.compile(rf".*/matters/{matter.pk}/$"))
        assert page.locator("#matter-assignee").inner_text() == "东湖社区"
        check_layout(page, "detail-assigned", artifacts)
        page.fill("#id_handle-note", "村里安排保洁队清理，岸坡用石块加固")
        page.click("#step-handle button[type=submit]")
        page.wait_for_url(re.compile(rf".*/matters/{matter.pk}/$"))
        page.fill("#id_report-result", "河岸已清理，塌方处已加固")
        page.click("#step-report button[type=submit]")
        page.wait_for_url(re.compile(rf".*/matters/{matter.pk}/$"))
        assert page.locator("#matter-state").inner_text() == "已反馈"
        check_layout(page, "detail-reported", artifacts)
    finally:
        staff.close()
    assert violations == [], violations

    villager = phone(browser, storage_state=villager_state)
    page = villager.new_page()
    violations = watch_csp(page)
    try:
        page.goto(f"{live_server.url}/card/")
        assert "已反馈，请评价" in page.locator("#pc-matters").inner_text()
        check_layout(page, "card-reported", artifacts)
        page.click(f"#pc-matters a[href='/matters/{matter.pk}/']")
        assert "河岸已清理" in page.locator("#matter-result").inner_text()
        page.check("input[name=verdict-solved][value=yes]")
        page.click("#step-verdict button[type=submit]")
        page.wait_for_url(re.compile(rf".*/matters/{matter.pk}/$"))
        assert "村民评价：已解决" in page.locator("#matter-result").inner_text()
        check_layout(page, "detail-solved", artifacts)
        page.goto(f"{live_server.url}/matters/mine/")
        check_layout(page, "mine", artifacts)
    finally:
        villager.close()
    assert violations == [], violations
    matter.refresh_from_db()
    assert matter.solved is True
    assert matter.steps.count() == 6
