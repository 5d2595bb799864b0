"""The dividend computation against the database: Tongjie 2019, the record date, snapshots,
idempotency, crashes, query counts, approval and the policies end to end.

The small cases use the `world` fixture: cooperative COOPA with A001 (3 人口股, lives in
东湖社区) and A002 (2 人口股), and the published 2026 standard (base 80, bounds 0–120).
"""

import math
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditRecord, User
from communities.models import ScoreEvent, ScoringItem, ScoringStandard, StandardAdoption
from dividends import run_jobs, services, tasks
from dividends.models import DividendLine, DividendRun
from dividends.money import to_fen
from tests import factories
from villages import services as register_services
from villages.models import Household, ShareMovement

D = Decimal
YEAR = 2026
Mode = DividendRun.IncentiveMode
Policy = DividendRun.Policy
Status = DividendRun.Status


def create_run(world, **overrides):
    arguments = {
        "actor": world.accountant_a,
        "cooperative": world.coop_a,
        "year": YEAR,
        "total": D("1200.00"),  # ratio 0.2: base 1000.00, incentive 200.00
        "incentive_mode": Mode.RATIO_OF_BASE,
        "incentive_value": D("0.2"),
        "policy": Policy.SCORE,
    } | overrides
    return services.dividend_run_create(**arguments)


def compute(run, **kwargs):
    return run_jobs.dividend_run_compute(run_id=run.pk, **kwargs)


def lines_of(run):
    return {line.household_number: line for line in run.lines.order_by("household_number")}


def amounts(run, field):
    return {number: getattr(line, field) for number, line in lines_of(run).items()}


def event(household, item, points, occurred_on=date(YEAR, 5, 10), actor=None, **extra):
    """One counting event written straight to the ledger (the entry rules are tested elsewhere)."""
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=D(points),
        occurred_on=occurred_on,
        community=household.community,
        entered_by=actor or User.objects.filter(role=User.Role.COMMUNITY_STAFF).first(),
        **extra,
    )


def sums(run):
    """Σ of each amount over the run's lines, added up in Decimal.

    Not with the database's SUM: SQLite keeps decimals as floating point and its SUM
    of 698 amounts comes back as 468000.000000001.
    """
    lines = list(run.lines.all())
    return {
        field: sum((getattr(line, f"{field}_amount") for line in lines), D("0"))
        for field in ("base", "incentive", "total")
    }


def assert_lines_add_up(run):
    run.refresh_from_db()
    sums_ = sums(run)
    assert sums_["base"] == run.base_pool
    assert sums_["incentive"] == run.incentive_paid
    assert run.incentive_paid + run.remainder == run.incentive_pool
    assert sums_["total"] + run.remainder == run.total
    assert run.lines.filter(base_amount__lt=0).count() == 0
    assert run.lines.filter(incentive_amount__lt=0).count() == 0
    assert run.household_count == run.lines.count()


# --- Tongjie 2019 ------------------------------------------------------------------------

TONGJIE_HOUSEHOLDS = 698


def build_tongjie():
    """Tongjie village's cooperative: 698 households, 人口股 and 农龄股, a 2019 standard."""
    village = factories.village(code="TONGJIE", name="通界村")
    coop = factories.cooperative(
        code="TJ",
        name="通界村股份经济合作社",
        village_=village,
        share_classes=(("RK", "人口股", "1"), ("NL", "农龄股", "0.5")),
    )
    committee = factories.community(code="TJCW", name="通界村村委会")
    staff = factories.user(username="tj_staff", role=User.Role.COMMUNITY_STAFF)
    accountant = factories.user(username="tj_acc", role=User.Role.ACCOUNTANT, cooperative_=coop)
    households = Household.objects.bulk_create(
        Household(
            cooperative=coop,
            community=committee,
            number=f"TJ{i:04d}",
            head_name=f"户主{i}",
            bank_name="平湖农商银行",
            bank_account=f"62284800{i:011d}",
        )
        for i in range(1, TONGJIE_HOUSEHOLDS + 1)
    )
    if households[0].pk is None:  # backends that do not return ids from bulk_create
        households = list(coop.households.order_by("number"))
    rk, nl = coop.share_classes.get(code="RK"), coop.share_classes.get(code="NL")
    movements = []
    for i, household in enumerate(households):
        movements.append(
            ShareMovement(
                household=household,
                share_class=rk,
                kind=ShareMovement.Kind.ISSUE,
                quantity=D(1 + i % 5),
                effective_on=date(2018, 1, 1),
                reason="股改配股",
            )
        )
        if i % 3:
            movements.append(
                ShareMovement(
                    household=household,
                    share_class=nl,
                    kind=ShareMovement.Kind.ISSUE,
                    quantity=D(i % 7 + 1) * 2,
                    effective_on=date(2018, 1, 1),
                    reason="农龄折股",
                )
            )
    ShareMovement.objects.bulk_create(movements)
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name="通界村善治积分标准",
        year=2019,
        base_points=D("100"),
        lower_bound=D("0"),
        upper_bound=D("120"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=standard, cooperative=coop, meeting_date=date(2019, 1, 20), votes_for=60
    )
    clean = ScoringItem.objects.create(
        standard=standard,
        code="HJ01",
        name="庭院整洁",
        category=ScoringItem.Category.ENVIRONMENT,
        direction=ScoringItem.Direction.ADD,
        default_points=D("5"),
        min_points=D("1"),
        max_points=D("10"),
    )
    litter = ScoringItem.objects.create(
        standard=standard,
        code="HJ11",
        name="乱堆乱放",
        category=ScoringItem.Category.ENVIRONMENT,
        direction=ScoringItem.Direction.DEDUCT,
        default_points=D("5"),
        min_points=D("1"),
        max_points=D("10"),
    )
    crime = ScoringItem.objects.create(
        standard=standard,
        code="ZF01",
        name="违法犯罪",
        category=ScoringItem.Category.LAW,
        direction=ScoringItem.Direction.DEDUCT,
        default_points=D("20"),
        min_points=D("20"),
        max_points=D("20"),
        is_veto=True,
    )
    events = []
    for i, household in enumerate(households):
        if i % 4 == 0:
            events.append((household, clean, D(5 + i % 6), date(2019, 1 + i % 12, 8)))
        if i % 9 == 0:
            events.append((household, litter, -D(1 + i % 10), date(2019, 1 + i % 12, 20)))
    events.append((households[6], crime, D("-20"), date(2019, 7, 1)))  # TJ0007: a veto
    events.append((households[7], clean, D("8"), date(2020, 1, 3)))  # next year: not counted
    ScoreEvent.objects.bulk_create(
        ScoreEvent(
            household=household,
            item=item,
            points=points,
            occurred_on=day,
            community=committee,
            entered_by=staff,
        )
        for household, item, points, day in events
    )
    return coop, accountant


