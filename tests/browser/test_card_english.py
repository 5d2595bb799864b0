"""Issue 24.5: the point card in English on a phone (360 and 390 px, Debian chromium):
the jump buttons keep their words whole ("Standard", not "Standar d") and the brand is
shown whole, not cut; the page never scrolls sideways."""

import pytest

from accounts.models import User
from tests import factories
from tests.conftest import PASSWORD

from .test_point_card import NO_SIDEWAYS_SCROLL, _today, card_events  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Per element: the words whose letters were laid out on more than one line.
BROKEN_WORDS = """(selector) => [...document.querySelectorAll(selector)].flatMap((el) => {
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g; let match;
    while ((match = re.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
})"""
# The brand's text is cut (ellipsis) or runs past the screen.
BRAND_CUT = """() => {
  const brand = document.querySelector('.site-header .brand');
  const box = brand.getBoundingClientRect();
  return brand.scrollWidth > brand.clientWidth + 1 || box.right > window.innerWidth;
}"""


@pytest.mark.parametrize("width", [360, 390])
def test_the_english_card_keeps_words_and_brand_whole(
    live_server,
    transactional_db,
    world,
    card_events,  # noqa: F811 (the fixture imported above)
    browser,
    artifacts,
    width,
):
    household = card_events
    villager = factories.user(
        username=household.card_number, role=User.Role.VILLAGER, household_=household
    )
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", villager.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page.goto(f"{live_server.url}/card/")
        assert page.locator("html").get_attribute("lang") == "en"
        jump = page.locator(".pc-jump a")
        assert jump.count() == 5  # 积分, 明细, 标准, 分红, 奖励
        labels = [text.strip() for text in jump.all_inner_texts()]
        assert "Standard" in " ".join(labels), labels
        assert page.evaluate(BROKEN_WORDS, ".pc-jump a") == []
        for index in range(jump.count()):
            box = jump.nth(index).bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44
        assert not page.evaluate(BRAND_CUT), page.locator(".site-header .brand").inner_text()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / f"point-card-en-{width}.png"))
    finally:
        context.close()
