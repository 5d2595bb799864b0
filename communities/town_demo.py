"""The rest of the newspaper page's towns (docs/demo-data.md, "独山港镇 and 广陈镇").

- 独山港镇 (a 镇): 韩家庙村 (awards/demo.py builds it, with its own standard), 赵家桥村,
  whose households are split into 6 grids and 23 groups (the product's unit is the
  micro-grid: one per group, named after its grid and group), and 优胜村, whose committee
  publishes its 红榜 and whose November inspection finds households that fail it.
- 广陈镇 (a 镇): 山塘村, whose 13组 is a micro-grid of exactly 10 households led by
  `staff_shantang`, where 张华珍's household falls to 50 in January and rises to 80 by
  November (a rectification on time after a deduction, then good months), and 龙萌村, whose
  third micro-grid (leader 张桂明, `staff_longmeng`) keeps the 连心议站 of the 坟浜
  riverbank (matters/demo.py).

Each village: its cooperative with the two share classes, households with members and
shares (villages.demo's planner), its village committee, which scores its own households
under the town's unified standard, and 2026's events through `score_events_record`, one
batch per community and month (communities.demo.seed_year_events). One administrator
login per town (admin_dushangang, admin_guangchen) and a staff login per committee.

Small on purpose (150 households): the whole seed stays about as fast as before. Every row
is found by a stable key first; a second run creates nothing.
"""

import random
from collections import Counter
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import User
from villages.demo import (
    ISSUE_DATE,
    ISSUE_REASON,
    SHARE_CLASSES,
    VillageSpec,
    _grid_leader,
    _unique_id_number,
    demo_password_hash,
    demo_town,
    plan_village,
)
from villages.models import (
    Cooperative,
    Household,
    Member,
    ShareClass,
    ShareMovement,
    Town,
    Village,
)

from .demo import (
    COMMON_ITEMS,
    YEAR,
    StandardSpec,
    ensure_standard,
    seed_year_events,
    theme_items,
)
from .models import Community, MicroGrid, ScoreEvent, StaffMembership
from .services import (
    Entry,
    community_set_honor_roll_published,
    rectification_inspect,
    score_events_record,
)

SEED = "newspaper-towns-demo-v1"
# (code, name, unified standard's name, its theme)
TOWNS = (
    ("DUSHANGANG", "独山港镇", "独山港镇美丽乡村积分标准", "美丽乡村"),
    ("GUANGCHEN", "广陈镇", "广陈镇美丽庭院积分标准", "美丽庭院"),
)


def _grids(*sizes, names=None, codes=None):
    """[(code, name, households)]: 第1微网格, … unless named."""
    return [
        (
            codes[index] if codes else f"G{index + 1:02d}",
            names[index] if names else f"第{index + 1}微网格",
            size,
        )
        for index, size in enumerate(sizes)
    ]


def _zhaojiaqiao_grids():
    """23 groups (组) in 6 grids (网格), 4 groups a grid (3 in the last), 60 households:
    groups 1–14 of three households, 15–23 of two. One micro-grid per group."""
    rows, group = [], 0
    for grid, groups in enumerate((4, 4, 4, 4, 4, 3), start=1):
        for _ in range(groups):
            group += 1
            rows.append((f"W{grid}-{group:02d}", f"第{grid}网格{group}组", 3 if group <= 14 else 2))
    return rows


SHANTANG_GROUPS = ("11组", "12组", "13组")
# (town code, village spec, its micro-grids)
VILLAGES = (
    ("DUSHANGANG", VillageSpec("ZHAOJIAQIAO", "赵家桥村", 60), _zhaojiaqiao_grids()),
    ("DUSHANGANG", VillageSpec("YOUSHENG", "优胜村", 30), _grids(10, 10, 10)),
    (
        "GUANGCHEN",
        VillageSpec("SHANTANG", "山塘村", 30),
        _grids(10, 10, 10, names=SHANTANG_GROUPS, codes=("G11", "G12", "G13")),
    ),
    ("GUANGCHEN", VillageSpec("LONGMENG", "龙萌村", 30), _grids(10, 10, 10)),
)