@pytest.mark.parametrize(
    ("policy", "parameters"),
    [
        (Policy.SCORE, {}),
        (Policy.SCORE_SHARES, {"min_score": "100"}),
        (
            Policy.TIERS,
            {
                "tiers": [
                    {"min_score": "90", "share_of_base": "0.10"},
                    {"min_score": "100", "share_of_base": "0.15"},
                    {"min_score": "105", "share_of_base": "0.20"},
                ]
            },
        ),
    ],
)
def test_tongjie_2019_pools_and_exact_sums(db, policy, parameters):
    coop, accountant = build_tongjie()
    run = services.dividend_run_create(
        actor=accountant,
        cooperative=coop,
        year=2019,
        total=D("561600.00"),
        incentive_mode=Mode.RATIO_OF_BASE,
        incentive_value=D("0.2"),
        policy=policy,
        parameters=parameters,
    )
    assert run.base_pool == D("468000.00")
    assert run.incentive_pool == D("93600.00")
    assert run.record_date == date(2019, 12, 31)

    run = compute(run)

    assert run.status == Status.COMPUTED, run.error
    assert run.progress == 100
    assert run.household_count == TONGJIE_HOUSEHOLDS
    assert_lines_add_up(run)
    paid = sums(run)
    assert paid["base"] == D("468000.00")
    assert paid["incentive"] + run.remainder == D("93600.00")
    assert paid["total"] + run.remainder == D("561600.00")
    lines = lines_of(run)
    assert lines["TJ0007"].vetoed and lines["TJ0007"].incentive_amount == 0
    assert lines["TJ0008"].score == D("100")  # its 2020 event does not count in 2019
    if policy == Policy.SCORE:
        # Everyone eligible but one: the whole points pool is paid, about 134 yuan a head.
        assert run.remainder == 0
        assert to_fen(D("93600") / TONGJIE_HOUSEHOLDS) == D("134.10")
        average = run.incentive_paid / TONGJIE_HOUSEHOLDS
        assert abs(average - 134) < 1
    elif policy == Policy.SCORE_SHARES:
        # Below the threshold nothing; the others share the whole pool.
        below = [line for line in lines.values() if line.score < 100]
        assert below and all(line.incentive_amount == 0 for line in below)
        assert run.remainder == 0
    else:
        # Tiers pay a share of the base, less than the pool: the rest is kept and reported.
        assert run.remainder > 0
        for line in lines.values():
            share = (
                D("0.20") if line.score >= 105 else D("0.15") if line.score >= 100 else D("0.10")
            )
            assert line.incentive_amount <= line.base_amount * share + D("0.01")


# --- Pools, ceiling, standard, parameters --------------------------------------------


def test_run_pools_and_version(world, standard):
    run = create_run(world)
    assert (run.status, run.version) == (Status.QUEUED, 1)
    assert (run.base_pool, run.incentive_pool) == (D("1000.00"), D("200.00"))
    assert run.parameters == {"veto": True}
    compute(run)
    assert services.dividend_run_recompute(actor=world.accountant_a, run=run).version == 2


@pytest.mark.parametrize(
    ("mode", "value"),
    [
        (Mode.RATIO_OF_BASE, "0.3"),  # 1200 ÷ 1.3 → incentive 276.92, 23% of the total
        (Mode.SHARE_OF_TOTAL, "0.21"),
        (Mode.FIXED, "240.01"),
    ],
)
def test_incentive_above_the_published_ceiling_needs_a_confirmation(world, standard, mode, value):
    with pytest.raises(ValidationError):
        create_run(world, incentive_mode=mode, incentive_value=D(value))
    run = create_run(world, incentive_mode=mode, incentive_value=D(value), ceiling_confirmed=True)
    assert run.ceiling_confirmed
    assert run.incentive_pool > D("240.00")


@pytest.mark.parametrize(
    ("mode", "value"),
    [(Mode.RATIO_OF_BASE, "0.25"), (Mode.SHARE_OF_TOTAL, "0.2"), (Mode.FIXED, "240")],
)
def test_exactly_a_fifth_of_the_total_is_allowed(world, standard, mode, value):
    run = create_run(world, incentive_mode=mode, incentive_value=D(value))
    assert (run.base_pool, run.incentive_pool) == (D("960.00"), D("240.00"))


