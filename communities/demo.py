"""Demo scoring data (演示积分数据), run at the end of `seed_demo`.

- 2026: one published unified standard "撤建制村统一标准" adopted by the cooperatives of
  the dissolved villages (村社联动, scored by the communities they live in), and one
  themed standard per remaining village (一村一主题), each with add and deduct items in
  the categories 环境整治, 文明新风, 社区参与 and 遵纪守法, caps, one veto item and one
  item that needs a photo; an adoption record (meeting date, votes) per cooperative.
- 2019: Tongjie's own standard and a year of events for its households (the 2019
  dividend, 561,600.00 yuan, is computed from these scores).
- 2025 (the year before the demo year): the same for Tongjie, so its approved 2025
  dividend is there to compare the 2026 run with.
- Events January–November 2026: most households a few adds and deducts a month, some
  improving (50 → 80), some low for months in a row, a few reversals with their reason
  and exactly one veto. They are entered through `score_events_record`, one batch per
  community and month, as a staff member of the community (or the administrator
  `admin` where the demo has no staff login), so every ledger rule holds.

Deterministic (`random.Random` seeded with stable strings) and idempotent: standards,
items and adoptions are found by name/code, and a year whose demo standards already
have events gets none.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from villages.models import Cooperative, Household

from . import selectors
from .models import (
    Community,
    MicroGrid,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StaffMembership,
    StandardAdoption,
)
from .services import (
    BatchError,
    Entry,
    community_set_honor_roll_published,
    rectification_inspect,
    score_event_reverse,
    score_event_review,
    score_events_record,
)

SEED = "danghu-scoring-demo-v1"
YEAR = 2026
LAST_MONTH = 11  # January–November 2026
HISTORY_YEAR = 2019
PREVIOUS_YEAR = YEAR - 1  # Tongjie's last approved dividend before the demo year
TONGJIE = "TONGJIE"
UNIFIED_NAME = "撤建制村统一标准"
ADMIN_USERNAME = "admin"
LAST_DAY = 25  # events fall on days 1–25, so November is complete by the 25th
REVERSALS = 6
MAX_RETRIES = 3

# 一村一主题: the theme each remaining village chose, and its two theme items.
THEMES = {
    "TONGJIE": "美丽庭院",
    "HONGNI": "清洁家园",
    "QINFENG": "垃圾分类",
    "XINGHUO": "孝老爱亲",
    "HUAXING": "平安家庭",
    "XIUXI": "河道护水",
    "JIULITING": "移风易俗",
    "ZHUANGQIAO": "志愿服务",
}
DEFAULT_THEME = "美丽乡村"

ENVIRONMENT = ScoringItem.Category.ENVIRONMENT
CIVILITY = ScoringItem.Category.CIVILITY
PARTICIPATION = ScoringItem.Category.PARTICIPATION
LAW = ScoringItem.Category.LAW
ADD = ScoringItem.Direction.ADD
DEDUCT = ScoringItem.Direction.DEDUCT


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    category: str
    direction: str
    default: int
    low: int
    high: int
    cap_month: int | None = None
    cap_year: int | None = None
    is_veto: bool = False
    evidence: bool = False
    description: str = ""
    weight: int = 0  # how often the demo uses it (0: never drawn at random)
    notes: tuple = ()
    rectify_days: int | None = None  # 整改期限 (docs/rectification.md)
    refund_percent: int = 0  # what on-time rectification earns back

    def fields(self):
        return {
            "name": self.name,
            "category": self.category,
            "direction": self.direction,
            "default_points": Decimal(self.default),
            "min_points": Decimal(self.low),
            "max_points": Decimal(self.high),
            "cap_per_month": None if self.cap_month is None else Decimal(self.cap_month),
            "cap_per_year": None if self.cap_year is None else Decimal(self.cap_year),
            "is_veto": self.is_veto,
            "evidence_required": self.evidence,
            "description": self.description,
            "rectify_days": self.rectify_days,
            "rectify_refund_percent": Decimal(self.refund_percent),
        }


VETO_CODE = "ZF01"
# fmt: off
COMMON_ITEMS = (
    # 加分项
    ItemSpec("HJ01", "庭院整洁、物品摆放有序", ENVIRONMENT, ADD, 2, 1, 3, cap_month=3, cap_year=30,
             description="网格长月度检查：房前屋后干净，无乱堆乱放", weight=30,
             notes=("月度检查庭院整洁", "房前屋后干净有序", "网格长入户检查")),
    ItemSpec("HJ02", "垃圾分类准确投放", ENVIRONMENT, ADD, 1, 1, 2, cap_month=2, cap_year=20,
             description="定时定点、分类准确", weight=25,
             notes=("垃圾分类准确", "督导员抽查合格")),
    ItemSpec("HJ03", "美丽庭院示范户", ENVIRONMENT, ADD, 5, 5, 5, cap_year=10, evidence=True,
             description="经评选为美丽庭院示范户，须上传庭院照片"),
    ItemSpec("WM01", "孝老爱亲、邻里互助", CIVILITY, ADD, 2, 1, 5, cap_year=10,
             description="照料老人、帮扶邻里，经网格长核实", weight=8,
             notes=("照顾独居老人", "帮助邻居抢修", "邻里互助")),
    ItemSpec("WM02", "移风易俗、红白喜事简办", CIVILITY, ADD, 3, 1, 5, cap_year=6,
             description="婚丧事宜简办并向社区报备", weight=2, notes=("婚事简办", "丧事简办")),
    ItemSpec("CY01", "参加志愿服务活动", PARTICIPATION, ADD, 2, 1, 3, cap_month=4, cap_year=24,
             description="参加社区组织的志愿服务，每次计分", weight=20,
             notes=("参加环境整治志愿活动", "参加平安巡逻", "参加文明劝导", "参加防汛值守")),
    ItemSpec("CY02", "参加议事协商、连心议站提建议", PARTICIPATION, ADD, 1, 1, 2, cap_month=2,
             cap_year=12, description="参加居民议事会，或在连心议站提出被采纳的建议", weight=6,
             notes=("参加居民议事会", "连心议站建议被采纳")),
    ItemSpec("FL01", "参加普法学习", LAW, ADD, 1, 1, 2, cap_month=2, cap_year=6,
             description="参加社区普法讲座、反诈宣传", weight=4, notes=("参加反诈宣传讲座", "参加普法讲座")),
    # 扣分项
    ItemSpec("HJ11", "乱堆乱放、私搭乱建", ENVIRONMENT, DEDUCT, 3, 1, 5,
             description="楼道、房前屋后堆放杂物或搭建违章棚舍", weight=12,
             notes=("楼道堆放杂物", "门前堆放建材", "私搭雨棚，已劝导")),
    ItemSpec("HJ12", "垃圾未分类、乱扔垃圾", ENVIRONMENT, DEDUCT, 2, 1, 3,
             description="垃圾混投、乱扔", weight=10, notes=("垃圾混投", "乱扔垃圾")),
    # 整改: never drawn at random; seed_rectification_demo records a few (on time, late, never).
    ItemSpec("HJ14", "卫生死角未清除", ENVIRONMENT, DEDUCT, 3, 1, 5, rectify_days=7,
             refund_percent=50, description="房前屋后卫生死角，7 天内清除，按期整改返还一半"),
    ItemSpec("HJ13", "毁绿种菜、占用公共绿地", ENVIRONMENT, DEDUCT, 5, 3, 10,
             description="在公共绿地种菜或圈地", weight=3, notes=("绿化带种菜", "占用公共绿地")),
    ItemSpec("WM11", "邻里纠纷、不文明行为", CIVILITY, DEDUCT, 3, 1, 5,
             description="经调解的邻里纠纷、高空抛物等不文明行为", weight=4,
             notes=("邻里纠纷经调解", "高空抛物")),
    ItemSpec("WM12", "大操大办、封建迷信", CIVILITY, DEDUCT, 5, 3, 10,
             description="红白喜事大操大办、搞封建迷信活动", weight=1, notes=("丧事大操大办",)),
    ItemSpec("CY11", "拒不配合网格检查", PARTICIPATION, DEDUCT, 2, 1, 3,
             description="无正当理由拒绝网格员入户检查", weight=2, notes=("拒绝入户检查",)),
    ItemSpec("ZF11", "违反治安管理规定", LAW, DEDUCT, 10, 5, 20,
             description="受到治安管理处罚", weight=0),
    ItemSpec(VETO_CODE, "违法犯罪（一票否决）", LAW, DEDUCT, 20, 20, 20, is_veto=True,
             description="户内成员因违法犯罪受到刑事处罚：当年积分激励取消（一票否决）"),
)
# fmt: on

# Each theme adds one add item and one deduct item in its own area (ZT = 主题).
THEME_ITEMS = {
    "美丽庭院": (("美丽庭院星级户", ENVIRONMENT), ("庭院脏乱差", ENVIRONMENT)),
    "清洁家园": (("门前三包落实到位", ENVIRONMENT), ("门前三包不落实", ENVIRONMENT)),
    "垃圾分类": (("垃圾分类积分达标户", ENVIRONMENT), ("垃圾分类屡劝不改", ENVIRONMENT)),
    "孝老爱亲": (("孝老爱亲好家庭", CIVILITY), ("不赡养老人", CIVILITY)),
    "平安家庭": (("平安家庭", LAW), ("涉赌涉诈经查实", LAW)),
    "河道护水": (("护河巡河", ENVIRONMENT), ("向河道倾倒垃圾", ENVIRONMENT)),
    "移风易俗": (("喜事新办、厚养薄葬", CIVILITY), ("燃放烟花爆竹违反禁令", CIVILITY)),
    "志愿服务": (("星级志愿者", PARTICIPATION), ("承诺志愿服务未参加", PARTICIPATION)),
    DEFAULT_THEME: (("美丽乡村示范户", ENVIRONMENT), ("破坏村容村貌", ENVIRONMENT)),
}


def theme_items(theme):
    (add_name, add_category), (deduct_name, deduct_category) = THEME_ITEMS.get(
        theme, THEME_ITEMS[DEFAULT_THEME]
    )
    return (
        ItemSpec("ZT01", add_name, add_category, ADD, 2, 1, 3, cap_month=3, cap_year=24,
                 description=f"一村一主题（{theme}）加分项", weight=15,
                 notes=(f"{theme}月度检查",)),
        ItemSpec("ZT11", deduct_name, deduct_category, DEDUCT, 3, 1, 5,
                 description=f"一村一主题（{theme}）扣分项", weight=4,
                 notes=(f"{theme}检查不合格",)),
    )  # fmt: skip


REVERSAL_REASONS = (
    "重复录入：同一次检查已登记过",
    "录入错户：应为同一网格的邻户",
    "经复核情况不属实，撤销该条记录",
    "户主提出异议，网格长现场核实后撤销",
)
VETO_NOTE = "户内成员因盗窃被依法判处拘役，判决书已存档"


# --------------------------------------------------------------------------- standards


@dataclass(frozen=True)
class StandardSpec:
    name: str
    year: int
    theme: str
    items: tuple
    cooperatives: tuple  # Cooperative objects adopting it


def _standard_specs():
    cooperatives = list(Cooperative.objects.select_related("village").order_by("code"))
    dissolved = tuple(c for c in cooperatives if c.village.dissolved_on is not None)
    remaining = [c for c in cooperatives if c.village.dissolved_on is None]
    specs = []
    if dissolved:
        specs.append(StandardSpec(UNIFIED_NAME, YEAR, "村社联动", COMMON_ITEMS, dissolved))
    for cooperative in remaining:
        theme = THEMES.get(cooperative.code, DEFAULT_THEME)
        items = COMMON_ITEMS + theme_items(theme)
        name = f"{cooperative.village.name}善治积分标准"
        specs.append(StandardSpec(name, YEAR, theme, items, (cooperative,)))
        if cooperative.code == TONGJIE:
            for year in (HISTORY_YEAR, PREVIOUS_YEAR):
                specs.append(StandardSpec(name, year, theme, items, (cooperative,)))
    return specs


def ensure_standard(spec, rng, created):
    standard, made = ScoringStandard.objects.get_or_create(
        town=spec.cooperatives[0].village.town,
        name=spec.name,
        year=spec.year,
        defaults={
            "theme": spec.theme,
            "base_points": Decimal("80"),
            "lower_bound": Decimal("0"),
            "upper_bound": Decimal("120"),
            "status": ScoringStandard.Status.PUBLISHED,
        },
    )
    created["standards"] += made
    existing = set(standard.items.values_list("code", flat=True))
    new_items = [
        ScoringItem(standard=standard, code=item.code, **item.fields())
        for item in spec.items
        if item.code not in existing
    ]
    ScoringItem.objects.bulk_create(new_items)
    created["items"] += len(new_items)
    adopted = set(
        StandardAdoption.objects.filter(
            cooperative__in=spec.cooperatives, year=spec.year
        ).values_list("cooperative_id", flat=True)
    )
    for index, cooperative in enumerate(spec.cooperatives):
        if cooperative.pk in adopted:
            continue  # already voted on a standard for the year (this one or another)
        representatives = rng.randint(31, 61)
        against, abstain = rng.randint(0, 2), rng.randint(0, 2)
        StandardAdoption.objects.create(
            standard=standard,
            cooperative=cooperative,
            meeting_date=date(spec.year, 1, 6 + index),
            votes_for=representatives - against - abstain,
            votes_against=against,
            votes_abstain=abstain,
        )
        created["adoptions"] += 1
    return standard


# --------------------------------------------------------------------------- events


class _Plan:
    """The events planned for one household, keeping within every item's caps."""

    def __init__(self, rng, items, year, today):
        self.rng, self.items, self.year, self.today = rng, items, year, today
        self.adds = [i for i in items.values() if i.direction == ADD and i.weight]
        self.deducts = [i for i in items.values() if i.direction == DEDUCT and i.weight]
        # The running sums of the weights, once (random.choices makes the same draw from
        # them as from the weights, without summing them again on every draw).
        self.add_weights = list(accumulate(i.weight for i in self.adds))
        self.deduct_weights = list(accumulate(i.weight for i in self.deducts))
        self.used_month = Counter()
        self.used_year = Counter()
        self.events = []  # (date, item spec, points magnitude, note)

    def draw(self, month, direction, *, heavy=False):
        pool, weights = (
            (self.adds, self.add_weights)
            if direction == ADD
            else (self.deducts, self.deduct_weights)
        )
        spec = self.rng.choices(pool, cum_weights=weights)[0]
        points = spec.default
        if heavy:
            points = spec.high
        elif spec.high > spec.low and self.rng.random() < 0.25:
            points = self.rng.randint(spec.low, spec.high)
        if (
            spec.cap_month is not None
            and self.used_month[spec.code, month] + points > spec.cap_month
        ):
            return 0
        if spec.cap_year is not None and self.used_year[spec.code] + points > spec.cap_year:
            return 0
        day = date(self.year, month, self.rng.randint(1, LAST_DAY))
        if day > self.today:
            return 0
        self.used_month[spec.code, month] += points
        self.used_year[spec.code] += points
        note = self.rng.choice(spec.notes) if spec.notes and self.rng.random() < 0.5 else ""
        self.events.append((day, spec, points, note))
        return points if direction == ADD else -points

    def month(self, month, adds, deducts, *, heavy=False):
        for _ in range(adds):
            self.draw(month, ADD)
        for _ in range(deducts):
            self.draw(month, DEDUCT, heavy=heavy)


