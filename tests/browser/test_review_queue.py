"""Issue 24, point 3: the review queue (积分复核) on a 360 px phone is one card per entry
with everything on screen, and a veto (一票否决) or its reversal is confirmed on a page that
says what it does to the household, never in one tap. Also at 1280 px. Screenshots go to
test-artifacts/review-queue/."""

from datetime import date

import pytest

from accounts.models import User
from communities import services
from communities.models import EventReview
from tests import factories
from tests.browser.conftest import watch_csp
from tests.communities import conftest as points_fixtures
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

standard = points_fixtures.standard
items = points_fixtures.items

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
# Every element of every card, measured where it is drawn: what sticks out on the right.
CUT_OFF = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('#review-list *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > window.innerWidth + 0.5) cut.push(el.tagName + ' ' + el.className);
  }
  return cut;
}"""


def record(actor, household, item, note, **extra):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[
            services.Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=date(2026, 6, 3),
                note=note,
                **extra,
            )
        ],
    )
    return event


@pytest.fixture
def queue(world, items):
    world.east.review_required = True
    world.east.save()
    colleague = factories.user(
        username="staff_east_2",
        role=User.Role.COMMUNITY_STAFF,
        communities=[world.east],
        first_name="晓东",
        last_name="周",
        password=PASSWORD,
    )
    record(
        world.staff_east,
        world.a_east,
        items["clean"],
        "院子打扫得干干净净，菜园整齐，门前无杂物堆放",
    )
    veto = record(
        world.staff_east,
        world.a_east,
        items["crime"],
        "违法建设，拒不拆除",
        evidence=factories.photo(),
    )
    return colleague, veto


def open_queue(browser, base_url, size):
    context = browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", "staff_east_2")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url
    page.goto(f"{base_url}/communities/scoring/review/")
    return context, page


@pytest.mark.parametrize("size", SIZES)
def test_each_entry_is_a_card_and_a_veto_is_confirmed_on_its_own_page(
    live_server, world, queue, browser, artifacts, size
):
    colleague, veto = queue
    shots = artifacts / "review-queue"
    shots.mkdir(exist_ok=True)
    context, page = open_queue(browser, live_server.url, size)
    violations = watch_csp(page)
    try:
        cards = page.locator("#review-list .review-entry")
        assert cards.count() == 2
        assert page.evaluate(CUT_OFF) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ordinary = cards.nth(0)
        for text in ("2026-06-03", "A001 王建国", "庭院整洁", "+5", "东湖社区", "门前无杂物堆放"):
            assert text in ordinary.inner_text(), text
        confirm = ordinary.locator("button", has_text="确认")
        assert confirm.bounding_box()["width"] >= 120 and confirm.bounding_box()["height"] >= 44
        # The veto offers no one-tap confirmation: only the page that explains it.
        veto_card = page.locator(f"#event-{veto.pk}")
        assert veto_card.locator("button[value=confirmed]").count() == 0
        page.screenshot(path=str(shots / f"queue-{size}.png"), full_page=True)

        veto_card.locator("a", has_text="查看后确认否决").click()
        effect = page.locator("#veto-effect").inner_text()
        assert "2026 年积分由 85 分变为 65 分" not in effect  # the +5 still waits: not counted
        assert "2026 年积分由 80 分变为 60 分" in effect
        assert "全年不发积分激励" in effect
        page.screenshot(path=str(shots / f"veto-confirm-{size}.png"), full_page=True)
        page.click("#veto-confirm-submit")  # the box is not ticked: nothing is sent
        assert not EventReview.objects.filter(event=veto).exists()
        page.check("#veto-confirm")
        page.click("#veto-confirm-submit")
        page.wait_for_load_state("networkidle")
        assert EventReview.objects.get(event=veto).decision == "confirmed"

        # Its reversal, by the first staff member, is confirmed on the same kind of page.
        reversal = services.score_event_reverse(
            actor=world.staff_east, event=veto, reason="已拆除，误报", evidence=factories.photo()
        )
        page.goto(f"{live_server.url}/communities/scoring/review/")
        page.locator(f"#event-{reversal.pk} a", has_text="查看后确认撤销").click()
        effect = page.locator("#veto-effect").inner_text()
        assert "2026 年积分由 60 分变为 80 分" in effect and "不再有一票否决" in effect
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(shots / f"veto-reversal-confirm-{size}.png"), full_page=True)
        page.check("#veto-confirm")
        page.click("#veto-confirm-submit")
        page.wait_for_load_state("networkidle")
        assert EventReview.objects.get(event=reversal).decision == "confirmed"
    finally:
        context.close()
    assert violations == [], violations