def test_no_published_standard_no_run(world, standard):
    with pytest.raises(ValidationError):
        create_run(world, year=YEAR - 1)
    draft = ScoringStandard.objects.create(town=factories.town(), name="草稿标准", year=YEAR + 1)
    StandardAdoption.objects.create(
        standard=draft, cooperative=world.coop_a, meeting_date=date(YEAR + 1, 1, 5), votes_for=30
    )
    with pytest.raises(ValidationError):
        create_run(world, year=YEAR + 1)
    assert not DividendRun.objects.exists()


def test_standard_withdrawn_before_computing_fails_the_run_with_its_error(world, standard):
    run = create_run(world)
    ScoringStandard.objects.filter(pk=standard.pk).update(status=ScoringStandard.Status.DRAFT)
    with pytest.raises(ValidationError):
        compute(run)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.error == f"{world.coop_a.name} 在 {YEAR} 年没有已发布的积分标准"
    assert not run.lines.exists()


@pytest.mark.parametrize(
    ("policy", "parameters"),
    [
        ("lottery", {}),
        (
            Policy.TIERS,
            {
                "tiers": [
                    {"min_score": "80", "share_of_base": "0.2"},
                    {"min_score": "90", "share_of_base": "0.1"},
                ]
            },
        ),
        (Policy.TIERS, {}),
        (Policy.TIERS, {"tiers": [{"min_score": "90", "share_of_base": "Infinity"}]}),
        (Policy.SCORE, {"min_score": "-5"}),
    ],
)
def test_bad_policy_or_parameters_are_refused(world, standard, policy, parameters):
    with pytest.raises(ValidationError):
        create_run(world, policy=policy, parameters=parameters)


def test_only_the_cooperatives_accountant_or_an_admin_may_run_it(world, standard):
    with pytest.raises(PermissionDenied):
        create_run(world, actor=world.accountant_b)
    with pytest.raises(PermissionDenied):
        create_run(world, actor=world.staff_east)
    assert create_run(world, actor=world.admin).created_by == world.admin


# --- Policies end to end, by hand ----------------------------------------------------------


def test_score_policy_by_hand(world, items):
    event(world.a_east, items["clean"], "10")  # A001: 90, A002: 80
    run = compute(create_run(world))
    # Base 1000 over 3 : 2 = 600 : 400. Incentive 200 over 90 : 80: 105.882…, 94.117…;
    # floors 105.88 + 94.11, the odd fen to the larger remainder (A002).
    assert amounts(run, "base_amount") == {"A001": D("600.00"), "A002": D("400.00")}
    assert amounts(run, "incentive_amount") == {"A001": D("105.88"), "A002": D("94.12")}
    assert amounts(run, "total_amount") == {"A001": D("705.88"), "A002": D("494.12")}
    assert (run.incentive_paid, run.remainder) == (D("200.00"), D("0.00"))
    assert_lines_add_up(run)


def test_score_shares_policy_by_hand(world, items):
    event(world.a_east, items["clean"], "10")
    run = compute(create_run(world, policy=Policy.SCORE_SHARES))
    # 90 × 3 : 80 × 2 = 270 : 160: 125.581…, 74.418…; the odd fen to A002 (.86 > .13).
    assert amounts(run, "incentive_amount") == {"A001": D("125.58"), "A002": D("74.42")}
    assert run.remainder == 0
    assert_lines_add_up(run)


def test_tiers_policy_by_hand_with_remainder(world, items):
    event(world.a_east, items["clean"], "10")  # A001 90 → 20% of 600; A002 80 → 10% of 400
    tiers = [
        {"min_score": "80", "share_of_base": "0.10"},
        {"min_score": "90", "share_of_base": "0.20"},
    ]
    run = compute(create_run(world, policy=Policy.TIERS, parameters={"tiers": tiers}))
    assert amounts(run, "incentive_amount") == {"A001": D("120.00"), "A002": D("40.00")}
    assert (run.incentive_paid, run.remainder) == (D("160.00"), D("40.00"))
    assert_lines_add_up(run)


def test_tiers_above_the_pool_share_it_by_what_they_ask(world, items):
    event(world.a_east, items["clean"], "10")
    tiers = [{"min_score": "80", "share_of_base": "0.5"}]  # asks 300 + 200 > 200
    run = compute(create_run(world, policy=Policy.TIERS, parameters={"tiers": tiers}))
    assert amounts(run, "incentive_amount") == {"A001": D("120.00"), "A002": D("80.00")}
    assert run.remainder == 0


def test_a_veto_cancels_the_incentive_and_the_other_takes_the_pool(world, items):
    event(world.a_east, items["crime"], "-20")  # A001: 60 and vetoed
    run = compute(create_run(world))
    lines = lines_of(run)
    assert lines["A001"].vetoed and lines["A001"].score == D("60")
    assert amounts(run, "incentive_amount") == {"A001": D("0.00"), "A002": D("200.00")}
    assert amounts(run, "base_amount") == {"A001": D("600.00"), "A002": D("400.00")}
    assert run.remainder == 0


def test_a_veto_under_tiers_is_kept_as_remainder(world, items):
    event(world.a_east, items["crime"], "-20")
    tiers = [{"min_score": "0", "share_of_base": "0.10"}]
    run = compute(create_run(world, policy=Policy.TIERS, parameters={"tiers": tiers}))
    assert amounts(run, "incentive_amount") == {"A001": D("0.00"), "A002": D("40.00")}
    assert (run.incentive_paid, run.remainder) == (D("40.00"), D("160.00"))


