"""Issue 25, point 2 in a real browser: the 议站 board a grid leader prints, opened on a
360 px phone from its QR link without a login; the 连心标兵 table at 360 px. No page
scrolls sideways, no text under 14 px, controls at least 44 px high; the QR code on the
printed page encodes exactly the link the phone opens."""

import re

import pytest
import segno

from accounts.models import User
from matters import services
from pinghu_points.qr import QR_SVG_OPTIONS
from tests import factories
from tests.browser.conftest import watch_csp
from tests.browser.test_matters_phone import log_in
from tests.browser.test_villager_appeal import SMALL_TEXT, phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll(".mt-board a, .mt-board button, .mt-page a, .mt-page button, .mt-page select")) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (box.height < 44 - 0.5) small.push([el.tagName, (el.textContent || "").trim().slice(0, 20), box.height]);
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
    page.screenshot(path=str(artifacts / f"board-{name}-360.png"), full_page=True)


def test_the_board_from_its_qr_on_a_phone(live_server, transactional_db, world, browser, artifacts):
    leader = factories.user(
        username="leader_east", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )
    world.grid_east.leader = leader
    world.grid_east.save()
    river = services.matter_record(actor=world.villager_a, text="坟浜河岸塌了", place="坟浜")
    services.matter_record(actor=world.villager_a, text="路灯不亮")
    services.matter_assess(actor=leader, matter=river, decision="accepted")

    staff = phone(browser)
    page = staff.new_page()
    violations = watch_csp(page)
    try:
        log_in(page, live_server.url, "leader_east")
        page.wait_for_url(re.compile(r".*/$"))
        page.goto(f"{live_server.url}/matters/board/")
        check_layout(page, "index", artifacts)
        page.click(f"a[href='?grid={world.grid_east.pk}&year={river.recorded_at.year}']")
        page.wait_for_selector("#board-total")
        assert page.locator("[data-figure=raised]").first.inner_text() == "2"
        check_layout(page, "leader-copy", artifacts)
        page.emulate_media(media="print")
        page.screenshot(path=str(artifacts / "board-printed.png"), full_page=True)
        page.emulate_media(media="screen")
        link = page.locator("#board-public-link").get_attribute("href")
        svg = page.locator("figure.notice-qr svg").evaluate("el => el.outerHTML")
        page.goto(f"{live_server.url}/matters/leaders/")
        assert "不是排名" in page.locator("#leaders-not-ranking").inner_text()
        assert "leader_east" in page.locator("#leaders-table").inner_text()
        check_layout(page, "leaders", artifacts)
    finally:
        staff.close()
    assert violations == [], violations
    # The printed QR code is segno's drawing of exactly this link.
    expected = segno.make(link, error="m", micro=False).svg_inline(**QR_SVG_OPTIONS)
    paths = re.compile(r'd="([^"]+)"')  # the browser writes <path …></path>, segno <path …/>
    assert paths.findall(svg) == paths.findall(expected) and paths.findall(svg)

    villager = phone(browser)  # a phone that scans the board: no login
    page = villager.new_page()
    violations = watch_csp(page)
    try:
        page.goto(link)
        assert page.locator("h1").inner_text().endswith("东一网格")
        assert page.locator("[data-figure=raised]").first.inner_text() == "2"
        assert page.locator("[data-figure=in_hand]").first.inner_text() == "2"
        body = page.locator("body").inner_text()
        assert "王建国" not in body and "坟浜河岸塌了" not in body
        assert page.locator("figure.notice-qr").count() == 0
        check_layout(page, "public", artifacts)
    finally:
        villager.close()
    assert violations == [], violations
