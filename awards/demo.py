"""The demo's award fund: 独山港镇韩家庙村 sets aside 10,000 yuan a month to reward its
households for 全域秀美, 优美庭院 and 户厕攻坚 (DESIGN.md, the newspaper page).

What it builds (small, so `make run` stays fast): the village, its cooperative (which
keeps the register) and its village committee (which scores its own households), 40
households in four micro-grids, a published 2026 standard whose environment items are
those three, September–November 2026 scored at the door, one award run per month
(10,000.00 yuan by the environment category, to every household, in proportion to the
month's score, veto on), computed in-process. October is approved by the supervisor
(four-eyes: the accountant prepared it) and so is under notice; September and November
wait for the supervisor's signature (November's approval page compares with October).

Logins (password as every demo login): accountant_hanjiamiao, supervisor_hanjiamiao,
staff_hanjiamiao and the villager HANJIAMIAO-0001. Idempotent: a second run adds nothing.
"""

import random
from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from communities.demo import LAST_MONTH, YEAR
from communities.models import (
    Community,
    MicroGrid,
    ScoringItem,
    ScoringStandard,
    StaffMembership,
    StandardAdoption,
)
from communities.services import Entry, score_events_record
from villages.demo import DEMO_PASSWORD, demo_password_hash, demo_town  # noqa: F401 (tests)
from villages.models import Cooperative, Household, Town, Village

from . import services
from .models import AwardRun

CODE = "HANJIAMIAO"
TOWN = "独山港镇"
VILLAGE = "韩家庙村"
HOUSEHOLDS = 40
POOL = Decimal("10000.00")
MONTHS = (LAST_MONTH - 2, LAST_MONTH - 1, LAST_MONTH)  # September–November 2026
APPROVED_MONTH = LAST_MONTH - 1  # October: approved, under notice
AWARD_NAME = "全域秀美月度奖励"
SEED = "hanjiamiao-awards-v1"
SURNAMES = "韩陈沈张王李徐朱顾周"
GIVEN = ("建国", "秀英", "志强", "美兰", "国庆", "小芳", "卫东", "海燕", "春生", "桂芳")

ADD, DEDUCT = ScoringItem.Direction.ADD, ScoringItem.Direction.DEDUCT
ENVIRONMENT = ScoringItem.Category.ENVIRONMENT
# (code, name, direction, default, min, max, monthly cap)
ITEMS = (
    ("QY01", "全域秀美：房前屋后整洁", ADD, "5", "1", "10", "10"),
    ("TY01", "优美庭院", ADD, "8", "1", "10", "10"),
    ("HC01", "户厕攻坚：改厕达标", ADD, "6", "1", "10", "10"),
    ("QY11", "乱堆乱放、垃圾未分类", DEDUCT, "3", "1", "10", None),
)
LOGINS = (
    ("accountant_hanjiamiao", User.Role.ACCOUNTANT, "韩家庙村股份经济合作社会计（奖励发放）"),
    ("supervisor_hanjiamiao", User.Role.SUPERVISOR, "韩家庙村股份经济合作社理事长（审批奖励）"),
    ("staff_hanjiamiao", User.Role.COMMUNITY_STAFF, "韩家庙村村民委员会工作人员（村自评）"),
    ("HANJIAMIAO-0001", User.Role.VILLAGER, "韩家庙村 0001 号户村民"),
)


def _structure():
    town = demo_town("DUSHANGANG", TOWN, Town.Kind.TOWN)
    village, _made = Village.objects.get_or_create(
        code=CODE, defaults={"town": town, "name": VILLAGE}
    )
    cooperative, _made = Cooperative.objects.get_or_create(
        code=CODE,
        defaults={
            "name": f"{TOWN}{VILLAGE}股份经济合作社",
            "village": village,
            "notice_contact": "韩会计 0573-85700000",
        },
    )
    committee, _made = Community.objects.get_or_create(
        code=f"{CODE}-CWH",
        defaults={
            "town": town,
            "name": f"{VILLAGE}村民委员会",
            "kind": Community.Kind.VILLAGE_COMMITTEE,
            "village": village,
            "phone": "0573-85700001",
        },
    )
    return cooperative, committee


