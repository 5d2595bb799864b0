from decimal import Decimal

from django.core.management import call_command
from django.db.models import Sum

from dividends.models import DividendRun


def test_seed_demo_reproduces_tongjie_2019_and_is_idempotent(db):
    call_command("seed_demo", "--small")
    run = DividendRun.objects.get(cooperative__code="TONGJIE", year=2019)
    assert run.status == DividendRun.Status.APPROVED
    assert run.total == Decimal("561600.00")
    assert run.base_pool == Decimal("468000.00")
    assert run.incentive_pool == Decimal("93600.00")
    sums = run.lines.aggregate(base=Sum("base_amount"), incentive=Sum("incentive_amount"))
    assert sums["base"] == Decimal("468000.00")
    assert sums["incentive"] + run.remainder == Decimal("93600.00")

    call_command("seed_demo", "--small")
    assert DividendRun.objects.count() == 1
