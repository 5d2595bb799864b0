"""The phone shell (issue 16) in a real browser at 360 px, on the small demo subdistrict.

For every demo login, each destination of the bottom tab bar (the role's main pages):
the header is one line, the tab bar is on screen, every visible link and button is at
least 44×44 px with text of at least 14 px, and nothing scrolls sideways. The user menu
holds the whole menu, the language switch and the logout. At desktop size the header is
today's bar and the tab bar is hidden. Screenshots go to test-artifacts/phone-shell/.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser.conftest import watch_csp
from villages.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
ROLES = (
    "admin",
    "staff_donghu",
    "accountant_tongjie",
    "supervisor_tongjie",
    "bank_phrcb",
    "TONGJIE-0001",
)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# Every visible tap target, measured where it is drawn; 0.5 px for sub-pixel layout.
SMALL_TARGETS = """() => {
  const targets = document.querySelectorAll(
    'a[href], button, summary, input[type=submit], input[type=button], [role=button]');
  const small = [];
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!el.checkVisibility({visibilityProperty: true}) || el.closest('.visually-hidden')) continue;
    const size = parseFloat(style.fontSize);
    if (box.width < 43.5 || box.height < 43.5 || size < 14) {
      small.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.value || '').trim().slice(0, 30)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)} ${size}px`);
    }
  }
  return small;
}"""


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--small", stdout=StringIO())


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"{username} could not log in"


def fit_problems(page, where, *, tab_bar=True):
    """What keeps the page from fitting a 360 px phone, as readable lines."""
    problems = []
    header = page.locator(".site-header").bounding_box()
    if header["height"] > 60:
        problems.append(f"{where}: header {header['height']:.0f} px tall")
    if tab_bar:
        bar = page.locator(".tab-bar").bounding_box()
        if (
            not page.locator(".tab-bar").is_visible()
            or bar["y"] + bar["height"] > PHONE["height"] + 0.5
        ):
            problems.append(f"{where}: the tab bar is not on screen")
    if not page.evaluate(NO_SIDEWAYS_SCROLL):
        problems.append(f"{where}: scrolls sideways")
    overflowing = page.evaluate(
        "[...document.querySelectorAll('.tab-bar a')]"
        ".filter(a => a.scrollWidth > a.clientWidth).map(a => a.textContent)"
    )
    problems += [f"{where}: the tab label {label!r} does not fit" for label in overflowing]
    return problems + [f"{where}: {small}" for small in page.evaluate(SMALL_TARGETS)]


def phone_context(browser):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    return context


def test_each_roles_main_pages_fit_a_phone(live_server, demo, browser, artifacts):
    shots = artifacts / "phone-shell"
    shots.mkdir(exist_ok=True)
    problems = []
    for username in ROLES:
        context = phone_context(browser)
        page = context.new_page()
        violations = watch_csp(page)
        try:
            if username == ROLES[0]:  # the login page, before anyone has logged in
                page.goto(f"{live_server.url}/accounts/login/")
                problems += fit_problems(page, "login", tab_bar=False)
                page.screenshot(path=str(shots / "login.png"), full_page=True)
            log_in(page, live_server.url, username)
            tabs = page.locator(".tab-bar a")
            assert 3 <= tabs.count() <= 5, f"{username}: {tabs.count()} tabs"
            destinations = [tabs.nth(i).get_attribute("href") for i in range(tabs.count())]
            for path in destinations:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                where = f"{username} {path}"
                current = page.locator(".tab-bar a[aria-current=page]")
                if current.count() != 1 or current.get_attribute("href") != path:
                    problems.append(f"{where}: the tab bar does not mark this page")
                problems += fit_problems(page, where)
                name = path.strip("/").replace("/", "-") or "home"
                page.screenshot(path=str(shots / f"{username}-{name}.png"), full_page=True)
        finally:
            context.close()
        assert violations == [], violations
    assert problems == [], "\n".join(problems)


def test_the_user_menu_holds_menu_language_and_logout(live_server, demo, browser, artifacts):
    context = phone_context(browser)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        log_in(page, live_server.url, "staff_donghu")
        assert not page.locator(".user-menu-panel").is_visible()
        assert not page.locator("#language-select").is_visible()  # desktop's tools are hidden
        page.click(".user-menu summary")
        panel = page.locator(".user-menu-panel")
        assert panel.is_visible()
        # The whole menu, not only the tabs; the desk's spreadsheet stays on the desktop.
        assert panel.locator("a", has_text="积分复核").is_visible()
        assert panel.locator("a", has_text="批量录入").count() == 0
        assert page.evaluate(SMALL_TARGETS) == []
        page.screenshot(path=str(artifacts / "phone-shell" / "user-menu.png"))
        # A tap outside closes it, and so does Escape.
        page.locator("main").dispatch_event("click")
        assert not panel.is_visible()
        page.click(".user-menu summary")
        page.keyboard.press("Escape")
        assert not panel.is_visible()

        page.click(".user-menu summary")
        with page.expect_navigation():
            page.select_option("#language-select-menu", "en")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en"
        page.screenshot(path=str(artifacts / "phone-shell" / "staff-home-english.png"))
        assert fit_problems(page, "staff_donghu / in English") == []
        assert page.locator(".tab-bar a").first.inner_text() == "Home"
        page.click(".user-menu summary")
        page.click(".user-menu-logout button")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" in page.url
    finally:
        context.close()
    assert violations == [], violations


def test_desktop_keeps_the_full_header(live_server, demo, browser, artifacts):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "admin")
        assert page.locator(".site-nav").is_visible()
        assert page.locator("#language-select").is_visible()
        assert page.locator(".site-tools button", has_text="退出").is_visible()
        assert not page.locator(".tab-bar").is_visible()
        assert not page.locator(".user-menu").is_visible()
        page.screenshot(path=str(artifacts / "phone-shell" / "desktop-admin-home.png"))
    finally:
        context.close()
