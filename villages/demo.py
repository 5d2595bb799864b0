"""The demo subdistrict: Danghu (当湖街道) as the newspaper describes it.

18 villages, each with its joint-stock economic cooperative; 10 of them dissolved
(撤建制村) whose shareholder households now live scattered over 16 urban communities,
and 8 remaining villages whose village committees score their own households.
Tongjie (通界村), which invented 股权分红+善治积分 in 2018, has exactly 698 households.

Everything is deterministic (Faker and `random` seeded with stable strings) and
idempotent: rows are found by stable codes (villages, communities, grids, users) or
household numbers, and only what is missing is created. A second run creates nothing.
See docs/demo-data.md.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from faker import Faker

from accounts.models import AuditRecord, User
from accounts.services import audit_record
from communities.models import Community, MicroGrid, StaffMembership

from .idnumbers import AREA_CODE, is_valid_id_number, luhn_complete, make_id_number
from .models import Cooperative, Household, Member, ShareClass, ShareMovement, Town, Village
from .selectors import holdings_by_household
from .services import share_transfer

DEMO_PASSWORD = "pinghu-demo-2026"
SEED = "danghu-demo-v1"
SMALL_HOUSEHOLDS_PER_COOPERATIVE = 12
GRID_SIZE = 10

ISSUE_DATE = date(2016, 1, 1)
ISSUE_REASON = "股改配股"
SHARE_CUTOFF = date(2015, 12, 31)  # 股改基准日: born after it, no shares (生不增)
FARMING_AGE_FROM = 16  # 农龄 counts from the 16th birthday …
FARMING_YEARS_PER_SHARE = 10  # … one 农龄股 per full ten years …
FARMING_SHARES_MAX = 3  # … at most three per person

# (code, name, weight): the same two classes in every cooperative.
SHARE_CLASSES = (
    ("RK", "人口股", Decimal("1")),
    ("NL", "农龄股", Decimal("0.5")),
)


@dataclass(frozen=True)
class VillageSpec:
    code: str
    name: str
    households: int
    dissolved_on: date | None = None
    theme: str = ""

    @property
    def cooperative_name(self):
        return f"{self.name}股份经济合作社"

    @property
    def committee_code(self):
        return f"{self.code}-CWH"

    @property
    def committee_name(self):
        return f"{self.name}村民委员会"


# The 8 remaining villages (一村一主题); Tongjie scores its own households since 2018.
REMAINING_VILLAGES = (
    VillageSpec("TONGJIE", "通界村", 698, theme="股权分红+善治积分（2.0 首创）"),
    VillageSpec("HONGNI", "虹霓村", 236, theme="美丽庭院"),
    VillageSpec("QINFENG", "勤丰村", 214, theme="垃圾分类"),
    VillageSpec("XINGHUO", "星火村", 198, theme="孝老爱亲"),
    VillageSpec("HUAXING", "华兴村", 187, theme="平安家庭"),
    VillageSpec("XIUXI", "秀溪村", 173, theme="河道护水"),
    VillageSpec("JIULITING", "九里亭村", 162, theme="移风易俗"),
    VillageSpec("ZHUANGQIAO", "庄桥村", 151, theme="志愿服务"),
)

# The 10 dissolved villages (撤建制村), 2019–2021; one unified standard, scored by communities.
DISSOLVED_VILLAGES = (
    VillageSpec("NANHETOU", "南河头村", 168, date(2019, 6, 28)),
    VillageSpec("CHENGBEI", "城北村", 152, date(2019, 9, 30)),
    VillageSpec("MINGKE", "鸣珂村", 141, date(2019, 12, 20)),
    VillageSpec("DONGFANG", "东方村", 176, date(2020, 3, 31)),
    VillageSpec("BAIMAYAN", "白马堰村", 133, date(2020, 6, 30)),
    VillageSpec("YONGFENG", "永丰村", 159, date(2020, 9, 25)),
    VillageSpec("SANCHAHE", "三叉河村", 127, date(2020, 12, 18)),
    VillageSpec("ZHUJIAMEN", "朱家门村", 146, date(2021, 3, 31)),
    VillageSpec("SHENGLI", "胜利村", 138, date(2021, 6, 30)),
    VillageSpec("YANGJIAQIAO", "杨家桥村", 161, date(2021, 9, 30)),
)

VILLAGES = REMAINING_VILLAGES + DISSOLVED_VILLAGES

# The 16 urban communities where the households of the dissolved villages were resettled.
URBAN_COMMUNITIES = (
    ("DONGHU", "东湖社区"),
    ("XIHU", "西湖社区"),
    ("CHENGZHONG", "城中社区"),
    ("BEIMEN", "北门社区"),
    ("NANMEN", "南门社区"),
    ("DONGMEN", "东门社区"),
    ("SHUTONG", "叔同社区"),
    ("MEILANYUAN", "梅兰苑社区"),
    ("JINQIAO", "金桥社区"),
    ("DONGTAI", "东泰社区"),
    ("MINGZHU", "明珠社区"),
    ("JIXIANG", "吉祥社区"),
    ("XINHUA", "新华社区"),
    ("NANSHI", "南市社区"),
    ("HONGQIAO", "虹桥社区"),
    ("JINGXIU", "景秀社区"),
)

# Each dissolved village was resettled over six neighbouring communities, most of its
# households in the first. Village i uses communities 3i … 3i+5 (mod 16): every community
# ends up holding shareholders of at least two dissolved villages (of three, usually).
DESTINATIONS_PER_VILLAGE = 6
DESTINATION_WEIGHTS = (30, 25, 18, 12, 9, 6)


def destinations(village_index):
    return [
        URBAN_COMMUNITIES[(3 * village_index + k) % len(URBAN_COMMUNITIES)][0]
        for k in range(DESTINATIONS_PER_VILLAGE)
    ]


# Demo logins: (username, role, scope kind, scope code, description).
LOGINS = (
    ("city", User.Role.CITY_ADMIN, None, None, "平湖市级管理员（各镇街道）"),
    ("admin", User.Role.SUBDISTRICT_ADMIN, None, None, "当湖街道管理员（本街道数据）"),
    ("staff_donghu", User.Role.COMMUNITY_STAFF, "community", "DONGHU", "东湖社区工作人员"),
    ("staff_xihu", User.Role.COMMUNITY_STAFF, "community", "XIHU", "西湖社区工作人员"),
    (
        "staff_tongjie",
        User.Role.COMMUNITY_STAFF,
        "community",
        "TONGJIE-CWH",
        "通界村村民委员会工作人员（村自评）",
    ),
    (
        "accountant_tongjie",
        User.Role.ACCOUNTANT,
        "cooperative",
        "TONGJIE",
        "通界村股份经济合作社会计",
    ),
    (
        "supervisor_tongjie",
        User.Role.SUPERVISOR,
        "cooperative",
        "TONGJIE",
        "通界村股份经济合作社理事长（审批分红）",
    ),
    (
        "accountant_nanhetou",
        User.Role.ACCOUNTANT,
        "cooperative",
        "NANHETOU",
        "南河头村股份经济合作社会计（撤建制村）",
    ),
    # A villager logs in with the household card number (cooperative code + household number).
    ("TONGJIE-0001", User.Role.VILLAGER, "household", "TONGJIE/0001", "通界村 0001 号股东户村民"),
    # 善治金融: the bank's loan officer sees only households whose head consented (docs/bank.md).
    ("bank_phrcb", User.Role.BANK, "bank", "PHRCB", "平湖农商银行信贷员（仅看已授权的户）"),
)

# A few ledger movements after the reform, made through villages.services.share_transfer.
INHERITANCE = (date(2020, 4, 15), "股东去世，人口股由子女所在户继承（生不增、死不减、可继承）")
TRANSFER = (date(2021, 3, 1), "分户后户内成员股权随人转让")
TRANSFER_COOPERATIVES = ("TONGJIE", "NANHETOU", "DONGFANG")


BANKS = (
    # (bank name, card prefix, weight)
    ("平湖农商银行", "623091", 88),
    ("中国农业银行平湖支行", "622848", 8),
    ("中国工商银行平湖支行", "622202", 4),
)

# --------------------------------------------------------------------------- planning


@dataclass
class MemberPlan:
    name: str
    birth: date
    male: bool
    relation: str
    is_head: bool
    sequence: int  # 0–499, the ID's sequence digits are 2n+1 (men) or 2n (women)


@dataclass
class HouseholdPlan:
    number: str
    community_code: str
    phone: str
    bank_name: str
    bank_account: str
    members: list[MemberPlan] = field(default_factory=list)

    @property
    def head(self):
        return self.members[0]

    def shares(self):
        """{class code: quantity} issued at the reform; see docs/demo-data.md."""
        people = sum(1 for m in self.members if m.birth <= SHARE_CUTOFF)
        farming = 0
        for m in self.members:
            years = SHARE_CUTOFF.year - (m.birth.year + FARMING_AGE_FROM)
            if years > 0:
                farming += min(years // FARMING_YEARS_PER_SHARE, FARMING_SHARES_MAX)
        return {"RK": Decimal(people), "NL": Decimal(farming)}


def _birth(rng, year):
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _given(fake, male):
    return fake.first_name_male() if male else fake.first_name_female()


def _phone(fake, rng):
    if rng.random() < 0.1:
        return f"0573-85{rng.randrange(100000, 1000000)}"
    return fake.phone_number()


def _plan_household(fake, rng, number, community_code):
    """One plausible household: head, spouse, children, in-law, grandchild or a parent."""

    def member(name, birth, male, relation, is_head=False):
        return MemberPlan(name, birth, male, relation, is_head, rng.randrange(0, 500))

    head_male = rng.random() < 0.78
    head_year = rng.randint(1940, 1990)
    head_surname = fake.last_name()
    head = member(
        head_surname + _given(fake, head_male), _birth(rng, head_year), head_male, "户主", True
    )
    others = rng.choices((1, 2, 3, 4), weights=(25, 35, 25, 15))[0]

    candidates = []
    family_surname = head_surname
    if rng.random() < 0.85:
        spouse_surname = fake.last_name()
        spouse_year = min(max(head_year + rng.randint(-4, 4), 1936), 1994)
        candidates.append(
            member(
                spouse_surname + _given(fake, not head_male),
                _birth(rng, spouse_year),
                not head_male,
                "配偶",
            )
        )
        if not head_male:
            family_surname = spouse_surname
    if head_year >= 1972:
        parent_male = rng.random() < 0.35
        candidates.append(
            member(
                (head_surname if parent_male else fake.last_name()) + _given(fake, parent_male),
                _birth(rng, head_year - rng.randint(22, 30)),
                parent_male,
                "父亲" if parent_male else "母亲",
            )
        )
    child_year = head_year + rng.randint(22, 30)
    for k in range(rng.choice((1, 1, 2, 2, 3)) if head_year < 1975 else rng.choice((1, 1, 2))):
        year = child_year + 3 * k
        if year > 2023:
            break
        son = rng.random() < 0.52
        candidates.append(
            member(
                family_surname + _given(fake, son), _birth(rng, year), son, "子" if son else "女"
            )
        )
        if k == 0 and son and year <= 1996:
            candidates.append(
                member(
                    fake.last_name() + _given(fake, False),
                    _birth(rng, year + rng.randint(-2, 3)),
                    False,
                    "儿媳",
                )
            )
            grandchild_year = year + rng.randint(23, 31)
            if grandchild_year <= 2024:
                grandson = rng.random() < 0.52
                candidates.append(
                    member(
                        family_surname + _given(fake, grandson),
                        _birth(rng, grandchild_year),
                        grandson,
                        "孙子" if grandson else "孙女",
                    )
                )

    bank_name, prefix, _weight = rng.choices(BANKS, weights=[b[2] for b in BANKS])[0]
    account = luhn_complete(prefix + "".join(str(rng.randrange(10)) for _digit in range(12)))
    return HouseholdPlan(
        number=number,
        community_code=community_code,
        phone=_phone(fake, rng),
        bank_name=bank_name,
        bank_account=account,
        members=[head, *candidates[:others]],
    )


def plan_village(spec, count, *, village_index=None):
    """The first `count` households of a village, always the same for the same index.

    Household k's data depends only on the village and k, never on `count`, so a
    small seed followed by a full seed gives the same households as a full seed.
    """
    fake = Faker("zh_CN")
    fake.seed_instance(f"{SEED}:village:{spec.code}")
    rng = fake.random
    plans = []
    for k in range(count):
        number = f"{k + 1:04d}"
        if spec.dissolved_on is None:
            community_code = spec.committee_code
        else:
            places = destinations(village_index)
            # The first six households visit every destination, so even a small seed
            # scatters each dissolved village over all of its communities.
            if k < len(places):
                community_code = places[k]
            else:
                community_code = rng.choices(places, weights=DESTINATION_WEIGHTS)[0]
        plans.append(_plan_household(fake, rng, number, community_code))
    return plans


# --------------------------------------------------------------------------- writing


@dataclass
class SeedResult:
    created: Counter
    logins: list  # (username, description, created: bool)
    totals: dict

    @property
    def created_anything(self):
        return any(self.created.values())


def _unique_id_number(member, used):
    sequence = member.sequence * 2 + (1 if member.male else 0)
    for _attempt in range(500):
        value = make_id_number(birth=member.birth, sequence=sequence)
        if value not in used:
            used.add(value)
            return value
        sequence = (sequence + 2) % 1000
    raise RuntimeError(f"no free ID number for {member.birth}")  # pragma: no cover


def _grid_leader(fake, community, index):
    """The grid's leader, from `fake` seeded for this grid: reseeding one Faker gives what a
    new one seeded alike would (making one per grid took a good share of the seed's time)."""
    fake.seed_instance(f"{SEED}:grid:{community.code}:{index}")
    return fake.name(), fake.phone_number()


def demo_password_hash():
    """The demo password's hash, made once per process (and hasher setting) for every demo
    module's logins: PBKDF2 takes about half a second per hash."""
    return _demo_password_hash(tuple(settings.PASSWORD_HASHERS))


@cache
def _demo_password_hash(_hashers):
    return make_password(DEMO_PASSWORD)


def demo_town(code="DANGHU", name="当湖街道", kind=Town.Kind.SUBDISTRICT):
    """A town of the demo (the newspaper page's 当湖街道 unless named)."""
    return Town.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]