PROFILES_2026 = (("steady", 82), ("improving", 7), ("low", 5), ("quiet", 6))
PROFILES_2019 = (("steady", 95), ("lowish", 5))  # every household has 2019 events


def _plan_household(household, items, year, today):
    rng = random.Random(f"{SEED}:{year}:{household.cooperative.code}:{household.number}")
    profiles = PROFILES_2026 if year == YEAR else PROFILES_2019
    profile = rng.choices([p for p, _w in profiles], weights=[w for _p, w in profiles])[0]
    plan = _Plan(rng, items, year, today)
    last_month = LAST_MONTH if year == YEAR else 12
    for month in range(1, last_month + 1):
        if profile == "steady" and year != YEAR:
            # Tongjie 2019: a little fewer adds, most households end between 80 and 100.
            plan.month(month, rng.choice((0, 1, 1, 2)), rng.choices((0, 1), (75, 25))[0])
        elif profile == "steady":
            # A few adds and now and then a deduct: ends the year around 85–110.
            plan.month(
                month, rng.choice((0, 1, 1, 2, 2, 3)), rng.choices((0, 1, 2), (70, 25, 5))[0]
            )
        elif profile == "improving":
            # Down to about 50 in the first quarter, then visibly better: about 80 by autumn.
            if month <= 3:
                plan.month(month, 0, rng.choice((2, 3)), heavy=True)
            else:
                plan.month(month, rng.choice((2, 3, 3)), rng.choices((0, 1), (85, 15))[0])
        elif profile == "low":
            # Deducts month after month: below 60 from spring on and staying there (about 50).
            if month <= 4:
                plan.month(month, 0, 2)
            else:
                plan.month(month, rng.choice((0, 1, 1)), rng.choice((0, 1)))
        elif profile == "lowish":
            plan.month(month, rng.choice((0, 0, 1)), rng.choices((0, 1), (60, 40))[0])
        # "quiet": nothing this year (moved away, or simply never inspected).
    return plan.events