def test_vetoes_that_do_not_count(world, items):
    original = event(world.a_east, items["crime"], "-20")
    event(
        world.a_east, items["crime"], "20", note="录错了户", reverses=original
    )  # reversed in full
    event(world.a_west, items["crime"], "-20", occurred_on=date(YEAR - 1, 12, 31))  # last year
    event(world.a_west, items["crime"], "-20", needs_review=True)  # waits for review
    run = compute(create_run(world))
    assert not any(line.vetoed for line in lines_of(run).values())
    assert amounts(run, "incentive_amount") == {"A001": D("100.00"), "A002": D("100.00")}


def test_the_run_can_switch_the_veto_off(world, items):
    event(world.a_east, items["crime"], "-20")  # 60 : 80
    run = compute(create_run(world, parameters={"veto": False}))
    assert lines_of(run)["A001"].vetoed  # still shown on the line
    assert amounts(run, "incentive_amount") == {"A001": D("85.71"), "A002": D("114.29")}


def test_below_the_minimum_score_nothing_and_the_rest_redistributed(world, items):
    event(world.a_east, items["litter"], "-10")  # A001: 70, A002: 80
    run = compute(create_run(world, parameters={"min_score": "80"}))
    assert amounts(run, "incentive_amount") == {"A001": D("0.00"), "A002": D("200.00")}
    run = compute(create_run(world, parameters={"min_score": "70"}))  # inclusive
    assert amounts(run, "incentive_amount") == {"A001": D("93.33"), "A002": D("106.67")}


def test_nobody_eligible_the_whole_pool_is_the_remainder(world, items):
    run = compute(create_run(world, parameters={"min_score": "100"}))
    assert amounts(run, "incentive_amount") == {"A001": D("0.00"), "A002": D("0.00")}
    assert (run.incentive_paid, run.remainder) == (D("0.00"), D("200.00"))
    assert_lines_add_up(run)


def test_events_scored_by_another_community_count(world, items):
    event(world.a_east, items["clean"], "10", actor=world.staff_west)  # A001 lives in 东湖
    run = compute(create_run(world))
    assert lines_of(run)["A001"].score == D("90")


def test_scores_are_clipped_to_the_standards_bounds(world, items, standard):
    for month in range(1, 7):
        event(world.a_east, items["clean"], "10", occurred_on=date(YEAR, month, 3))
    run = compute(create_run(world))  # 80 + 60 = 140, clipped to 120
    assert lines_of(run)["A001"].score == standard.upper_bound == D("120")


# --- Record date ------------------------------------------------------------------------


@pytest.fixture
def register(world, standard):
    """COOPA's register with movements around the record date (31 Dec 2026)."""
    rk = world.coop_a.share_classes.get(code="RK")
    actor = world.accountant_a
    late = factories.household(cooperative_=world.coop_a, community_=world.east, number="A003")
    register_services.share_issue(
        household=late,
        share_class=rk,
        quantity=D("4"),
        effective_on=date(YEAR + 1, 1, 10),
        reason="登记日后配股",
        actor=actor,
    )
    mid_year = factories.household(cooperative_=world.coop_a, community_=world.west, number="A004")
    register_services.share_issue(
        household=mid_year,
        share_class=rk,
        quantity=D("5"),
        effective_on=date(YEAR, 6, 1),
        reason="年中配股",
        actor=actor,
    )
    withdrawn = factories.household(
        cooperative_=world.coop_a, community_=world.east, number="A005", shares={"RK": "2"}
    )
    register_services.share_cancel(
        household=withdrawn,
        share_class=rk,
        quantity=D("2"),
        effective_on=date(YEAR, 3, 1),
        reason="退股",
        actor=actor,
    )
    factories.household(cooperative_=world.coop_a, community_=world.east, number="A006")  # none
    # Before the record date A001 hands 1 share to A002; after it, A002 hands 2 back.
    register_services.share_transfer(
        source=world.a_east,
        target=world.a_west,
        share_class=rk,
        quantity=D("1"),
        effective_on=date(YEAR, 6, 30),
        reason="转让",
        actor=actor,
    )
    register_services.share_transfer(
        source=world.a_west,
        target=world.a_east,
        share_class=rk,
        quantity=D("2"),
        effective_on=date(YEAR + 1, 1, 5),
        reason="继承",
        actor=actor,
        inheritance=True,
    )
    return world


def test_holdings_on_the_record_date_are_paid(register):
    run = compute(create_run(register))
    # On 31 Dec 2026: A001 2, A002 3, A004 5 (Σ 10); A003's shares come later, A005 has
    # cancelled its shares, A006 never had any: no line for them.
    assert amounts(run, "weighted_shares") == {"A001": D("2"), "A002": D("3"), "A004": D("5")}
    assert amounts(run, "base_amount") == {
        "A001": D("200.00"),
        "A002": D("300.00"),
        "A004": D("500.00"),
    }
    # Equal scores: 200.00 ÷ 3, the two odd fen to the first household numbers.
    assert amounts(run, "incentive_amount") == {
        "A001": D("66.67"),
        "A002": D("66.67"),
        "A004": D("66.66"),
    }
    assert {D(q) for q in lines_of(run)["A002"].shares.values()} == {D("3")}
    assert_lines_add_up(run)


def test_an_earlier_record_date(register):
    run = compute(create_run(register, record_date=date(YEAR, 6, 15)))
    # Mid-June: A004's issue is in, the transfer of 30 June is not, A005 already left.
    assert amounts(run, "weighted_shares") == {"A001": D("3"), "A002": D("2"), "A004": D("5")}
    assert amounts(run, "base_amount") == {
        "A001": D("300.00"),
        "A002": D("200.00"),
        "A004": D("500.00"),
    }