# 山塘村 13组: the household the grid leader visited until it rose from 50 to 80.
IMPROVER = ("SHANTANG", "0023")
IMPROVER_NAME = "张华珍"
# 龙萌村's third micro-grid: the 连心议站 of the 坟浜 riverbank.
RIVERBANK_VILLAGE, RIVERBANK_GRID, RIVERBANK_LEADER = "LONGMENG", "G03", "张桂明"

# (username, role, town code or committee code, display name, leads grid, description)
LOGINS = (
    (
        "admin_dushangang",
        User.Role.SUBDISTRICT_ADMIN,
        "DUSHANGANG",
        "沈建华",
        None,
        "独山港镇管理员",
    ),
    ("admin_guangchen", User.Role.SUBDISTRICT_ADMIN, "GUANGCHEN", "陆美琴", None, "广陈镇管理员"),
    (
        "staff_zhaojiaqiao",
        User.Role.COMMUNITY_STAFF,
        "ZHAOJIAQIAO-CWH",
        "赵国强",
        None,
        "赵家桥村村民委员会工作人员（6 个网格 23 个组）",
    ),
    (
        "staff_yousheng",
        User.Role.COMMUNITY_STAFF,
        "YOUSHENG-CWH",
        "顾月英",
        None,
        "优胜村村民委员会工作人员（红榜公布、检查不合格户）",
    ),
    (
        "staff_shantang",
        User.Role.COMMUNITY_STAFF,
        "SHANTANG-CWH",
        "徐丽芳",
        "G13",
        "山塘村 13组网格长（10 户，美丽积分图：张华珍户 50→80）",
    ),
    (
        "staff_longmeng",
        User.Role.COMMUNITY_STAFF,
        "LONGMENG-CWH",
        RIVERBANK_LEADER,
        RIVERBANK_GRID,
        "龙萌村第三微网格网格长（连心议站：坟浜河岸）",
    ),
)

# 张华珍's year at 13组, month by month: (month, day, item code, points, note); deductions
# are negative. January's inspection takes her from 80 (the base) to 50; the 卫生死角 she
# cleared within the week earns half back on 3 February; then three points a month, two in
# the autumn: 80 by November.
IMPROVER_EVENTS = (
    (1, 12, "HJ11", -5, "门前堆放建材"),
    (1, 12, "HJ12", -3, "垃圾混投"),
    (1, 15, "HJ13", -10, "绿化带种菜"),
    (1, 18, "WM11", -5, "邻里纠纷经调解"),
    (1, 20, "CY11", -3, "拒绝入户检查"),
    (1, 28, "HJ14", -4, "房前屋后卫生死角，限 7 天内清除"),
    *(
        event
        for month in range(2, 10)
        for event in (
            (month, 10, "HJ01", 2, "网格长入户检查"),
            (month, 12, "HJ02", 1, "垃圾分类准确"),
        )
    ),
    (10, 10, "HJ01", 2, "房前屋后干净有序"),
    (11, 10, "HJ01", 2, "房前屋后干净有序"),
)
IMPROVER_INSPECTION = (date(YEAR, 2, 3), "已清理，垃圾分类到位")
# 优胜村 publishes those who fail the November inspection.
FAILED_INSPECTION = (date(YEAR, 11, 20), "HJ12", Decimal(2), "11月入户检查不合格，已通报")
FAILED_NUMBERS = ("0004", "0011", "0017", "0026")


def _structure(created):
    towns = {code: demo_town(code, name, Town.Kind.TOWN) for code, name, _standard, _theme in TOWNS}
    cooperatives, committees = {}, {}
    for town_code, spec, _grids in VILLAGES:
        town = towns[town_code]
        village, made = Village.objects.get_or_create(
            code=spec.code, defaults={"town": town, "name": spec.name}
        )
        created["villages"] += made
        cooperative, made = Cooperative.objects.get_or_create(
            code=spec.code, defaults={"name": spec.cooperative_name, "village": village}
        )
        created["cooperatives"] += made
        for code, name, weight in SHARE_CLASSES:
            created["share_classes"] += ShareClass.objects.get_or_create(
                cooperative=cooperative, code=code, defaults={"name": name, "weight": weight}
            )[1]
        committee, made = Community.objects.get_or_create(
            code=spec.committee_code,
            defaults={
                "town": town,
                "name": spec.committee_name,
                "kind": Community.Kind.VILLAGE_COMMITTEE,
                "village": village,
                "phone": f"0573-857{len(committees) + 1:05d}",
            },
        )
        created["communities"] += made
        cooperatives[spec.code], committees[spec.code] = cooperative, committee
    return towns, cooperatives, committees


