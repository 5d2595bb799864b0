"""Tongjie's 2019 dividend, as published: 561,600.00 = 468,000.00 basic share dividend
+ 93,600.00 points incentive (20% of the base), approved, for the demo."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from villages.models import Cooperative

from . import services
from .models import DividendRun

TONGJIE = "TONGJIE"
YEAR = 2019
TOTAL = Decimal("561600.00")
RATIO = Decimal("0.2")


def seed_dividend_demo(*, stdout=None):
    """Compute and approve Tongjie 2019 unless it is already approved. Returns the run or None."""
    cooperative = Cooperative.objects.filter(code=TONGJIE).first()
    if cooperative is None:
        return None
    approved = DividendRun.objects.filter(
        cooperative=cooperative, year=YEAR, status=DividendRun.Status.APPROVED
    ).first()
    if approved is not None:
        return approved
    accountant = (
        User.objects.filter(role=User.Role.ACCOUNTANT, cooperative=cooperative).first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )
    with transaction.atomic():
        run = services.dividend_run_create(
            actor=accountant,
            cooperative=cooperative,
            year=YEAR,
            total=TOTAL,
            incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
            incentive_value=RATIO,
            policy=DividendRun.Policy.SCORE,
            record_date=date(YEAR, 12, 31),
        )
    # Computed in-process: the demo must not depend on a worker being up.
    run = services.dividend_run_compute(run_id=run.pk)
    run = services.dividend_run_approve(actor=accountant, run=run)
    if stdout is not None:
        stdout.write(
            f"通界村 {YEAR} 年分红（已审批）：总额 {run.total}，基本股分红 {run.base_pool}，"
            f"积分激励 {run.incentive_pool}，{run.household_count} 户\n"
        )
    return run
