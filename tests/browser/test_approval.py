"""Four-eyes in a real browser: the accountant who prepared the run cannot approve it;
the cooperative's supervisor (理事长) opens the approval page, reads the summary and the
largest changes from last year, confirms, and the run page names both people."""

import re
from datetime import date
from decimal import Decimal

import pytest

from communities.models import ScoringStandard, StandardAdoption
from dividends import run_jobs, services
from dividends.models import DividendRun
from tests import factories
from tests.browser.test_dividend_run import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def computed_run(world, year, total):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=year,
        total=Decimal(total),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    run = run_jobs.dividend_run_compute(run_id=run.pk)
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return run


def test_a_second_person_approves_after_reading_the_summary(
    live_server, transactional_db, world, scoring, page, artifacts
):
    world.accountant_a.first_name = "王会计"
    world.accountant_a.save()
    world.supervisor_a.first_name = "李理事长"
    world.supervisor_a.save()
    # Last year's run, approved by the supervisor, to compare with.
    StandardAdoption.objects.create(
        standard=ScoringStandard.objects.create(
            town=factories.town(),
            name="2025标准",
            year=2025,
            status=ScoringStandard.Status.PUBLISHED,
        ),
        cooperative=world.coop_a,
        meeting_date=date(2025, 1, 15),
        votes_for=40,
    )
    last_year = computed_run(world, 2025, "50000.00")
    services.dividend_run_approve(actor=world.supervisor_a, run=last_year)
    factories.household(
        cooperative_=world.coop_a,
        community_=world.east,
        number="A003",
        head_name="周新户",
        shares={"RK": "2"},
    )
    run = computed_run(world, 2026, "60000.00")

    # The accountant who created it: no approve button, the reason instead; the
    # approval page refuses too.
    login(page, live_server.url, "acc_a")
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/")
    assert page.locator("#approve-button").count() == 0
    assert "双人审核" in page.inner_text("#approval-refusal")
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/approve/")
    assert page.locator("#approve-form").count() == 0
    assert "双人审核" in page.inner_text("#approval-refusal")
    page.screenshot(path=str(artifacts / "dividend-approval-refused.png"), full_page=True)

    # The supervisor: the run page offers the approval page.
    page.context.clear_cookies()
    login(page, live_server.url, "sup_a")
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/")
    page.click("#approve-button")
    page.wait_for_url(re.compile(rf".*/dividends/runs/{run.pk}/approve/$"))
    assert page.inner_text("#summary-total") == "60,000.00"
    assert page.inner_text("#summary-base-pool") == "50,000.00"
    assert page.inner_text("#summary-incentive-pool") == "10,000.00"
    assert page.inner_text("#summary-remainder") == "0.00"
    assert page.inner_text("#summary-households") == "3"
    assert page.locator("#summary-reconciliation-ok").count() == 1
    assert page.inner_text("#comparison-previous-total") == "50,000.00"
    assert page.inner_text("#comparison-difference") == "+10,000.00"
    rows = page.locator("#largest-changes tbody tr")
    assert rows.count() == 2  # the households paid last year too
    assert "周新户" not in page.inner_text("#largest-changes")
    # New this year: a list of its own, so it never hides the changes of existing ones.
    assert "周新户" in page.inner_text("#new-households")
    assert "共 1 户" in page.inner_text("#new-households-title")
    assert "王会计" in page.inner_text("#approval-people")

    # The confirmation box is required: the browser does not submit without it.
    page.click("#approve-submit")
    assert page.url.endswith(f"/dividends/runs/{run.pk}/approve/")
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED

    page.check("#approve-confirm")
    page.screenshot(path=str(artifacts / "dividend-approval-page.png"), full_page=True)
    page.click("#approve-submit")
    page.wait_for_selector("#run-frozen")
    frozen = page.inner_text("#run-frozen")
    assert "王会计" in frozen and "李理事长" in frozen
    assert page.locator("#approve-button").count() == 0
    run.refresh_from_db()
    assert run.status == DividendRun.Status.APPROVED
    assert (run.created_by, run.approved_by) == (world.accountant_a, world.supervisor_a)
    page.screenshot(path=str(artifacts / "dividend-approval-approved.png"), full_page=True)

    # On a phone the approval page reads top to bottom, without horizontal scrolling.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/dividends/runs/{run.pk}/approve/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / "dividend-approval-phone.png"), full_page=True)
