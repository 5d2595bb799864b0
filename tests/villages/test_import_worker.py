"""A large register uploaded on the page is imported by a real Celery worker while the
page polls its progress (CI: Redis + PostgreSQL; skipped without a broker)."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from villages.models import Household, ImportJob, ShareClass

from .test_import import xlsx
from .test_import_limits import many_good_rows

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_large_register_is_imported_by_the_worker_while_the_page_polls(
    world, login, settings, celery_worker_process
):
    ShareClass.objects.create(cooperative=world.coop_a, code="NL", name="农龄股", weight="0.5")
    settings.IMPORT_BACKGROUND_BYTES = 20 * 1024
    client = login(world.accountant_a)
    file = SimpleUploadedFile("名册.xlsx", xlsx(many_good_rows(5000)).getvalue())
    response = client.post(
        reverse("villages:household_import"), {"cooperative": world.coop_a.pk, "file": file}
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("villages:import_job", args=[job.pk])
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
        seen.append(progress["progress"])
        if progress["done"]:
            break
        time.sleep(0.2)
    assert progress["status"] == "done", (progress, celery_worker_process.log())
    assert seen == sorted(seen) and seen[-1] == 100
    job.refresh_from_db()
    assert job.result["households"] == 5000 and bytes(job.content) == b""
    assert Household.objects.filter(cooperative=world.coop_a).count() == 5002