def _grids_of(committee, rows, created):
    existing = {grid.code: grid for grid in committee.micro_grids.all()}
    fake = Faker("zh_CN")
    grids = []
    for index, (code, name, size) in enumerate(rows, start=1):
        if code not in existing:
            leader_name, leader_phone = _grid_leader(fake, committee, index)
            existing[code] = MicroGrid.objects.create(
                community=committee,
                code=code,
                name=name,
                leader_name=leader_name,
                leader_phone=leader_phone,
            )
            created["micro_grids"] += 1
        grids += [existing[code]] * size
    return grids


def _households(cooperatives, committees, created):
    """Each village's households, members and shares, unless it has households already."""
    new = []  # (cooperative, committee, grid, plan)
    for _town, spec, rows in VILLAGES:
        cooperative, committee = cooperatives[spec.code], committees[spec.code]
        if cooperative.households.exists():
            continue
        grids = _grids_of(committee, rows, created)
        plans = plan_village(spec, spec.households)
        for plan, grid in zip(plans, grids, strict=True):
            if (spec.code, plan.number) == IMPROVER:
                plan.head.name, plan.head.male = IMPROVER_NAME, False
            new.append((cooperative, committee, grid, plan))
    if not new:
        return
    used = set(Member.objects.exclude(id_number="").values_list("id_number", flat=True))
    ids = [[_unique_id_number(m, used) for m in plan.members] for *_rest, plan in new]
    households = Household.objects.bulk_create(
        [
            Household(
                cooperative=cooperative,
                number=plan.number,
                head_name=plan.head.name,
                head_id_number=numbers[0],
                phone=plan.phone,
                community=committee,
                micro_grid=grid,
                bank_name=plan.bank_name,
                bank_account=plan.bank_account,
            )
            for (cooperative, committee, grid, plan), numbers in zip(new, ids, strict=True)
        ]
    )
    created["households"] += len(households)
    created["members"] += len(
        Member.objects.bulk_create(
            [
                Member(
                    household=household,
                    name=m.name,
                    id_number=id_number,
                    relation=m.relation,
                    is_head=m.is_head,
                )
                for household, (*_rest, plan), numbers in zip(households, new, ids, strict=True)
                for m, id_number in zip(plan.members, numbers, strict=True)
            ]
        )
    )
    classes = {
        (share_class.cooperative_id, share_class.code): share_class
        for share_class in ShareClass.objects.filter(
            cooperative__in={cooperative for cooperative, *_rest in new}
        )
    }
    created["share_movements"] += len(
        ShareMovement.objects.bulk_create(
            [
                ShareMovement(
                    household=household,
                    share_class=classes[(cooperative.pk, code)],
                    kind=ShareMovement.Kind.ISSUE,
                    quantity=quantity,
                    effective_on=ISSUE_DATE,
                    reason=ISSUE_REASON,
                )
                for household, (cooperative, *_rest, plan) in zip(households, new, strict=True)
                for code, quantity in plan.shares().items()
                if quantity
            ]
        )
    )


def _logins(towns, committees, created):
    by_code = {committee.code: committee for committee in committees.values()}
    users = {}
    for username, role, scope, display_name, grid_code, _description in LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            fields = {"role": role, "must_change_password": False, "first_name": display_name}
            if role == User.Role.SUBDISTRICT_ADMIN:
                # As accounts.services.user_set_role gives an administrator.
                fields.update(is_staff=True, town=towns[scope])  # staff, never superuser
            user = User.objects.create(username=username, password=demo_password_hash(), **fields)
            created["users"] += 1
            if role == User.Role.COMMUNITY_STAFF:
                StaffMembership.objects.create(user=user, community=by_code[scope])
                created["staff_memberships"] += 1
        if grid_code is not None:
            # The login leads the grid, unless the grid has a leader already.
            led = MicroGrid.objects.filter(
                community=by_code[scope], code=grid_code, leader__isnull=True
            ).update(leader=user, leader_name=user.first_name or display_name)
            created["grid_leaders"] += led
        users[username] = user
    return users