def _actor_for(community, cache):
    """A staff login of the community if the demo has one, else the administrator."""
    if community.pk not in cache:
        membership = (
            StaffMembership.objects.filter(
                community=community, user__is_active=True, user__role=User.Role.COMMUNITY_STAFF
            )
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        cache[community.pk] = membership.user if membership else _administrator()
    return cache[community.pk]


def _administrator():
    # A town admin scores (the city admin only reads).
    admins = User.objects.filter(
        is_active=True, is_superuser=False, role=User.Role.SUBDISTRICT_ADMIN
    )
    admin = admins.filter(username=ADMIN_USERNAME).first() or admins.order_by("pk").first()
    if admin is None:
        raise RuntimeError("seed_scoring_demo needs an active subdistrict administrator (admin)")
    return admin


def _record(actor, entries, created):
    """Save one batch; entries the ledger refuses (there should be none) are left out."""
    for _attempt in range(MAX_RETRIES):
        if not entries:
            return []
        try:
            return score_events_record(actor=actor, entries=entries, source="demo")
        except BatchError as error:
            refused = {e.index for e in error.errors}
            created["entries_refused"] += len(refused)
            entries = [entry for index, entry in enumerate(entries) if index not in refused]
    raise RuntimeError("demo batch refused repeatedly")  # pragma: no cover


def seed_year_events(year, standards, households, today, created):
    """Plan every household's year, then save one batch per community and month."""
    distinct = {standard.pk: standard for standard in standards.values()}.values()
    items_by_standard = {
        standard.pk: {item.code: item for item in standard.items.all()} for standard in distinct
    }
    specs = {}
    for standard in distinct:
        theme_specs = theme_items(standard.theme) if standard.name != UNIFIED_NAME else ()
        specs[standard.pk] = {spec.code: spec for spec in COMMON_ITEMS + theme_specs}
    batches = defaultdict(list)
    for household in households:
        standard = standards[household.cooperative_id]
        items = items_by_standard[standard.pk]
        usable = {code: spec for code, spec in specs[standard.pk].items() if code in items}
        for day, spec, points, note in _plan_household(household, usable, year, today):
            batches[(day.month, household.community_id)].append(
                Entry(
                    household_id=household.pk,
                    item_id=items[spec.code].pk,
                    occurred_on=day,
                    points=Decimal(points),
                    note=note,
                )
            )
    communities = {c.pk: c for c in Community.objects.filter(pk__in={k[1] for k in batches})}
    actors = {}
    events = []
    for month, community_id in sorted(batches, key=lambda key: (key[0], communities[key[1]].code)):
        entries = sorted(
            batches[(month, community_id)], key=lambda e: (e.occurred_on, e.household_id)
        )
        actor = _actor_for(communities[community_id], actors)
        saved = _record(actor, entries, created)
        created["events"] += len(saved)
        created["batches"] += bool(saved)
        events.extend(saved)
    return events, actors


def _veto(rng, standards, households, today, actors, created):
    """Exactly one veto in the year: a household of a dissolved village, scored by its community."""
    candidates = [h for h in households if h.cooperative.village.dissolved_on is not None]
    candidates = candidates or list(households)
    if not candidates:
        return
    household = rng.choice(candidates)
    standard = standards[household.cooperative_id]
    item = standard.items.get(code=VETO_CODE)
    day = min(date(YEAR, 8, 14), today)
    actor = _actor_for(household.community, actors)
    # A veto needs a reason and a photo, and counts once a second person confirms it.
    saved = _record(
        actor,
        [
            Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=day,
                note=VETO_NOTE,
                evidence=_demo_photo(),
            )
        ],
        created,
    )
    created["veto_events"] += len(saved)
    created["events"] += len(saved)
    confirmer = _administrator()
    for event in saved:
        if confirmer.pk != actor.pk:
            score_event_review(actor=confirmer, event=event, decision="confirmed")


