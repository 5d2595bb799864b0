"""The door app keeps the household and its items on the first screen (issue 24, point 6).

At 360 px: thirteen grids are one control (a list), so the first household is on the first
screen; the entry opens in place of the sixteen item buttons, with 保存这一条 on screen,
also after a photo; the phone's menu no longer offers the desk spreadsheet (批量录入),
which the desktop bar keeps. At 1280 px the same entry saves with the button in view.
Screenshots go to test-artifacts/door-first-screen/.
"""

from decimal import Decimal

import pytest

from communities.models import MicroGrid, ScoringItem
from tests import factories
from tests.browser.test_door_entry import (  # noqa: F401  (door_standard is a fixture)
    door_standard,
    jpeg_bytes,
    login,
    open_door,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
# Drawn on screen and not covered (by the sticky header, the tab bar): what a thumb can tap.
ON_SCREEN = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || !el.checkVisibility()) return false;
  const r = el.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight || r.height === 0) return false;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit);
}"""


@pytest.fixture
def many(world, door_standard):  # noqa: F811 (the imported fixture)
    """Thirteen grids in the east community and sixteen items on the standard."""
    for n in range(2, 14):
        factories.micro_grid(community_=world.east, code=f"E{n}", name=f"东{n}网格")
    standard = door_standard["clean"].standard
    for n in range(13):
        ScoringItem.objects.create(
            standard=standard,
            code=f"X{n:02d}",
            name=f"示范项目{n}",
            category=ScoringItem.Category.CIVILITY,
            direction=ScoringItem.Direction.ADD,
            default_points=Decimal("1"),
            min_points=Decimal("1"),
            max_points=Decimal("2"),
        )
    return door_standard


def phone_page(browser, **viewport):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=2, **viewport
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.parametrize(
    "device",
    [
        {"viewport": PHONE, "is_mobile": True, "has_touch": True},
        {"viewport": {"width": 1280, "height": 800}},
    ],
    ids=["phone", "desktop"],
)
def test_household_items_and_save_stay_on_the_first_screen(
    live_server, transactional_db, world, many, browser, artifacts, device
):
    shots = artifacts / "door-first-screen"
    shots.mkdir(exist_ok=True)
    name = "phone" if device["viewport"] is PHONE else "desktop"
    assert MicroGrid.objects.filter(community=world.east).count() == 13
    context, page = phone_page(browser, **device)
    try:
        login(page, live_server.url, "staff_east")
        open_door(page, live_server.url, world.grid_east)
        # One control for the grid, whatever their number.
        assert page.locator(".door-grids a").count() == 0
        assert page.locator("#door-grid-select option").count() == 13
        assert page.evaluate(ON_SCREEN, "#door-grid-select")
        first = f"#door-row-{world.a_east.pk}"
        assert page.evaluate(ON_SCREEN, first), "the first household is below the fold"
        page.screenshot(path=str(shots / f"{name}-1-grid.png"))

        page.click(first)
        page.wait_for_selector("#door-household:not([hidden])")
        assert page.locator(".door-item").count() == 16
        page.screenshot(path=str(shots / f"{name}-2-household.png"))
        # The last item: the entry opens in its place, at the top, save button in view.
        page.locator(".door-item", has_text="示范项目12").click()
        page.wait_for_selector("#door-entry:not([hidden])")
        assert page.locator("#door-items").is_hidden()
        assert page.evaluate(ON_SCREEN, "#door-household-title")
        assert page.evaluate(ON_SCREEN, "#door-points")
        assert page.evaluate(ON_SCREEN, "#door-entry-save"), "保存这一条 is off screen"
        page.screenshot(path=str(shots / f"{name}-3-entry.png"))

        page.set_input_files(
            "#door-photo",
            files=[{"name": "yard.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
        )
        page.wait_for_selector("#door-entry[data-photo='ready']")
        page.fill("#door-note", "门口整洁")
        assert page.evaluate(ON_SCREEN, "#door-entry-save"), (
            "保存这一条 is off screen after the photo"
        )
        page.screenshot(path=str(shots / f"{name}-4-entry-with-photo.png"))
        page.click("#door-entry-save")
        page.wait_for_selector("#door-entry", state="hidden")
        assert page.locator("#door-items").is_visible()
        page.wait_for_selector("#door-counts[data-waiting='0']")

        # Another grid from the one control.
        page.click("#door-household .door-back")
        page.wait_for_selector("#door-list:not([hidden])")
        with page.expect_navigation():
            page.select_option("#door-grid-select", label="东5网格")
        assert "grid=" in page.url
        assert page.locator("#door-grid-select option:checked").inner_text() == "东5网格"
    finally:
        context.close()


def test_the_phone_menu_leaves_out_the_desk_spreadsheet(
    live_server, transactional_db, world, browser, artifacts
):
    context, page = phone_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        login(page, live_server.url, "staff_east")
        page.click(".user-menu summary")
        panel = page.locator(".user-menu-panel")
        assert panel.locator("a", has_text="入户评分").is_visible()
        assert panel.locator("a", has_text="批量录入").count() == 0
        page.screenshot(path=str(artifacts / "door-first-screen" / "phone-menu.png"))
    finally:
        context.close()
    context, page = phone_page(browser, viewport={"width": 1280, "height": 800})
    try:
        login(page, live_server.url, "staff_east")
        assert page.locator(".site-nav a", has_text="批量录入").is_visible()
    finally:
        context.close()
