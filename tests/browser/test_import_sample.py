"""The import page's sample in a real browser: the link follows the chosen cooperative,
and the downloaded file, uploaded as it is, imports. Screenshot in test-artifacts/."""

import pytest

from tests.conftest import PASSWORD
from villages.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_sample_of_the_chosen_cooperative_downloads_and_imports(
    live_server, transactional_db, world, browser, artifacts, tmp_path
):
    from tests.browser.conftest import watch_csp

    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    page = context.new_page()
    violations = watch_csp(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", world.admin.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        for url in ("/villages/households/import/", "/admin/villages/household/import-register/"):
            page.goto(live_server.url + url)
            link = page.locator("#household-import-sample")
            page.select_option("#id_cooperative", str(world.coop_b.pk))
            assert link.get_attribute("href").endswith(f"?cooperative={world.coop_b.pk}")

        page.goto(f"{live_server.url}/villages/households/import/")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / "import-sample-390.png"), full_page=True)
        page.select_option("#id_cooperative", str(world.coop_b.pk))
        with page.expect_download() as downloading:
            page.click("#household-import-sample")
        download = downloading.value
        assert download.suggested_filename == "乙村股份经济合作社_股东名册样例.xlsx"
        path = tmp_path / download.suggested_filename
        download.save_as(path)

        page.set_input_files("#id_file", str(path))
        page.click("#import-preview-submit")
        page.wait_for_load_state()
        # Issue 24.4: a preview first, which says these are made-up households; nothing yet.
        assert "虚构的股东户" in page.inner_text("#import-preview-sample")
        assert page.inner_text("#preview-households") == "10"
        assert Household.objects.filter(cooperative=world.coop_b).count() == 2
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / "import-preview-390.png"), full_page=True)
        page.check("#import-confirm")
        page.click("#import-confirm-submit")
        page.wait_for_load_state()
        assert page.url.endswith("/villages/households/")
        assert "已导入 10 户股东户" in page.content()
        assert Household.objects.filter(cooperative=world.coop_b).count() == 12
        assert Household.objects.filter(cooperative=world.coop_a).count() == 2
    finally:
        context.close()
    assert violations == [], violations