def test_weighted_share_classes(world, standard):
    coop = world.coop_a
    nl = coop.share_classes.create(code="NL", name="农龄股", weight=D("0.5"))
    register_services.share_issue(
        household=world.a_west,
        share_class=nl,
        quantity=D("3"),
        effective_on=date(2018, 1, 1),
        reason="农龄折股",
        actor=world.accountant_a,
    )
    run = compute(create_run(world))
    # A001 3 × 1; A002 2 × 1 + 3 × 0.5 = 3.5; Σ 6.5: 461.538… and 538.461….
    assert amounts(run, "weighted_shares") == {"A001": D("3"), "A002": D("3.5")}
    assert amounts(run, "base_amount") == {"A001": D("461.54"), "A002": D("538.46")}
    assert set(lines_of(run)["A002"].shares) == {"人口股", "农龄股"}


# --- Snapshot ---------------------------------------------------------------------------


def test_lines_keep_a_snapshot_of_the_register(world, items):
    run = compute(create_run(world))
    services.dividend_run_approve(actor=world.supervisor_a, run=run)
    before = {
        number: (
            line.head_name,
            line.head_id_number_masked,
            line.bank_account,
            line.masked_bank_account,
            line.community_name,
            line.shares,
            line.weighted_shares,
            line.score,
            line.total_amount,
        )
        for number, line in lines_of(run).items()
    }
    assert before["A001"][:5] == (
        "王建国",
        "330482********1234",
        "6228480011112222333",
        "***************2333",
        "东湖社区",
    )

    household = world.a_east
    household.head_name = "王小明"
    household.bank_account = "6228489999999999999"
    household.head_id_number = "330482199001015678"
    household.community = world.west
    household.save()
    register_services.share_transfer(
        source=world.a_west,
        target=world.a_east,
        share_class=world.coop_a.share_classes.get(code="RK"),
        quantity=D("2"),
        effective_on=date(YEAR, 3, 1),  # even a backdated change
        reason="补登继承",
        actor=world.accountant_a,
        inheritance=True,
    )
    event(world.a_west, items["litter"], "-10")

    after = {
        number: (
            line.head_name,
            line.head_id_number_masked,
            line.bank_account,
            line.masked_bank_account,
            line.community_name,
            line.shares,
            line.weighted_shares,
            line.score,
            line.total_amount,
        )
        for number, line in lines_of(run).items()
    }
    assert after == before
    # A new computation (of the next year: this one is approved) sees the new register.
    StandardAdoption.objects.create(
        standard=ScoringStandard.objects.create(
            town=factories.town(),
            name="次年标准",
            year=YEAR + 1,
            status=ScoringStandard.Status.PUBLISHED,
        ),
        cooperative=world.coop_a,
        meeting_date=date(YEAR + 1, 1, 15),
        votes_for=40,
    )
    fresh = compute(create_run(world, year=YEAR + 1))
    assert lines_of(fresh)["A001"].head_name == "王小明"
    assert amounts(fresh, "weighted_shares") == {"A001": D("5")}


# --- Idempotency, progress, crashes --------------------------------------------------------


def compute_audits(run):
    return AuditRecord.objects.filter(
        action="dividend.compute", object_type="dividends.DividendRun", object_id=str(run.pk)
    ).count()


def test_computing_twice_writes_the_lines_once(world, standard):
    run = create_run(world)
    compute(run)
    first = sorted(run.lines.values_list("pk", "household_id", "total_amount"))
    again = compute(run)
    assert again.status == Status.COMPUTED
    assert sorted(run.lines.values_list("pk", "household_id", "total_amount")) == first
    assert DividendLine.objects.count() == 2
    assert compute_audits(run) == 1


def test_a_duplicated_task_on_a_computed_run_is_a_no_op(world, standard):
    run = create_run(world)
    first = tasks.compute_dividend_run.delay(run.pk).get()
    assert first == {"run": run.pk, "status": Status.COMPUTED, "progress": 100}
    lines = sorted(run.lines.values_list("pk", "total_amount"))
    assert tasks.compute_dividend_run.delay(run.pk).get() == first
    assert sorted(run.lines.values_list("pk", "total_amount")) == lines
    assert compute_audits(run) == 1


def test_a_duplicate_that_finishes_first_wins_and_the_other_writes_nothing(
    world, standard, monkeypatch
):
    run = create_run(world)
    real_compute_lines = run_jobs.compute_lines
    calls = []

    def compute_lines_while_a_duplicate_runs(**kwargs):
        lines = real_compute_lines(**kwargs)
        if not calls:
            calls.append("duplicate")
            run_jobs.dividend_run_compute(run_id=run.pk)  # the other task, start to end
        return lines

    monkeypatch.setattr(run_jobs, "compute_lines", compute_lines_while_a_duplicate_runs)
    result = compute(run)
    assert calls == ["duplicate"]
    assert result.status == Status.COMPUTED
    assert run.lines.count() == 2
    assert compute_audits(run) == 1


