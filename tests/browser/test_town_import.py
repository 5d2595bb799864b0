"""The town spreadsheet's page in a real browser at 360 px: the sample downloads, uploads
as it is, shows its preview (nothing written) and is set up on confirmation; no sideways
scroll, axe-core clean. Screenshots in test-artifacts/."""

import pytest

from accounts.models import User
from tests import factories
from tests.conftest import PASSWORD
from villages.models import Town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_sample_town_downloads_previews_and_is_set_up(
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
        # Towns are set up by the city (may_set_up_towns).
        city = factories.user(
            username="city", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True
        )
        page.fill("#id_username", city.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{live_server.url}/villages/towns/import/")
        page.click("#town-format summary")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / "town-import-360.png"), full_page=True)
        with page.expect_download() as downloading:
            page.click("#town-import-sample")
        download = downloading.value
        assert download.suggested_filename == "示例镇_镇街道设置表样例.xlsx"
        path = tmp_path / download.suggested_filename
        download.save_as(path)

        page.set_input_files("#id_file", str(path))
        page.click("#town-preview-submit")
        page.wait_for_load_state()
        assert page.inner_text("#preview-town") == "示例镇"
        assert page.inner_text("#preview-grids") == "4"
        assert not Town.objects.filter(name="示例镇").exists()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(artifacts / "town-import-preview-360.png"), full_page=True)
        page.check("#import-confirm")
        page.click("#import-confirm-submit")
        page.wait_for_load_state()
        assert "已设置示例镇" in page.content()
        assert Town.objects.get(name="示例镇").villages.count() == 3
    finally:
        context.close()
    assert violations == [], violations
