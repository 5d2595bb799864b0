"""The staff's points page of a household on a phone (issue 24, point 8): the card's chart
of the month-end scores, and the twelve month cards behind a tap, so the page is not a
dozen screens of stacked months; on a desk the month table stays open beside nothing
new but the chart. Screenshots go to test-artifacts/ledger/."""

from datetime import date
from decimal import Decimal

import pytest

from communities.models import ScoreEvent
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.mark.parametrize("size", SIZES)
def test_the_points_page_shows_the_chart_and_the_months_behind_a_tap(
    live_server, transactional_db, world, scoring, browser, artifacts, size
):
    shots = artifacts / "ledger"
    shots.mkdir(exist_ok=True)
    year = date.today().year
    for month, points in ((2, "5"), (5, "-3"), (9, "2")):
        ScoreEvent.objects.create(
            household=world.a_east,
            item=scoring["clean"] if Decimal(points) > 0 else scoring["litter"],
            points=Decimal(points),
            occurred_on=date(year, month, 10),
            community=world.east,
            entered_by=world.staff_east,
        )
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **SIZES[size])
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "staff_east")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/communities/scoring/households/{world.a_east.pk}/")
        page.wait_for_function("window.cardChart !== undefined")
        months = page.evaluate("window.cardChart.data.labels.length")
        assert months == date.today().month
        assert page.evaluate("window.cardChart.data.datasets[0].data")[-1] == 84  # 80 + 5 − 3 + 2
        assert page.locator("#card-chart").bounding_box()["height"] > 150
        months_table = page.locator("#ledger-months")
        page.screenshot(path=str(shots / f"staff-{size}.png"), full_page=True)
        if size == "phone":
            assert not months_table.evaluate("d => d.open")
            height = page.evaluate("document.documentElement.scrollHeight")
            page.click("#ledger-months > summary")
            assert months_table.locator("table").is_visible()
            assert page.evaluate("document.documentElement.scrollHeight") > height + 1500
        else:
            assert months_table.evaluate("d => d.open")
            assert months_table.locator("tbody tr").count() == months
    finally:
        context.close()