def _standards(cooperatives, created):
    """{cooperative_id: the town's unified standard it adopted}."""
    rng = random.Random(f"{SEED}:standards")
    standards = {}
    for town_code, _town_name, name, theme in TOWNS:
        adopting = tuple(
            cooperatives[spec.code] for town, spec, _grids in VILLAGES if town == town_code
        )
        spec = StandardSpec(name, YEAR, theme, COMMON_ITEMS + theme_items(theme), adopting)
        standard = ensure_standard(spec, rng, created)
        standards.update({cooperative.pk: standard for cooperative in adopting})
    return standards


def _improver_year(household, standard, leader, created):
    """张华珍's events, one batch a month, and the re-inspection that earns half back."""
    items = {item.code: item for item in standard.items.all()}
    months = sorted({month for month, *_rest in IMPROVER_EVENTS})
    for month in months:
        entries = [
            Entry(
                household_id=household.pk,
                item_id=items[code].pk,
                occurred_on=date(YEAR, month, day),
                points=Decimal(abs(points)),
                note=note,
            )
            for event_month, day, code, points, note in IMPROVER_EVENTS
            if event_month == month
        ]
        events = score_events_record(actor=leader, entries=entries, source="demo")
        created["events"] += len(events)
        for event in events:
            if event.item.rectify_days:  # HJ14: opened a rectification
                day, note = IMPROVER_INSPECTION
                rectification_inspect(
                    actor=leader,
                    rectification=event.rectification,
                    result="on_time",
                    note=note,
                    today=day,
                )
                created["rectifications_on_time"] += 1


def _scores(standards, cooperatives, committees, users, today, created):
    if ScoreEvent.objects.filter(item__standard__in=set(standards.values())).exists():
        return  # seeded before
    households = list(
        Household.objects.filter(cooperative_id__in=standards)
        .select_related("cooperative__village", "community", "micro_grid")
        .order_by("cooperative__code", "number")
    )
    improver = next(
        (h for h in households if (h.cooperative.code, h.number) == IMPROVER),
        None,
    )
    others = [household for household in households if household is not improver]
    seed_year_events(YEAR, standards, others, today, created)
    if improver is not None:
        standard = standards[improver.cooperative_id]
        _improver_year(improver, standard, users["staff_shantang"], created)
    day, code, points, note = FAILED_INSPECTION
    failed = [
        h for h in households if h.cooperative.code == "YOUSHENG" and h.number in FAILED_NUMBERS
    ]
    item = standards[cooperatives["YOUSHENG"].pk].items.get(code=code)
    created["events"] += len(
        score_events_record(
            actor=users["staff_yousheng"],
            entries=[
                Entry(household_id=h.pk, item_id=item.pk, occurred_on=day, points=points, note=note)
                for h in failed
            ],
            source="demo",
        )
    )
    yousheng = committees["YOUSHENG"]
    if not yousheng.honor_roll_published:
        community_set_honor_roll_published(actor=None, community=yousheng, published=True)
        created["honor_rolls_published"] += 1


def riverbank_grid():
    """龙萌村's third micro-grid, where the 坟浜 riverbank was raised (matters/demo.py)."""
    return (
        MicroGrid.objects.filter(community__code=f"{RIVERBANK_VILLAGE}-CWH", code=RIVERBANK_GRID)
        .select_related("community", "leader")
        .first()
    )


def seed_town_demo(*, stdout=None, today=None):
    """Build 独山港镇's and 广陈镇's villages unless they are there; returns a Counter."""
    today = today or timezone.localdate()
    created = Counter()
    with transaction.atomic():
        towns, cooperatives, committees = _structure(created)
        _households(cooperatives, committees, created)
        users = _logins(towns, committees, created)
        standards = _standards(cooperatives, created)
        _scores(standards, cooperatives, committees, users, today, created)
    if stdout is not None and any(created.values()):
        stdout.write(
            "独山港镇（韩家庙村、赵家桥村 6 个网格 23 个组、优胜村）、广陈镇（山塘村 13组、"
            f"龙萌村连心议站）：{created['households']} 户，{created['events']} 条积分记录"
        )
        for username, _role, _scope, _name, _grid, description in LOGINS:
            stdout.write(f"  {username:<22} {description}")
    return created
