"""The new-run form's live preview in a real browser: the exact 20% ceiling and the money
inputs the server refuses (issue 9 findings 3 and 4)."""

import re

import pytest

from dividends.models import DividendRun
from tests.browser.test_dividend_run import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_preview_compares_the_ceiling_exactly_and_refuses_rounded_inputs(
    live_server, transactional_db, world, scoring, page, artifacts
):
    login(page, live_server.url, "acc_a")
    page.goto(f"{live_server.url}/dividends/runs/new/")
    page.fill("#id_year", "2026")

    # T = 0.03, ratio 0.25: B 0.02, I 0.01, a third of the total (20% of it is 0.006).
    page.fill("#id_total", "0.03")
    page.fill("#id_incentive_value", "0.25")
    page.wait_for_selector("#pools-preview[data-checked='1']")
    assert page.inner_text("#preview-incentive") == "0.01"
    assert page.locator("#ceiling-box").is_visible()

    # 100.001 yuan is refused with the service's message, not rounded to 100.00.
    page.fill("#id_incentive_value", "0.2")
    page.fill("#id_total", "100.001")
    page.wait_for_selector("#preview-error:not([hidden])")
    assert "精确到分" in page.inner_text("#preview-error")
    page.screenshot(path=str(artifacts / "dividend-form-refused-input.png"), full_page=True)

    page.click("#run-submit")
    page.wait_for_url(re.compile(r".*/dividends/runs/new/$"))
    assert "可分配总额“100.001”无效" in page.content()
    assert not DividendRun.objects.exists()
