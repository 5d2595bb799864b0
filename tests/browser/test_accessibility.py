"""axe-core on every menu destination of every demo role, at 360 px and 1280 px (issue 24, 9).

Every browser test already runs axe-core on each page it loads (tests/browser/conftest.py,
tests/browser/axe.py) and fails on a serious or critical violation. This walk makes sure
that each page a role reaches from its menu is among them, on a phone and on a desktop,
and that no page asks for something that answers 404 (the favicon was one).
Screenshots go to test-artifacts/accessibility/.
"""

import pytest

from tests.browser.axe import assert_no_serious_axe_violations_on_load
from tests.browser.conftest import watch_csp
from tests.browser.test_phone_shell import demo, log_in  # noqa: F401  (demo is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "phone": {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
ROLES = (
    "admin",
    "staff_donghu",
    "staff_tongjie",
    "accountant_tongjie",
    "supervisor_tongjie",
    "bank_phrcb",
    "TONGJIE-0001",
)
# Every link of the menu (desktop bar, phone tab bar and user menu), own site only.
MENU_LINKS = """() => [...new Set([...document.querySelectorAll(
    '.site-nav a[href], .tab-bar a[href], .user-menu-panel a[href]')]
  .map(a => a.getAttribute('href')).filter(h => h.startsWith('/') && !h.startsWith('/admin/')))]"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_every_menu_page_of_every_role_passes_axe(live_server, demo, browser, artifacts, device):  # noqa: F811
    shots = artifacts / "accessibility"
    shots.mkdir(exist_ok=True)
    missing = []
    visited = 0
    for username in ROLES:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[device]
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        violations = watch_csp(page)
        page.on(
            "response",
            lambda response: (
                missing.append(f"{response.status} {response.url}")
                if response.status == 404 and response.url.startswith(live_server.url)
                else None
            ),
        )
        try:
            log_in(page, live_server.url, username)
            assert_no_serious_axe_violations_on_load(page)
            for path in page.evaluate(MENU_LINKS):
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                assert_no_serious_axe_violations_on_load(page)
                visited += 1
                name = path.strip("/").replace("/", "-") or "home"
                page.screenshot(path=str(shots / f"{device}-{username}-{name}.png"))
        finally:
            context.close()
        assert violations == [], violations
    assert visited > 30
    assert missing == [], missing


def test_the_favicon_answers(live_server, transactional_db, page):
    response = page.goto(f"{live_server.url}/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")


def test_the_check_on_load_fails_on_a_serious_violation(live_server, transactional_db, browser):
    """The harness itself: a page with an image without alt text (critical) fails both the
    wait for the check on load and the fixture's findings."""
    context = browser.new_context()
    page = context.new_page()
    url = f"{live_server.url}/axe-probe/"
    page.route(
        url,
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="zh"><title>t</title><main><img src="/favicon.ico"></main>',
        ),
    )
    try:
        page.goto(url)
        with pytest.raises(AssertionError, match="image-alt"):
            assert_no_serious_axe_violations_on_load(page)
    finally:
        context.close()
    assert [v["id"] for _url, v in browser.axe_findings.violations] == ["image-alt"]
    browser.axe_findings.violations.clear()  # expected here: the fixture must not fail