def test_progress_is_reported_and_reaches_100(world, standard, monkeypatch):
    run = create_run(world)
    seen, stored = [], []
    real_set_progress = run_jobs._set_progress

    def spy(run_, percent):
        real_set_progress(run_, percent)
        stored.append(DividendRun.objects.values_list("progress", flat=True).get(pk=run_.pk))

    monkeypatch.setattr(run_jobs, "_set_progress", spy)
    run = compute(run, progress=seen.append)
    # The row the pages poll moves forward step by step (5 when the task takes the run);
    # 100 comes with the lines.
    assert seen and seen == sorted(seen) and seen[-1] < 100
    assert stored[0] > 5 and stored == sorted(stored)
    assert run.progress == 100 and run.computed_at is not None


def test_enqueue_sends_the_task_after_commit(world, standard, django_capture_on_commit_callbacks):
    run = create_run(world)
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert (run.status, run.progress, run.household_count) == (Status.COMPUTED, 100, 2)


def test_a_crash_while_writing_leaves_no_line_and_the_run_can_be_computed_again(
    world, standard, monkeypatch
):
    for n in range(7, 20):
        factories.household(
            cooperative_=world.coop_a, community_=world.east, number=f"A{n:03d}", shares={"RK": 1}
        )
    run = create_run(world)
    real_bulk_create = DividendLine.objects.bulk_create

    def write_half_then_die(objs, *args, **kwargs):
        real_bulk_create(objs[: len(objs) // 2], *args, **kwargs)
        assert DividendLine.objects.filter(run=run).exists()  # really half written
        raise RuntimeError("worker lost: killed by signal 9")

    monkeypatch.setattr(DividendLine.objects, "bulk_create", write_half_then_die)
    with pytest.raises(RuntimeError):
        compute(run)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "killed by signal 9" in run.error
    assert not DividendLine.objects.filter(run=run).exists()
    assert run.incentive_paid is None and run.household_count is None

    monkeypatch.undo()
    # A failed run waits for a person: a stray task leaves it failed, "重新计算" sends it.
    assert compute(run).status == Status.FAILED
    run = compute(run_jobs.dividend_run_retry(actor=world.accountant_a, run=run))
    assert run.status == Status.COMPUTED and run.error == ""
    assert run.lines.count() == 15
    assert_lines_add_up(run)


def test_a_crash_after_the_lines_are_written_rolls_them_back(world, standard, monkeypatch):
    run = create_run(world)

    def audit_fails(**kwargs):
        raise IntegrityError("audit table unavailable")

    monkeypatch.setattr(run_jobs, "audit_record", audit_fails)
    with pytest.raises(IntegrityError):
        compute(run)
    run.refresh_from_db()
    # A database error's raw text goes to the log, never to the page.
    assert run.status == Status.FAILED and "audit table" not in run.error
    assert run.error.startswith("计算时数据库报错，没有写入任何分红明细")
    assert not run.lines.exists()

    monkeypatch.undo()
    run = run_jobs.dividend_run_retry(actor=world.accountant_a, run=run)
    assert compute(run).status == Status.COMPUTED
    assert run.lines.count() == 2


def test_a_run_left_running_by_a_killed_worker_is_computed_on_redelivery(world, standard):
    run = create_run(world)
    # The worker died without reaching its error handler: status and progress stay behind.
    DividendRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, progress=45)
    run = compute(run)
    assert (run.status, run.progress) == (Status.COMPUTED, 100)
    assert run.lines.count() == 2


# --- Queries --------------------------------------------------------------------------------


def cooperative_with(households, *, code, standard, items):
    coop = factories.cooperative(code=code)
    StandardAdoption.objects.create(
        standard=standard, cooperative=coop, meeting_date=date(YEAR, 1, 15), votes_for=20
    )
    community = factories.community()
    staff = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[community])
    for n in range(households):
        household = factories.household(
            cooperative_=coop,
            community_=community,
            number=f"{code}{n:03d}",
            shares={"RK": 1 + n % 4},
        )
        if n % 2:
            event(household, items["clean"], "5", actor=staff)
        if n % 5 == 0:
            event(household, items["crime"], "-20", actor=staff)
    accountant = factories.user(role=User.Role.ACCOUNTANT, cooperative_=coop)
    return coop, accountant


def test_query_count_does_not_grow_with_the_households(
    world, standard, items, django_assert_max_num_queries
):
    counts = {}
    for size, code in ((5, "SMALL"), (60, "LARGE")):
        coop, accountant = cooperative_with(size, code=code, standard=standard, items=items)
        run = services.dividend_run_create(
            actor=accountant,
            cooperative=coop,
            year=YEAR,
            total=D("10000.00"),
            incentive_mode=Mode.RATIO_OF_BASE,
            incentive_value=D("0.2"),
            policy=Policy.SCORE_SHARES,
        )
        with django_assert_max_num_queries(24), CaptureQueriesContext(connection) as queries:
            run = compute(run)
        assert run.household_count == size
        inserts = [
            q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "dividends_dividendline"')
        ]
        # Lines go in bulk: one INSERT per batch (SQLite allows ~58 lines a statement).
        batch = connection.ops.bulk_batch_size(
            [f for f in DividendLine._meta.concrete_fields if not f.primary_key], [None] * size
        )
        assert len(inserts) == math.ceil(size / batch)
        counts[size] = len(queries) - len(inserts)
    assert counts[5] == counts[60]


# --- Approval -----------------------------------------------------------------------------