def _households(cooperative, committee, rng):
    if cooperative.households.exists():
        return list(cooperative.households.order_by("number"))
    grids = [
        MicroGrid.objects.get_or_create(
            community=committee, code=f"G{index:02d}", defaults={"name": f"第{index}微网格"}
        )[0]
        for index in range(1, HOUSEHOLDS // 10 + 1)
    ]
    Household.objects.bulk_create(
        [
            Household(
                cooperative=cooperative,
                community=committee,
                micro_grid=grids[index // 10],
                number=f"{index + 1:04d}",
                head_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                bank_name="平湖农商银行独山港支行",
                bank_account=f"62284800{rng.randrange(10**10, 10**11)}",
            )
            for index in range(HOUSEHOLDS)
        ]
    )
    return list(cooperative.households.order_by("number"))


def _standard(cooperative):
    standard, _made = ScoringStandard.objects.get_or_create(
        town=cooperative.village.town,
        name=f"{VILLAGE}全域秀美积分标准",
        year=YEAR,
        defaults={
            "theme": "全域秀美",
            "base_points": Decimal("80"),
            "lower_bound": Decimal("0"),
            "upper_bound": Decimal("120"),
            "status": ScoringStandard.Status.PUBLISHED,
        },
    )
    existing = set(standard.items.values_list("code", flat=True))
    ScoringItem.objects.bulk_create(
        [
            ScoringItem(
                standard=standard,
                code=code,
                name=name,
                category=ENVIRONMENT,
                direction=direction,
                default_points=Decimal(default),
                min_points=Decimal(low),
                max_points=Decimal(high),
                cap_per_month=Decimal(cap) if cap else None,
            )
            for code, name, direction, default, low, high, cap in ITEMS
            if code not in existing
        ]
    )
    if not StandardAdoption.objects.filter(cooperative=cooperative, year=YEAR).exists():
        StandardAdoption.objects.create(
            standard=standard,
            cooperative=cooperative,
            meeting_date=date(YEAR, 1, 8),
            votes_for=38,
            votes_against=1,
        )
    return standard


def _logins(cooperative, committee, households):
    users = {}
    for username, role, _description in LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            fields = {"role": role, "must_change_password": False}
            if role in (User.Role.ACCOUNTANT, User.Role.SUPERVISOR):
                fields["cooperative"] = cooperative
            elif role == User.Role.VILLAGER:
                fields.update(household=households[0], first_name=households[0].head_name)
            # One hash for every demo login (villages.demo.demo_password_hash).
            user = User.objects.create(username=username, password=demo_password_hash(), **fields)
            if role == User.Role.COMMUNITY_STAFF:
                StaffMembership.objects.create(user=user, community=committee)
        users[role] = user
    return users


def _score_months(standard, households, staff, rng):
    """One batch per month: each household gets 0–3 environment adds, some a deduction."""
    if standard.items.filter(events__isnull=False).exists():
        return
    items = {item.code: item for item in standard.items.all()}
    for month in MONTHS:
        entries = []
        for household in households:
            for code in rng.sample(("QY01", "TY01", "HC01"), rng.randint(0, 3)):
                entries.append(
                    Entry(
                        household_id=household.pk,
                        item_id=items[code].pk,
                        occurred_on=date(YEAR, month, rng.randint(1, 25)),
                        points=Decimal(rng.randint(2, 10)),
                    )
                )
            if rng.random() < 0.15:
                entries.append(
                    Entry(
                        household_id=household.pk,
                        item_id=items["QY11"].pk,
                        occurred_on=date(YEAR, month, rng.randint(1, 25)),
                        points=Decimal(rng.randint(1, 3)),
                        note="入户检查发现",
                    )
                )
        score_events_record(actor=staff, entries=entries, source="demo")


def _award(cooperative, month, accountant):
    existing = AwardRun.objects.filter(
        cooperative=cooperative,
        period_kind=AwardRun.PeriodKind.MONTH,
        year=YEAR,
        period_number=month,
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        run = services.award_run_create(
            actor=accountant,
            cooperative=cooperative,
            name=AWARD_NAME,
            period_kind=AwardRun.PeriodKind.MONTH,
            year=YEAR,
            period_number=month,
            pool=POOL,
            categories=[ENVIRONMENT],
            policy=AwardRun.Policy.SCORE,
        )
    # In-process: the demo must not depend on a worker being up.
    return services.award_run_compute(run_id=run.pk)


def seed_award_demo(*, stdout=None):
    """Build 韩家庙村's award fund unless it is there already; returns the month runs."""
    rng = random.Random(SEED)
    # One transaction (one commit) for everything before the runs, which use the jobs.
    with transaction.atomic():
        cooperative, committee = _structure()
        households = _households(cooperative, committee, rng)
        standard = _standard(cooperative)
        users = _logins(cooperative, committee, households)
        _score_months(standard, households, users[User.Role.COMMUNITY_STAFF], rng)
    runs = [_award(cooperative, month, users[User.Role.ACCOUNTANT]) for month in MONTHS]
    october = runs[MONTHS.index(APPROVED_MONTH)]
    if october.status == AwardRun.Status.COMPUTED:
        october = services.award_run_approve(actor=users[User.Role.SUPERVISOR], run=october)
        runs[MONTHS.index(APPROVED_MONTH)] = october
    if stdout is not None:
        stdout.write(
            f"{TOWN}{VILLAGE}：{len(households)} 户，{YEAR} 年 {MONTHS[0]}–{MONTHS[-1]} 月"
            f"每月奖励金 {POOL} 元（环境整治类积分），{APPROVED_MONTH} 月已审批、公示中\n"
        )
        for username, _role, description in LOGINS:
            stdout.write(f"  {username:<22} {description}\n")
    return runs
