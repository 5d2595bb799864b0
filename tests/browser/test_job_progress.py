"""The one progress poller (static/js/job-progress.js) on an import job's page: the
<progress> bar follows the server, and the page shows the result once the job is done
(issue 21, point 3; the dividend run's page is test_dividend_run.py)."""

import pytest
from django.utils import timezone

from tests.browser.test_dividend_run import login
from villages.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_import_page_follows_its_job_to_the_end(live_server, transactional_db, world, page):
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        status=ImportJob.Status.QUEUED,
        user=world.accountant_a,
        cooperative=world.coop_a,
        file_name="名册.xlsx",
        heartbeat_at=timezone.now(),
    )
    login(page, live_server.url, "acc_a")
    page.goto(f"{live_server.url}/villages/imports/{job.pk}/")
    assert page.inner_text("#import-progress-text") == "0%"

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, progress=60, heartbeat_at=timezone.now()
    )
    page.wait_for_function(
        "() => document.getElementById('import-progress-text').textContent.trim() === '60%'"
    )
    assert page.eval_on_selector("#import-progress-bar", "bar => bar.value") == 60

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        progress=100,
        finished_at=timezone.now(),
        result={"households": 3, "members": 5, "share_movements": 3},
    )
    page.wait_for_selector("text=已导入 3 户股东户、3 条股权登记")  # reloaded with the result
    assert page.inner_text("#import-progress-text") == "100%"
