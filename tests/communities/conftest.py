"""A published unified standard adopted by both cooperatives of the `world` fixture."""

from datetime import date
from decimal import Decimal

import pytest

from communities.models import ScoringItem, ScoringStandard, StandardAdoption
from tests import factories

YEAR = 2026


@pytest.fixture
def standard(world):
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name="撤建制村统一标准",
        year=YEAR,
        base_points=Decimal("80"),
        lower_bound=Decimal("0"),
        upper_bound=Decimal("120"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    for cooperative in (world.coop_a, world.coop_b):
        StandardAdoption.objects.create(
            standard=standard,
            cooperative=cooperative,
            meeting_date=date(YEAR, 1, 15),
            votes_for=45,
            votes_against=2,
        )
    return standard


def _item(standard, code, name, direction, default, low, high, **extra):
    return ScoringItem.objects.create(
        standard=standard,
        code=code,
        name=name,
        category=extra.pop("category", ScoringItem.Category.ENVIRONMENT),
        direction=direction,
        default_points=Decimal(default),
        min_points=Decimal(low),
        max_points=Decimal(high),
        **extra,
    )


@pytest.fixture
def items(standard):
    add, deduct = ScoringItem.Direction.ADD, ScoringItem.Direction.DEDUCT
    return {
        "clean": _item(
            standard,
            "HJ01",
            "庭院整洁",
            add,
            "5",
            "1",
            "10",
            cap_per_month=Decimal("10"),
            cap_per_year=Decimal("60"),
        ),
        "volunteer": _item(
            standard,
            "CY01",
            "志愿服务",
            add,
            "2",
            "1",
            "5",
            category=ScoringItem.Category.PARTICIPATION,
        ),
        "litter": _item(standard, "HJ11", "乱堆乱放", deduct, "5", "1", "10"),
        "photo": _item(
            standard, "HJ02", "垃圾分类示范户", add, "3", "1", "3", evidence_required=True
        ),
        "crime": _item(
            standard,
            "ZF01",
            "违法犯罪",
            deduct,
            "20",
            "20",
            "20",
            category=ScoringItem.Category.LAW,
            is_veto=True,
        ),
    }
