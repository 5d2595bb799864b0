"""A real Celery worker runs a project task through the broker (CI: Redis + PostgreSQL).

Skipped without CELERY_BROKER_URL; `make test` runs everything else eagerly.
"""

import base64
import io
import os
from decimal import Decimal

import pytest
from celery.result import AsyncResult, EagerResult
from django.db.models import Sum
from openpyxl import Workbook

from villages.idnumbers import id_check_character
from villages.models import Household, ShareMovement
from villages.tasks import import_households

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def register_row(number, head_name, id_first_17_digits, micro_grid, population_shares):
    """One row of the register: a household of COOPA living in 东湖社区."""
    id_number = id_first_17_digits + id_check_character(id_first_17_digits)
    return [number, head_name, id_number, "13900002222", "东湖社区", micro_grid, population_shares]


def register_xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["户号", "户主姓名", "身份证号", "联系电话", "居住社区", "微网格", "人口股"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_import_households_runs_in_the_worker(world, celery_worker_process):
    content = register_xlsx(
        [
            register_row("A101", "周立新", "33048219700305201", "东一网格", 3),
            register_row("A102", "沈桂芳", "33048219820918402", "", 2),
        ]
    )

    result = import_households.delay("COOPA", "名册.xlsx", content, world.accountant_a.pk)

    assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
    outcome = result.get(timeout=60)
    assert outcome["ok"], outcome
    assert outcome["households"] == 2
    # The worker, not this process, ran it: its log names the task id.
    assert celery_worker_process.process.pid != os.getpid()
    assert celery_worker_process.wait_for_log(result.id), celery_worker_process.log()

    imported = Household.objects.filter(cooperative=world.coop_a, number__in=["A101", "A102"])
    assert {h.number: h.community.name for h in imported} == {
        "A101": "东湖社区",
        "A102": "东湖社区",
    }
    assert imported.get(number="A101").micro_grid == world.grid_east
    shares = ShareMovement.objects.filter(household__in=imported).aggregate(total=Sum("quantity"))
    assert shares["total"] == Decimal("5")


def test_a_refused_file_comes_back_with_its_errors(world, celery_worker_process):
    row = register_row("A201", "错号户", "33048219700305201", "", 1)
    row[2] = row[2][:17] + ("1" if row[2][17] == "0" else "0")  # wrong check character
    content = register_xlsx([row])

    outcome = import_households.delay("COOPA", "名册.xlsx", content, world.accountant_a.pk).get(
        timeout=60
    )

    assert outcome["ok"] is False
    assert [error["row"] for error in outcome["errors"]] == [2]
    assert not Household.objects.filter(number="A201").exists()