def test_approval_freezes_the_run(world, standard):
    run = compute(create_run(world))
    run = services.dividend_run_approve(actor=world.supervisor_a, run=run)
    assert run.status == Status.APPROVED and run.is_frozen
    assert run.approved_by == world.supervisor_a and run.approved_at is not None
    assert run.created_by == world.accountant_a

    line = run.lines.first()
    line.head_name = "改名"
    line.incentive_amount = D("999.00")
    with pytest.raises(PermissionError):
        line.save()
    with pytest.raises(PermissionError):
        run.lines.update(incentive_amount=D("0"))
    with pytest.raises(PermissionError):
        DividendLine.objects.filter(run=run).update(head_name="改名")
    # Computing an approved run again changes nothing.
    before = sorted(run.lines.values_list("pk", "total_amount"))
    assert compute(run).status == Status.APPROVED
    assert sorted(run.lines.values_list("pk", "total_amount")) == before


def test_only_a_computed_run_can_be_approved(world, standard):
    run = create_run(world)
    with pytest.raises(ValidationError):
        services.dividend_run_approve(actor=world.supervisor_a, run=run)
    compute(run)
    for outsider in (world.accountant_b, world.supervisor_b, world.staff_east, world.villager_a):
        with pytest.raises(PermissionDenied):
            services.dividend_run_approve(actor=outsider, run=run)
    services.dividend_run_approve(actor=world.supervisor_a, run=run)
    with pytest.raises(ValidationError):
        services.dividend_run_approve(actor=world.supervisor_a, run=run)


def test_a_second_version_cannot_be_approved_for_the_same_year(world, standard):
    first = compute(create_run(world))
    second = compute(services.dividend_run_recompute(actor=world.accountant_a, run=first))
    services.dividend_run_approve(actor=world.supervisor_a, run=first)
    with pytest.raises(ValidationError):
        services.dividend_run_approve(actor=world.supervisor_a, run=second)
    second.refresh_from_db()
    assert second.status == Status.COMPUTED

    # The database refuses it too, should anything bypass the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        DividendRun.objects.filter(pk=second.pk).update(status=Status.APPROVED)
    assert DividendRun.objects.filter(status=Status.APPROVED).count() == 1
    # Another cooperative, or another year, is not affected.
    other = compute(create_run(world, actor=world.accountant_b, cooperative=world.coop_b))
    assert services.dividend_run_approve(actor=world.supervisor_b, run=other).is_frozen


# --- Issue 9: money you can sign ------------------------------------------------------------

EIGHTY_IN_FIVE_EVENTS = ("-3.3", "5.1", "-1.3", "-1.1", "0.6")  # Σ = 0 exactly


def eighty_by_five_events(world, items):
    """A001 ends at exactly 80.0 through events whose float sum is −3.3e-16 (A002: 80)."""
    for points in EIGHTY_IN_FIVE_EVENTS:
        event(world.a_east, items["clean" if points[0] != "-" else "litter"], points)


def test_a_score_summed_from_one_decimal_events_is_exact_in_the_tiers(world, items):
    """Finding 1: on SQLite the dividend used 79.99999999999999966… and paid the 5% tier."""
    eighty_by_five_events(world, items)
    tiers = [
        {"min_score": "60", "share_of_base": "0.05"},
        {"min_score": "80", "share_of_base": "0.1"},
        {"min_score": "90", "share_of_base": "0.2"},
    ]
    run = compute(create_run(world, policy=Policy.TIERS, parameters={"tiers": tiers}))
    assert lines_of(run)["A001"].score == D("80.0")
    # 10% of the bases 600 and 400, not 5% of A001's.
    assert amounts(run, "incentive_amount") == {"A001": D("60.00"), "A002": D("40.00")}


def test_a_score_summed_from_one_decimal_events_reaches_the_minimum_score(world, items):
    """Finding 1: with a minimum score of 80 the household was paid nothing."""
    eighty_by_five_events(world, items)
    run = compute(create_run(world, parameters={"min_score": "80"}))
    # 80 : 80 over 200, the odd fen to the lower number (equal scores).
    assert amounts(run, "incentive_amount") == {"A001": D("100.00"), "A002": D("100.00")}


def test_the_odd_fen_of_the_base_goes_to_the_higher_score(world, standard):
    """Finding 2, the issue's example: equal shares, scores 81–86, T = 1.00, ratio 0.2.

    B = 0.83 over six households: 0.13 each and five fen left over, equal remainders:
    to the five highest scores (86 … 82), not to the five lowest numbers. Each household
    with a higher score gets at least as much as each one with a lower score.
    """
    item = ScoringItem.objects.create(
        standard=standard,
        code="JF01",
        name="加分",
        direction=ScoringItem.Direction.ADD,
        default_points=D("1"),
        min_points=D("1"),
        max_points=D("10"),
    )
    coop = factories.cooperative()
    StandardAdoption.objects.create(
        standard=standard, cooperative=coop, meeting_date=date(YEAR, 1, 15), votes_for=9
    )
    # The lower the number, the lower the score: the old tie-break paid them first.
    for index, score in enumerate(range(81, 87)):
        household = factories.household(
            cooperative_=coop, community_=world.east, number=f"T{index}", shares={"RK": 1}
        )
        event(household, item, str(score - 80))
    run = compute(create_run(world, cooperative=coop, actor=world.admin, total=D("1.00")))
    assert (run.base_pool, run.incentive_pool) == (D("0.83"), D("0.17"))
    lines = sorted(lines_of(run).values(), key=lambda line: line.score)
    assert [line.score for line in lines] == [D(score) for score in range(81, 87)]
    assert [line.base_amount for line in lines] == [D("0.13")] + [D("0.14")] * 5
    totals = [line.total_amount for line in lines]
    assert totals == sorted(totals)  # a higher score never pays less (86 got 0.16 before)
    assert_lines_add_up(run)