def _demo_photo():
    """A plain grey picture standing in for the photo taken at the door."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "#888").save(buffer, format="JPEG")
    return SimpleUploadedFile("veto.jpg", buffer.getvalue(), content_type="image/jpeg")


def _reversals(rng, events, actors, created):
    """A few mistakes corrected the only way the ledger allows: a reversal with its reason."""
    candidates = sorted((e for e in events if not e.item.is_veto), key=lambda e: e.pk)
    if not candidates:
        return
    for number, event in enumerate(rng.sample(candidates, min(REVERSALS, len(candidates)))):
        community = Community.objects.get(pk=event.community_id)
        score_event_reverse(
            actor=_actor_for(community, actors),
            event=event,
            reason=REVERSAL_REASONS[number % len(REVERSAL_REASONS)],
        )
        created["reversals"] += 1


def _households_under(standards):
    return list(
        Household.objects.filter(cooperative_id__in=standards)
        .select_related("cooperative__village", "community")
        .order_by("cooperative__code", "number")
    )


def seed_scoring_demo(*, stdout=None):
    """Create the demo standards and a year of events; returns a Counter of what was made."""
    created = Counter()
    today = timezone.localdate()
    with transaction.atomic():
        rng = random.Random(f"{SEED}:standards")
        demo = defaultdict(dict)  # year → {standard pk: standard}
        for spec in _standard_specs():
            standard = ensure_standard(spec, rng, created)
            demo[spec.year][standard.pk] = standard
        for year in (HISTORY_YEAR, PREVIOUS_YEAR, YEAR):
            # Only cooperatives whose adopted standard for the year is one of ours.
            adopted = selectors.standards_by_cooperative(
                cooperative_ids=Cooperative.objects.values_list("pk", flat=True), year=year
            )
            standards = {
                cooperative_id: standard
                for cooperative_id, standard in adopted.items()
                if standard.pk in demo[year]
            }
            if not standards:
                continue
            if ScoreEvent.objects.filter(item__standard__in=list(demo[year])).exists():
                continue  # seeded before: a second run creates nothing
            households = _households_under(standards)
            events, actors = seed_year_events(year, standards, households, today, created)
            if year == YEAR:
                rng = random.Random(f"{SEED}:{year}:corrections")
                _veto(rng, standards, households, today, actors, created)
                _reversals(rng, events, actors, created)
        if created["events"]:
            # The villagers' 红榜 tab shows a list in the demo: every community has
            # published it (audited, as a staff member's switch would be).
            for community in Community.objects.filter(honor_roll_published=False):
                community_set_honor_roll_published(actor=None, community=community, published=True)
                created["honor_rolls_published"] += 1
        if any(created.values()):
            audit_record(
                actor=None, action="demo.scoring_seeded", details=dict(sorted(created.items()))
            )
    if stdout is not None:
        write_report(created, stdout)
    return created


def write_report(created, stdout):
    if not any(created.values()):
        stdout.write("积分演示数据已存在，本次未新建任何记录。")
        return
    stdout.write(
        f"积分演示数据已生成：积分标准 {created['standards']}，积分项 {created['items']}，"
        f"采用决议 {created['adoptions']}，积分记录 {created['events']}"
        f"（{created['batches']} 批，其中一票否决 {created['veto_events']}），"
        f"冲正 {created['reversals']}"
    )
    if created["entries_refused"]:
        stdout.write(f"  注意：{created['entries_refused']} 条计划中的记录被积分规则拒绝，已跳过")


# --- 整改 (docs/rectification.md): a few deductions under HJ14 and their re-inspections ----

# For the first four households of the grid, in order: days before today of the deduction,
# the re-inspection (result, days after the deduction) or None: never, overdue by now.
RECTIFICATIONS = (
    (40, ("on_time", 5)),  # 张华珍-like: the leader came, it was cleaned up, half back
    (30, ("late", 12)),
    (26, ("not_rectified", 9)),
    (20, None),
)
DEMO_GRID_COMMUNITY = "TONGJIE-CWH"
DEMO_GRID_CODES = ("G03", "G01")  # the third micro-grid, as in the newspaper; G01 in --small


def demo_grid():
    """Tongjie's third micro-grid (its first in a --small seed): where the demo's
    rectifications are (the matters are at 龙萌村's, communities.town_demo.riverbank_grid)."""
    grids = {
        grid.code: grid
        for grid in MicroGrid.objects.filter(
            community__code=DEMO_GRID_COMMUNITY, code__in=DEMO_GRID_CODES
        ).select_related("community")
    }
    return next((grids[code] for code in DEMO_GRID_CODES if code in grids), None)


RECTIFY_NOTE = "房前屋后卫生死角，限 7 天内清除"
INSPECT_NOTES = {
    "on_time": "已清理，垃圾分类到位",
    "late": "逾期后清理完毕",
    "not_rectified": "仍未清理",
}


def seed_rectification_demo(*, stdout=None, today=None):
    """Four deductions under the rectifiable item HJ14 in `demo_grid()`, by
    its staff login, each through `score_events_record` (which opens the rectification)
    and `rectification_inspect`: on time (earns half back), late, not rectified, and one
    never re-inspected. Idempotent: nothing if HJ14 has a deduction already."""
    today = today or timezone.localdate()
    created = Counter()
    item = ScoringItem.objects.filter(
        code="HJ14", standard__year=today.year, standard__adoptions__cooperative__code=TONGJIE
    ).first()
    actor = User.objects.filter(username="staff_tongjie", is_active=True).first()
    grid = demo_grid()
    if None in (item, actor, grid) or ScoreEvent.objects.filter(item=item).exists():
        return created
    households = list(Household.objects.filter(micro_grid=grid).order_by("number")[:4])
    with transaction.atomic():
        for household, (days_ago, inspection) in zip(households, RECTIFICATIONS, strict=False):
            occurred_on = today - timedelta(days=days_ago)
            if occurred_on.year != today.year:
                continue  # the demo's standards are of this year
            (event,) = score_events_record(
                actor=actor,
                entries=[
                    Entry(
                        household_id=household.pk,
                        item_id=item.pk,
                        occurred_on=occurred_on,
                        note=RECTIFY_NOTE,
                    )
                ],
                source="demo",
                today=occurred_on,
            )
            created["rectifications"] += 1
            if inspection is None:
                continue
            result, after = inspection
            rectification_inspect(
                actor=actor,
                rectification=event.rectification,
                result=result,
                note=INSPECT_NOTES[result],
                today=occurred_on + timedelta(days=after),
            )
            created[f"rectifications_{result}"] += 1
    if stdout is not None and created:
        stdout.write(f"整改演示数据已生成：{created['rectifications']} 条整改")
    return created
