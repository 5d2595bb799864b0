"""The accountant runs the annual dividend in a real browser: create, watch, approve, download."""

import re
from decimal import Decimal

import pytest

from dividends import run_jobs, services
from dividends.models import DividendRun
from tests.conftest import PASSWORD
from tests.dividends.test_exports import read

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_accountant_runs_approves_and_downloads_the_bank_list(
    live_server, transactional_db, world, scoring, page, artifacts
):
    login(page, live_server.url, "acc_a")
    page.get_by_role("link", name="分红", exact=True).click()
    page.wait_for_url(re.compile(r".*/dividends/$"))
    page.click("#new-run")

    # The preview shows the pools as the numbers are typed (Tongjie's 2019 figures).
    page.fill("#id_year", "2026")
    page.fill("#id_total", "561600.00")
    page.fill("#id_incentive_value", "0.2")
    page.wait_for_selector("#pools-preview[data-checked='1']")
    assert page.inner_text("#preview-base") == "468,000.00"
    assert page.inner_text("#preview-incentive") == "93,600.00"
    assert page.inner_text("#preview-percent") == "16.67%"
    assert page.locator("#preview-note").inner_text().endswith("✓")
    assert page.locator("#ceiling-box").is_hidden()
    assert page.locator("#tiers").is_hidden()  # only for the tiers policy

    # Above the published 20% ceiling the confirmation appears.
    page.select_option("#id_incentive_mode", "share_of_total")
    page.fill("#id_incentive_value", "0.25")
    page.wait_for_selector("#ceiling-box", state="visible")
    assert page.inner_text("#preview-incentive") == "140,400.00"
    page.screenshot(path=str(artifacts / "dividend-form-ceiling.png"), full_page=True)
    page.select_option("#id_incentive_mode", "ratio_of_base")
    page.fill("#id_incentive_value", "0.2")
    page.wait_for_selector("#ceiling-box", state="hidden")
    page.wait_for_selector("#pools-preview[data-checked='1']")
    page.screenshot(path=str(artifacts / "dividend-form.png"), full_page=True)

    page.click("#run-submit")
    page.wait_for_url(re.compile(r".*/dividends/runs/\d+/$"))
    run = DividendRun.objects.get()
    # Eager mode computes at commit inside the request; with a worker the page polls.
    page.wait_for_function(
        "() => document.getElementById('run-progress-text').textContent.trim() === '100%'"
    )
    assert page.get_attribute("#run-progress-bar", "aria-valuenow") == "100"
    # The message says the final state, not 正在计算 above a full bar (issue 24, point 8).
    assert page.locator(".messages").inner_text() == "已创建 2026 年分红方案第 1 版，已计算完成"
    page.wait_for_selector("#reconciliation-ok")
    assert page.inner_text("#run-base-pool") == "468,000.00"
    assert page.inner_text("#run-incentive-pool") == "93,600.00"
    page.screenshot(path=str(artifacts / "dividend-run-computed.png"), full_page=True)

    # Four-eyes: the accountant who created the run is offered no approve button;
    # the cooperative's supervisor signs it (tests/browser/test_approval.py in detail).
    assert page.locator("#approve-button").count() == 0
    assert "双人审核" in page.inner_text("#approval-refusal")
    page.context.clear_cookies()
    login(page, live_server.url, "sup_a")
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/approve/")
    page.check("#approve-confirm")
    page.click("#approve-submit")
    page.wait_for_selector("#run-frozen")
    assert page.locator("#approve-button").count() == 0
    run.refresh_from_db()
    assert run.status == DividendRun.Status.APPROVED
    assert run.remainder == Decimal("0.00")
    page.screenshot(path=str(artifacts / "dividend-run-approved.png"), full_page=True)

    # The accountant takes the approved bank list to the bank.
    page.context.clear_cookies()
    login(page, live_server.url, "acc_a")
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/")
    with page.expect_download() as download_info:
        page.click("#export-bank-xlsx")
    download = download_info.value
    path = artifacts / "dividend-bank-list.xlsx"
    download.save_as(str(path))
    assert download.suggested_filename.endswith(".xlsx")
    _preamble, header, rows, total = read(path.read_bytes(), "xlsx")
    amounts = [Decimal(row[header.index("金额")]) for row in rows]
    assert len(amounts) == run.household_count == 2
    assert sum(amounts) == run.total == Decimal("561600.00") == Decimal(total[4])

    # On a phone the run page still reads top to bottom.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(artifacts / "dividend-run-phone.png"), full_page=True)


def test_progress_bar_polls_until_the_worker_finishes(
    live_server, transactional_db, world, scoring, page, artifacts
):
    # Queued and not sent: as if the job waits for a worker.
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    login(page, live_server.url, "acc_a")
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/")
    assert page.inner_text("#run-progress-text") == "0%"
    assert page.locator("#lines-link").count() == 0

    DividendRun.objects.filter(pk=run.pk).update(status="running", progress=45)
    page.wait_for_function(
        "() => document.getElementById('run-progress-text').textContent.trim() === '45%'"
    )
    page.screenshot(path=str(artifacts / "dividend-run-progress.png"), full_page=True)

    # The status beside the bar and the badge in the title follow the same answer.
    assert page.inner_text("#run-progress-status") == "计算中"
    assert page.inner_text("#run-status-badge") == "计算中"

    run_jobs.dividend_run_compute(run_id=run.pk)  # the "worker" finishes
    page.wait_for_selector("#reconciliation-ok")  # the page reloaded with the results
    assert page.inner_text("#run-progress-text") == "100%"
    assert page.locator("#lines-link").count() == 1


def test_statement_explains_the_figures_and_fits_a_phone(
    live_server,
    transactional_db,
    world,
    scoring,
    page,
    artifacts,
    django_capture_on_commit_callbacks,
):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("561600.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    login(page, live_server.url, "acc_a")
    page.set_viewport_size({"width": 360, "height": 800})

    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/statement/{world.a_east.pk}/")

    assert "按最大余数法取整到分" in page.inner_text("#statement-base-calc")
    assert "符合条件各户积分合计" in page.inner_text("#statement-incentive-calc")
    assert "户主签字" in page.inner_text("#statement-signatures")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "dividend-statement-phone.png"), full_page=True)