def test_recompute_as_a_new_version_gives_the_same_pools(world, standard):
    """Finding 3: what is stored is what was used, so a new version computes the same."""
    run = create_run(world, total=D("1000000.00"), incentive_value=D("0.1235"))
    compute(run)
    again = services.dividend_run_recompute(actor=world.accountant_a, run=run)
    again.refresh_from_db()
    assert (again.total, again.incentive_value) == (D("1000000.00"), D("0.1235"))
    assert (again.base_pool, again.incentive_pool) == (run.base_pool, run.incentive_pool)


@pytest.mark.parametrize(
    ("total", "value", "field"),
    [("100.001", "0.2", "total"), ("1000000", "0.123456", "incentive_value")],
)
def test_money_inputs_that_would_be_rounded_are_refused(world, standard, total, value, field):
    """Finding 3 at the service: the page, the API and the command all reach this check."""
    with pytest.raises(ValidationError) as refused:
        create_run(world, total=D(total), incentive_value=D(value))
    assert list(refused.value.message_dict) == [field]
    assert not DividendRun.objects.exists()


@pytest.mark.parametrize(
    ("total", "mode", "value"),
    [
        ("0.03", Mode.RATIO_OF_BASE, "0.25"),  # B 0.02, I 0.01: a third of the total
        ("99999999.99", Mode.SHARE_OF_TOTAL, "0.2"),  # I 20,000,000.00 > 19,999,999.998
        ("99999999.99", Mode.RATIO_OF_BASE, "0.25"),  # B 79,999,999.99, I 20,000,000.00
        ("0.04", Mode.FIXED, "0.01"),  # 25%
    ],
)
def test_the_ceiling_is_compared_exactly(world, standard, total, mode, value):
    """Finding 4: not with 20% of the total rounded to the fen."""
    base, pool = services.pools(total=D(total), incentive_mode=mode, incentive_value=D(value))
    assert pool > D(total) * D("0.2")
    assert services.exceeds_ceiling(total=D(total), incentive_pool=pool)
    assert services.incentive_ceiling(D(total)) < pool
    with pytest.raises(ValidationError, match="20%"):
        create_run(world, total=D(total), incentive_mode=mode, incentive_value=D(value))
    run = create_run(
        world, total=D(total), incentive_mode=mode, incentive_value=D(value), ceiling_confirmed=True
    )
    assert run.incentive_pool == pool


def test_a_score_of_zero_reaches_a_tier_that_starts_at_zero(world, items, standard):
    """Finding 6: under tiers `0:0.05` a score of 0 is paid its 5%."""
    for _ in range(8):
        event(world.a_east, items["litter"], "-10")  # A001: 80 − 80 = 0
    tiers = [{"min_score": "0", "share_of_base": "0.05"}]
    run = compute(create_run(world, policy=Policy.TIERS, parameters={"tiers": tiers}))
    assert lines_of(run)["A001"].score == 0
    assert amounts(run, "incentive_amount") == {"A001": D("30.00"), "A002": D("20.00")}


@pytest.mark.parametrize("policy", [Policy.SCORE, Policy.SCORE_SHARES])
def test_a_score_of_zero_weighs_nothing_under_the_proportional_policies(world, items, policy):
    """Finding 6: eligible, but its weight is 0: the other household takes the pool."""
    for _ in range(8):
        event(world.a_east, items["litter"], "-10")
    run = compute(create_run(world, policy=policy))
    assert amounts(run, "incentive_amount") == {"A001": D("0.00"), "A002": D("200.00")}
    assert_lines_add_up(run)


def test_a_tier_ask_of_a_whole_fen_is_paid_that_fen(world, standard):
    """Issue 20, point 4: T = 500.00, incentive share 0.2, tiers 60:0.3, three households
    of one share scoring 80, 30, 30. B = 400.00; the first household's exact ask is
    400/3 × 0.3 = 40.00, and it is paid 40.00 (the 28-digit quotient 133.333…3 paid 39.99).
    The statement explains the same ask and the run's Σ asks is 40.00."""
    item = ScoringItem.objects.create(
        standard=standard,
        code="KF01",
        name="扣分",
        direction=ScoringItem.Direction.DEDUCT,
        default_points=D("10"),
        min_points=D("1"),
        max_points=D("50"),
    )
    coop = factories.cooperative()
    StandardAdoption.objects.create(
        standard=standard, cooperative=coop, meeting_date=date(YEAR, 1, 15), votes_for=9
    )
    for number, deduction in (("H1", None), ("H2", "-50"), ("H3", "-50")):
        household = factories.household(
            cooperative_=coop, community_=world.east, number=number, shares={"RK": 1}
        )
        if deduction:
            event(household, item, deduction)
    run = compute(
        create_run(
            world,
            cooperative=coop,
            actor=world.admin,
            total=D("500.00"),
            incentive_mode=Mode.SHARE_OF_TOTAL,
            incentive_value=D("0.2"),
            policy=Policy.TIERS,
            parameters={"tiers": [{"min_score": "60", "share_of_base": "0.3"}]},
        )
    )
    assert (run.base_pool, run.incentive_pool) == (D("400.00"), D("100.00"))
    assert [line.score for line in lines_of(run).values()] == [D("80"), D("30"), D("30")]
    assert amounts(run, "incentive_amount") == {"H1": D("40.00"), "H2": D("0"), "H3": D("0")}
    assert (run.incentive_paid, run.remainder) == (D("40.00"), D("60.00"))
    assert sums(run)["total"] == D("440.00")
    assert_lines_add_up(run)
    from dividends import selectors

    assert selectors.run_basis(run).tiers_asked == D("40.00")
