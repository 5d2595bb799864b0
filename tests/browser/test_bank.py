"""The bank's window in a real browser (issue 15): the household head consents on the card
(a phone), the bank officer finds the household in the list and by its ID number, the card
then shows when the bank last looked, and after the head withdraws the bank sees nothing.
Screenshots in test-artifacts/."""

import pytest

from tests import factories
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def log_in(page, url, username):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_consent_on_the_card_and_the_banks_view(
    live_server, transactional_db, world, scoring, browser, artifacts
):
    from tests.browser.conftest import watch_csp

    factories.credit_grades()
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    desk = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    villager, officer = phone.new_page(), desk.new_page()
    violations = watch_csp(villager) + watch_csp(officer)
    try:
        # The head gives consent on the card.
        log_in(villager, live_server.url, world.villager_a.username)
        villager.goto(f"{live_server.url}/card/#pc-bank")
        assert villager.locator("#pc-bank-none").is_visible()
        villager.click("#consent-give")
        villager.wait_for_load_state()
        assert "平湖农商银行" in villager.locator("#pc-bank").inner_text()
        assert villager.evaluate(NO_SIDEWAYS_SCROLL)
        villager.locator("#pc-bank").screenshot(path=str(artifacts / "bank-consent-card-390.png"))

        # The bank officer sees the household, with its grade, and finds it by ID number.
        log_in(officer, live_server.url, world.bank_officer.username)
        assert officer.url.endswith("/bank/")
        table = officer.locator("table.bank-rows").inner_text()
        assert "王建国" in table and "**************1234" in table
        assert "李秀英" not in table and "13800001111" not in officer.content()
        officer.screenshot(path=str(artifacts / "bank-list.png"), full_page=True)
        officer.fill("#id_id_number", "330482196501181234")
        officer.click("form.search-form button[type=submit]")
        officer.wait_for_load_state()
        assert "户主已授权本行查询" in officer.locator("#lookup-consent").inner_text()
        officer.screenshot(path=str(artifacts / "bank-lookup.png"), full_page=True)

        # The card shows when the bank last looked; the head withdraws.
        villager.reload()
        assert "银行最近一次查看" in villager.locator("#pc-bank-looked").inner_text()
        villager.locator("#pc-bank button", has_text="撤回授权").click()
        villager.wait_for_load_state()
        assert villager.locator("#pc-bank-none").is_visible()
        villager.locator("#pc-bank").screenshot(path=str(artifacts / "bank-withdrawn-card-390.png"))

        # At once: the bank sees nothing of the household.
        officer.goto(f"{live_server.url}/bank/")
        assert "王建国" not in officer.locator("table.bank-rows").inner_text()
        officer.goto(f"{live_server.url}/bank/lookup/?id_number=330482196501181234")
        assert (
            "没有该身份证号户主对本行的有效授权" in officer.locator("#lookup-consent").inner_text()
        )
        officer.screenshot(path=str(artifacts / "bank-lookup-withdrawn.png"), full_page=True)
    finally:
        phone.close()
        desk.close()
    assert violations == [], violations