def _ensure_structure(created):
    cooperatives, communities = {}, {}
    town = demo_town()
    for spec in VILLAGES:
        village, made = Village.objects.get_or_create(
            code=spec.code,
            defaults={"town": town, "name": spec.name, "dissolved_on": spec.dissolved_on},
        )
        created["villages"] += made
        coop, made = Cooperative.objects.get_or_create(
            code=spec.code, defaults={"name": spec.cooperative_name, "village": village}
        )
        created["cooperatives"] += made
        cooperatives[spec.code] = coop
        for code, name, weight in SHARE_CLASSES:
            _share_class, made = ShareClass.objects.get_or_create(
                cooperative=coop, code=code, defaults={"name": name, "weight": weight}
            )
            created["share_classes"] += made
        if spec.dissolved_on is None:
            committee, made = Community.objects.get_or_create(
                code=spec.committee_code,
                defaults={
                    "town": town,
                    "name": spec.committee_name,
                    "kind": Community.Kind.VILLAGE_COMMITTEE,
                    "village": village,
                    # Shown on the login page to a locked-out villager (fictional number).
                    "phone": f"0573-8510{len(communities) + 1:04d}",
                },
            )
            created["communities"] += made
            communities[committee.code] = committee
    for index, (code, name) in enumerate(URBAN_COMMUNITIES, start=1):
        community, made = Community.objects.get_or_create(
            code=code,
            defaults={
                "town": town,
                "name": name,
                "kind": Community.Kind.URBAN,
                "phone": f"0573-8500{index:04d}",
            },
        )
        created["communities"] += made
        communities[code] = community
    return cooperatives, communities


