"""A village committee's staff home on a phone (issue 24, point 8): with 40 micro-grids the
list is behind a tap, so the page is the to-do list and the figures, not 40 stacked cards;
on a desk the list stays open. Screenshots go to test-artifacts/home/."""

import pytest

from tests import factories
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.mark.parametrize("size", SIZES)
def test_many_grids_are_behind_a_tap_on_a_phone(
    live_server, transactional_db, world, browser, artifacts, size
):
    shots = artifacts / "home"
    shots.mkdir(exist_ok=True)
    for n in range(2, 41):
        factories.micro_grid(community_=world.east, code=f"E{n}", name=f"东{n}网格")
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **SIZES[size])
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "staff_east")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        grids = page.locator("#home-grids")
        assert "(40)" in grids.locator("summary").inner_text()
        assert page.locator(".todo-list").is_visible()
        page.screenshot(path=str(shots / f"staff-{size}.png"), full_page=True)
        if size == "phone":
            assert not grids.evaluate("d => d.open")
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height < 3 * 740, height
            page.click("#home-grids > summary")
            assert grids.locator("table").is_visible()
            assert page.evaluate("document.documentElement.scrollHeight") > 3 * height
        else:
            assert grids.evaluate("d => d.open")
            assert grids.locator("table").is_visible()
            assert grids.locator("tbody tr").count() == 40
    finally:
        context.close()
