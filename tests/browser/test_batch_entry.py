"""Community staff enter a batch for a micro-grid in a real browser, then see the chart."""

import re

import pytest

from communities.models import ScoreEvent
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTH = "2026-10"


def login(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_staff_enter_a_batch_and_see_totals_and_chart(
    live_server, transactional_db, world, scoring, page, artifacts
):
    a, b = world.a_east, world.b_east
    clean, volunteer, litter = scoring["clean"], scoring["volunteer"], scoring["litter"]

    def field(household, item):
        return page.locator(f'input[name="p-{household.pk}-{item.pk}"]')

    login(page, live_server.url, "staff_east")
    batch_url = (
        f"{live_server.url}/communities/scoring/batch/?month={MONTH}&grid={world.grid_east.pk}"
    )
    page.goto(batch_url)
    assert page.locator(f"#year-{a.pk}").inner_text() == "80"
    assert page.locator(f"#year-{b.pk}").inner_text() == "80"
    # Only the staff member's own grid: households of the west grid are not on the page.
    assert page.locator(f"#row-{world.a_west.pk}").count() == 0

    # The first cell has focus, and it is empty: no grey default that looks filled in.
    first = page.evaluate("document.activeElement.name")
    assert first == page.locator("input.batch-points").first.get_attribute("name")
    assert page.locator("input.batch-points[placeholder]").count() == 0
    # Keyboard: Enter moves down the column without submitting; past the last household it
    # goes to the top of the next column; ↓ moves down a row.
    field(a, volunteer).click()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == f"p-{b.pk}-{volunteer.pk}"
    assert page.url == batch_url  # Enter did not submit the batch
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == f"p-{a.pk}-{clean.pk}"
    page.keyboard.type("6")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.name") == f"p-{b.pk}-{clean.pk}"
    page.keyboard.type("4")
    field(b, litter).click()
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    # The live preview shows each row's total for what was typed.
    assert page.locator(f"#preview-{a.pk}").inner_text() == "+8 → 88"
    assert page.locator(f"#preview-{b.pk}").inner_text() == "+1 → 81"
    page.screenshot(path=str(artifacts / "batch-entry-typed.png"), full_page=True)

    page.click("#batch-save")
    page.wait_for_selector(".message.success")
    assert "已保存 4 条积分记录" in page.locator(".messages").inner_text()
    assert page.locator(f"#year-{a.pk}").inner_text() == "88"
    assert page.locator(f"#year-{b.pk}").inner_text() == "81"
    assert page.locator(f"#month-{a.pk}").inner_text() == "+8"
    assert field(a, clean).input_value() == ""  # a fresh table for the next batch
    assert ScoreEvent.objects.count() == 4
    page.screenshot(path=str(artifacts / "batch-entry-saved.png"), full_page=True)

    # The monthly chart of the grid draws the new scores.
    page.goto(f"{live_server.url}/communities/scoring/chart/?grid={world.grid_east.pk}&year=2026")
    canvas = page.wait_for_selector("canvas#points-chart", state="visible")
    page.wait_for_function("() => window.pointsChart !== undefined && window.pointsChart !== null")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert page.evaluate("window.pointsChart.data.datasets.length") > 0
    page.screenshot(path=str(artifacts / "batch-entry-chart.png"), full_page=True)


def test_a_refused_batch_lists_problems_that_jump_to_their_cells(
    live_server, transactional_db, world, scoring, page, artifacts
):
    a, b = world.a_east, world.b_east
    clean, volunteer = scoring["clean"], scoring["volunteer"]
    login(page, live_server.url, "staff_east")
    page.goto(
        f"{live_server.url}/communities/scoring/batch/?month={MONTH}&grid={world.grid_east.pk}"
    )
    page.fill(f'input[name="p-{a.pk}-{clean.pk}"]', "50")  # outside 1–10
    page.fill(f'input[name="p-{b.pk}-{volunteer.pk}"]', "9")  # outside 1–5
    page.fill(f'input[name="n-{b.pk}-{volunteer.pk}"]', "帮助邻居")
    page.click("#batch-save")
    page.wait_for_selector("#batch-errors")
    links = page.locator(".batch-error-link")
    assert links.count() == 2
    # The first cell in error has focus; the notes typed are kept.
    assert page.evaluate("document.activeElement.name") == f"p-{a.pk}-{clean.pk}"
    assert page.input_value(f'input[name="n-{b.pk}-{volunteer.pk}"]') == "帮助邻居"
    page.screenshot(path=str(artifacts / "batch-errors-top.png"), full_page=True)
    links.nth(1).click()
    assert page.evaluate("document.activeElement.name") == f"p-{b.pk}-{volunteer.pk}"
    assert ScoreEvent.objects.count() == 0
