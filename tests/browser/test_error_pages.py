"""Issue 24, point 2: with DEBUG on, as in `make run`'s demo, a mistyped link and a crash
show the product's own pages on a 360 px phone and at 1280 px, not Django's debug pages
(its URL patterns, a traceback, laid out at 980 px); the traceback goes to the console.
Screenshots go to test-artifacts/error-pages/."""

import logging

import pytest

from tests.browser.conftest import watch_csp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.test_errors"),  # the project's routes plus /boom/ (a crash)
]

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("size", SIZES)
def test_debug_mode_shows_the_products_404_and_500(
    live_server, world, settings, browser, artifacts, caplog, size
):
    settings.DEBUG = True
    shots = artifacts / "error-pages"
    shots.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        missing = page.goto(f"{live_server.url}/card/mine-typo/")
        assert missing.status == 404
        assert page.locator("h1").inner_text() == "找不到页面"
        body = page.content()
        assert "URLconf" not in body and "Page not found" not in body
        assert page.locator(".site-header").is_visible()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(shots / f"404-debug-{size}.png"), full_page=True)

        with caplog.at_level(logging.ERROR, logger="django.request"):
            crash = page.goto(f"{live_server.url}/boom/")
        assert crash.status == 500
        assert page.locator("h1").inner_text() == "系统故障"
        body = page.content()
        assert "Traceback" not in body and "secret internal detail" not in body
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(shots / f"500-debug-{size}.png"), full_page=True)
        # The traceback is for the developer at the console.
        logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
        assert logged and "secret internal detail" in str(logged[-1].exc_info[1])

        refused = page.goto(f"{live_server.url}/refused/")
        assert refused.status == 403
        assert page.locator("h1").inner_text() == "没有权限"
    finally:
        context.close()
    assert violations == [], violations
