"""A villager opens the point card on a phone (390 × 844) in a real browser: logs in with
the card number, is made to change the first password, sees the score and the chart, and
the page never scrolls sideways — also at 200% zoom. Staff print a micro-grid's cards and
the QR codes in the screenshot decode to the login URL."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from communities.models import ScoreEvent
from overview import card_views
from tests import factories
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Pinghu-Card-2026"
PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # The live server runs in this process: the card's "this year" is 2026 like the standard.
    monkeypatch.setattr(card_views, "today", lambda: date(2026, 11, 25))


def event(world, household, item, points, day, note="", **extra):
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=Decimal(points),
        occurred_on=day,
        community=world.east,
        entered_by=world.staff_east,
        note=note,
        **extra,
    )


@pytest.fixture
def card_events(world, scoring):
    a = world.a_east
    event(world, a, scoring["clean"], "5", date(2026, 3, 10), "庭院干净整洁，菜园有序")
    event(world, a, scoring["volunteer"], "2", date(2026, 5, 4), "参加河道清理志愿服务")
    wrong = event(world, a, scoring["litter"], "-3", date(2026, 7, 1), "门口堆放杂物")
    event(world, a, scoring["litter"], "3", date(2026, 7, 1), "录错户，应为邻户", reverses=wrong)
    event(world, a, scoring["clean"], "4", date(2026, 9, 20), "")
    event(world, a, scoring["volunteer"], "2", date(2026, 11, 2), "", needs_review=True)
    # Neighbours in the grid, so that the grid average is shown.
    for number, name, points in (("A101", "邻居甲", "6"), ("A102", "邻居乙", "-4")):
        neighbour = factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            micro_grid_=world.grid_east,
            number=number,
            head_name=name,
        )
        item = scoring["clean"] if Decimal(points) > 0 else scoring["litter"]
        event(world, neighbour, item, points, date(2026, 6, 1))
    return a


def phone_context(browser, **extra):
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


def test_villager_logs_in_changes_password_and_reads_the_card(
    live_server, transactional_db, world, card_events, browser, artifacts
):
    household = card_events
    card_number = household.card_number
    factories.user(
        username=card_number,
        role=User.Role.VILLAGER,
        household_=household,
        must_change_password=True,
    )
    context = phone_context(browser)
    page = context.new_page()

    # The login page from the printed QR code: the card number is the account.
    page.goto(f"{live_server.url}/accounts/login/?card={card_number}")
    username = page.locator("#id_username")
    if username.input_value() != card_number:  # prefilled once the login page reads ?card=
        username.fill(card_number)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")

    # First login: a new password before anything else.
    page.wait_for_url(re.compile(r".*/accounts/password/.*"))
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("main form button[type=submit]")  # not the header's logout button
    page.wait_for_url(lambda url: "/accounts/password/" not in url)

    page.goto(f"{live_server.url}/card/")
    # 80 + 5 + 2 − 3 + 3 + 4 = 91; the +2 awaiting review is not counted.
    assert page.locator("#card-score").inner_text() == "91"
    assert card_number in page.locator(".pc-cardno").inner_text()
    page.wait_for_function("() => window.cardChart !== undefined && window.cardChart !== null")
    canvas = page.locator("canvas#card-chart")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert page.evaluate("window.cardChart.data.datasets.length") == 3  # own, average, base
    assert page.evaluate("window.cardChart.data.datasets[0].data.at(-1)") == 91
    assert page.locator(".pc-event.is-reversal").count() == 1
    assert page.locator(".pc-event.is-reversed").count() == 1
    assert page.locator(".pc-event.is-pending").count() == 1
    body = page.locator("body").inner_text()
    assert "邻居甲" not in body and "邻居乙" not in body
    # Large type: the root font is at least 18px.
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 18
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    page.screenshot(path=str(artifacts / "point-card-390.png"), full_page=True)

    # 200% zoom on the same phone: half the CSS width, twice the pixels per CSS pixel.
    zoomed = browser.new_context(
        viewport={"width": PHONE["width"] // 2, "height": PHONE["height"] // 2},
        device_scale_factor=4,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        storage_state=context.storage_state(),
    )
    try:
        zoomed_page = zoomed.new_page()
        zoomed_page.goto(f"{live_server.url}/card/")
        assert zoomed_page.locator("#card-score").inner_text() == "91"
        zoomed_page.wait_for_function("() => window.cardChart !== undefined")
        assert zoomed_page.evaluate(NO_SIDEWAYS_SCROLL), zoomed_page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        zoomed_page.screenshot(path=str(artifacts / "point-card-390-zoom200.png"), full_page=True)
    finally:
        zoomed.close()
        context.close()


def test_staff_print_the_cards_of_a_grid(
    live_server, transactional_db, world, scoring, browser, artifacts
):
    context = browser.new_context(
        viewport={"width": 1000, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "staff_east")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/$"))

        page.goto(f"{live_server.url}/card/print/?grid={world.grid_east.pk}")
        cards = page.locator(".print-card")
        assert cards.count() == 2
        box = cards.first.bounding_box()
        # 85.6 × 54 mm at 96 CSS px per inch.
        assert abs(box["width"] - 85.6 / 25.4 * 96) < 2
        assert abs(box["height"] - 54 / 25.4 * 96) < 2
        page.screenshot(path=str(artifacts / "point-card-print.png"), full_page=True)

        zxingcpp = pytest.importorskip("zxingcpp")
        from PIL import Image

        page.emulate_media(media="print")
        shot = page.locator(".print-sheet").screenshot(scale="device")
        texts = sorted(
            result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        )
        assert texts == sorted(
            f"{live_server.url}/accounts/login/?card={household.card_number}"
            for household in (world.a_east, world.b_east)
        )
    finally:
        context.close()
