"""Pages keep working under the Content-Security-Policy: the language switch and print
buttons (static/js/site.js), Swagger UI from the sidecar, the admin. The `page` fixture
fails any test on a CSP violation Chromium reports."""

import re

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_language_switch_submits_without_inline_handler(live_server, transactional_db, page):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.get_attribute("html", "lang") == "zh-hans"

    page.select_option("#language-select", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")

    assert page.locator("h1").first.inner_text() != "登录"


def test_swagger_ui_lists_the_api_under_the_policy(live_server, transactional_db, world, page):
    login(page, live_server.url, "staff_east")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)

    assert page.locator(".opblock").count() > 5
    assert "/api/score-events/" in page.content()


def test_admin_pages_work_under_the_policy(live_server, transactional_db, world, scoring, page):
    world.admin.is_superuser = True
    world.admin.save()
    login(page, live_server.url, "admin")

    page.goto(f"{live_server.url}/admin/communities/scoringstandard/add/")
    page.wait_for_selector("#scoringstandard_form")
    # The inline formset's "add another" link is built by the admin's own script.
    page.wait_for_selector(".add-row a", timeout=15_000)
    page.goto(f"{live_server.url}/admin/accounts/user/{world.staff_east.pk}/change/")
    page.wait_for_selector("#user_form")


def test_password_change_page_shows_the_rules(live_server, transactional_db, world, page):
    login(page, live_server.url, "villager_a")

    page.goto(f"{live_server.url}/accounts/password/")

    rules = page.locator("#password-rules").inner_text()
    assert "至少 8 个字符" in rules
    assert "This password" not in page.content()