def _create_households(cooperatives, communities, households_per_cooperative, created):
    new = []  # (cooperative, plan) in a stable order
    for index, spec in enumerate(VILLAGES):
        coop = cooperatives[spec.code]
        count = households_per_cooperative or spec.households
        existing = set(coop.households.values_list("number", flat=True))
        if all(f"{k + 1:04d}" in existing for k in range(count)):
            continue
        village_index = index - len(REMAINING_VILLAGES) if spec.dissolved_on else None
        for plan in plan_village(spec, count, village_index=village_index):
            if plan.number not in existing:
                new.append((coop, plan))
    if not new:
        return

    # Micro-grids: households fill each community's grids ten at a time, in order.
    filled = dict(
        Household.objects.values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    grids = {(g.community_id, g.code): g for g in MicroGrid.objects.all()}
    grid_of = []
    leader_fake = Faker("zh_CN")
    for _coop, plan in new:
        community = communities[plan.community_code]
        position = filled.get(community.pk, 0)
        filled[community.pk] = position + 1
        index = position // GRID_SIZE + 1
        key = (community.pk, f"G{index:02d}")
        if key not in grids:
            leader_name, leader_phone = _grid_leader(leader_fake, community, index)
            grids[key], made = MicroGrid.objects.get_or_create(
                community=community,
                code=key[1],
                defaults={
                    "name": f"第{index}微网格",
                    "leader_name": leader_name,
                    "leader_phone": leader_phone,
                },
            )
            created["micro_grids"] += made
        grid_of.append(grids[key])

    used = set(Member.objects.exclude(id_number="").values_list("id_number", flat=True))
    used |= set(
        Household.objects.exclude(head_id_number="").values_list("head_id_number", flat=True)
    )
    id_numbers = [[_unique_id_number(m, used) for m in plan.members] for _coop, plan in new]

    households = Household.objects.bulk_create(
        [
            Household(
                cooperative=coop,
                number=plan.number,
                head_name=plan.head.name,
                head_id_number=ids[0],
                phone=plan.phone,
                community=communities[plan.community_code],
                micro_grid=grid,
                bank_name=plan.bank_name,
                bank_account=plan.bank_account,
            )
            for (coop, plan), grid, ids in zip(new, grid_of, id_numbers, strict=True)
        ]
    )
    created["households"] += len(households)
    if any(h.pk is None for h in households):  # pragma: no cover - backends without RETURNING
        by_key = {
            (h.cooperative_id, h.number): h
            for h in Household.objects.filter(cooperative__in=cooperatives.values())
        }
        households = [by_key[(coop.pk, plan.number)] for coop, plan in new]

    members = Member.objects.bulk_create(
        [
            Member(
                household=household,
                name=m.name,
                id_number=id_number,
                relation=m.relation,
                is_head=m.is_head,
            )
            for household, (_coop, plan), ids in zip(households, new, id_numbers, strict=True)
            for m, id_number in zip(plan.members, ids, strict=True)
        ]
    )
    created["members"] += len(members)

    classes = {
        (sc.cooperative_id, sc.code): sc
        for sc in ShareClass.objects.filter(cooperative__in=cooperatives.values())
    }
    movements = ShareMovement.objects.bulk_create(
        [
            ShareMovement(
                household=household,
                share_class=classes[(coop.pk, code)],
                kind=ShareMovement.Kind.ISSUE,
                quantity=quantity,
                effective_on=ISSUE_DATE,
                reason=ISSUE_REASON,
            )
            for household, (coop, plan) in zip(households, new, strict=True)
            for code, quantity in plan.shares().items()
            if quantity
        ]
    )
    created["share_movements"] += len(movements)


def _demo_transfers(cooperatives, created):
    """One inheritance per cooperative, and a transfer in a few, through the service.

    The giving household keeps at least one 人口股, so every household keeps positive
    holdings. An heir is preferably a household whose head has the same surname.
    """
    for code, coop in cooperatives.items():
        wanted = [(ShareMovement.Kind.INHERITANCE, INHERITANCE, 4)]
        if code in TRANSFER_COOPERATIVES:
            wanted.append((ShareMovement.Kind.TRANSFER, TRANSFER, 8))
        households = list(coop.households.order_by("number")[:60])
        if len(households) < 4:
            continue
        people = coop.share_classes.get(code="RK")
        holdings = holdings_by_household(households=households, on=ISSUE_DATE)
        taken = set()
        for kind, (effective_on, reason), start in wanted:
            if ShareMovement.objects.filter(household__cooperative=coop, kind=kind).exists():
                continue
            sources = [
                h
                for h in households[start:] + households[:start]
                if h.pk not in taken and holdings.get(h.pk, {}).get(people.pk, 0) >= 2
            ]
            if not sources:
                continue
            source = sources[0]
            others = [h for h in households if h.pk != source.pk and h.pk not in taken]
            kin = [h for h in others if h.head_name[:1] == source.head_name[:1]]
            position = households.index(source)
            target = (kin or [households[(position + 1) % len(households)]])[0]
            if target.pk == source.pk or target.pk in taken:
                continue
            share_transfer(
                source=source,
                target=target,
                share_class=people,
                quantity=Decimal(1),
                effective_on=effective_on,
                reason=reason,
                actor=None,
                inheritance=kind == ShareMovement.Kind.INHERITANCE,
            )
            taken |= {source.pk, target.pk}
            created["share_movements"] += 2


def _ensure_logins(cooperatives, communities, created):
    fake = Faker("zh_CN")
    fake.seed_instance(f"{SEED}:logins")
    logins = []
    for username, role, scope, scope_code, description in LOGINS:
        display_name = fake.name()
        user = User.objects.filter(username=username).first()
        if user is not None:
            logins.append((username, description, False))
            continue
        fields = {"role": role, "must_change_password": False, "first_name": display_name}
        if role == User.Role.CITY_ADMIN:  # as accounts.services.user_set_role makes one
            fields.update(is_staff=True, is_superuser=True)
        elif role == User.Role.SUBDISTRICT_ADMIN:  # 当湖街道's, staff but not superuser
            fields.update(is_staff=True, town=demo_town())
        elif scope == "cooperative":
            fields["cooperative"] = cooperatives[scope_code]
        elif scope == "bank":
            from banking.models import Bank

            fields["bank"] = Bank.objects.get_or_create(
                code=scope_code, defaults={"name": "平湖农商银行"}
            )[0]
        elif scope == "household":
            coop_code, number = scope_code.split("/")
            household = cooperatives[coop_code].households.get(number=number)
            fields.update(household=household, first_name=household.head_name)
        # One hash for every demo login (they share the password).
        user = User.objects.create(username=username, password=demo_password_hash(), **fields)
        created["users"] += 1
        if scope == "community":
            StaffMembership.objects.create(user=user, community=communities[scope_code])
            created["staff_memberships"] += 1
        logins.append((username, description, True))
    return logins


def totals():
    return {
        "villages": Village.objects.count(),
        "dissolved_villages": Village.objects.filter(dissolved_on__isnull=False).count(),
        "cooperatives": Cooperative.objects.count(),
        "urban_communities": Community.objects.filter(kind=Community.Kind.URBAN).count(),
        "village_committees": Community.objects.filter(
            kind=Community.Kind.VILLAGE_COMMITTEE
        ).count(),
        "micro_grids": MicroGrid.objects.count(),
        "households": Household.objects.count(),
        "members": Member.objects.count(),
        "share_movements": ShareMovement.objects.count(),
        "tongjie_households": Household.objects.filter(cooperative__code="TONGJIE").count(),
        "users": User.objects.count(),
        "audit_records": AuditRecord.objects.count(),
    }


def seed_demo(*, stdout=None, households_per_cooperative=None):
    """Build (or complete) the demo subdistrict; returns a SeedResult.

    `households_per_cooperative` builds that many households in every cooperative
    (tests use a small number); by default each village gets its own published or
    plausible count, Tongjie 698.
    """
    if households_per_cooperative is not None and households_per_cooperative < 1:
        raise ValueError("households_per_cooperative must be positive")
    created = Counter()
    with transaction.atomic():
        cooperatives, communities = _ensure_structure(created)
        _create_households(cooperatives, communities, households_per_cooperative, created)
        _demo_transfers(cooperatives, created)
        logins = _ensure_logins(cooperatives, communities, created)
        if any(created.values()):
            audit_record(
                actor=None,
                action="demo.seeded",
                details={
                    "created": dict(sorted(created.items())),
                    "households_per_cooperative": households_per_cooperative,
                },
            )
    result = SeedResult(created=created, logins=logins, totals=totals())
    if stdout is not None:
        write_report(result, stdout)
    return result


def write_report(result, stdout):
    """The summary the command prints: what was created, totals, and the logins."""
    if result.created_anything:
        made = ", ".join(f"{key} {value}" for key, value in sorted(result.created.items()) if value)
        stdout.write(_("演示数据已生成（新建：%(made)s）") % {"made": made})
    else:
        stdout.write(_("演示数据已存在，本次未新建任何记录。"))
    stdout.write(
        _(
            "行政村 %(villages)s（撤建制 %(dissolved_villages)s），合作社 %(cooperatives)s，"
            "城市社区 %(urban_communities)s，村委会 %(village_committees)s，"
            "微网格 %(micro_grids)s"
        )
        % result.totals
    )
    stdout.write(
        _(
            "股东户 %(households)s（通界村 %(tongjie_households)s），户成员 %(members)s，"
            "股权变动 %(share_movements)s"
        )
        % result.totals
    )
    stdout.write("")
    stdout.write(_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD})
    width = max(len(username) for username, _d, _c in result.logins)
    for username, description, made in result.logins:
        note = "" if made else "  " + _("（账号已存在，密码未修改）")
        stdout.write(f"  {username.ljust(width)}  {DEMO_PASSWORD}  {description}{note}")


__all__ = [
    "DEMO_PASSWORD",
    "VILLAGES",
    "URBAN_COMMUNITIES",
    "LOGINS",
    "AREA_CODE",
    "SeedResult",
    "is_valid_id_number",
    "make_id_number",
    "plan_village",
    "seed_demo",
    "totals",
]
