"""The demo's approved dividends of Tongjie, each prepared by the cooperative's accountant
and signed by its supervisor (four-eyes):

- 2019, as published: 561,600.00 = 468,000.00 basic share dividend + 93,600.00 points
  incentive (20% of the base);
- the year before the demo year (2025): 600,000.00 = 500,000.00 + 100,000.00 (ratio 0.2),
  so a 2026 run shows the comparison with last year on a fresh `make run`.

Idempotent: a year that already has an approved run is left as it is.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from communities.demo import PREVIOUS_YEAR
from communities.selectors import standard_for
from villages.models import Cooperative

from . import run_jobs, services
from .models import DividendRun

TONGJIE = "TONGJIE"
YEAR = 2019
TOTAL = Decimal("561600.00")
RATIO = Decimal("0.2")
# (year, distributable total, incentive ratio of the base)
DEMO_RUNS = ((YEAR, TOTAL, RATIO), (PREVIOUS_YEAR, Decimal("600000.00"), RATIO))


def _preparer(cooperative):
    """The cooperative's accountant, else its town's administrator (the city admin only
    reads)."""
    return (
        User.objects.filter(role=User.Role.ACCOUNTANT, cooperative=cooperative)
        .order_by("pk")
        .first()
        or _town_admins(cooperative).order_by("pk").first()
    )


def _town_admins(cooperative):
    return User.objects.filter(
        is_active=True,
        is_superuser=False,
        role=User.Role.SUBDISTRICT_ADMIN,
        town_id=cooperative.village.town_id,
    )


def _signer(cooperative, creator):
    """The cooperative's supervisor, else an administrator: never the creator."""
    signers = User.objects.filter(is_active=True).exclude(pk=creator.pk)
    return (
        signers.filter(role=User.Role.SUPERVISOR, cooperative=cooperative).order_by("pk").first()
        or signers.filter(pk__in=_town_admins(cooperative)).order_by("pk").first()
    )


def _seed_year(cooperative, year, total, ratio, stdout):
    approved = services.approved_run_of_year(cooperative=cooperative, year=year)
    if approved is not None:
        return approved
    if standard_for(cooperative=cooperative, year=year) is None:
        return None  # no scores to pay the incentive on (the scoring demo was not seeded)
    creator = _preparer(cooperative)
    signer = _signer(cooperative, creator) if creator is not None else None
    if signer is None:
        return None
    with transaction.atomic():
        run = services.dividend_run_create(
            actor=creator,
            cooperative=cooperative,
            year=year,
            total=total,
            incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
            incentive_value=ratio,
            policy=DividendRun.Policy.SCORE,
            record_date=date(year, 12, 31),
        )
    # Computed in-process: the demo must not depend on a worker being up.
    run = run_jobs.dividend_run_compute(run_id=run.pk)
    run = services.dividend_run_approve(actor=signer, run=run)
    if stdout is not None:
        stdout.write(
            f"通界村 {year} 年分红（{creator.username} 创建，{signer.username} 审批）："
            f"总额 {run.total}，基本股分红 {run.base_pool}，"
            f"积分激励 {run.incentive_pool}，{run.household_count} 户\n"
        )
    return run


def seed_dividend_demo(*, stdout=None):
    """Compute and approve Tongjie's demo years unless already approved.

    Returns the 2019 run (or None without Tongjie or without logins to prepare and sign).
    """
    cooperative = Cooperative.objects.filter(code=TONGJIE).first()
    if cooperative is None:
        return None
    runs = [_seed_year(cooperative, year, total, ratio, stdout) for year, total, ratio in DEMO_RUNS]
    return runs[0]
