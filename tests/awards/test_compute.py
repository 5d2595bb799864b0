"""Award runs against the database (SQLite by default, PostgreSQL with DATABASE_URL):
the dividends' independent arithmetic cases — exact pools, ties, zero scores, one
household, a pool of 0.01, a very large pool — checked against an oracle written here
with fractions (not the product's split), plus who is paid, the period, the counted
categories, the veto, versions, four-eyes and the freeze.

`world`: cooperative COOPA with A001 (3 人口股, 东湖社区) and A002 (2 人口股, 西湖社区).
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditRecord, User
from awards import services
from awards.models import AwardLine, AwardRun
from communities.models import ScoreEvent, StandardAdoption
from tests import factories
from villages import services as register_services

D = Decimal
YEAR = 2026
Policy = AwardRun.Policy
Status = AwardRun.Status
Kind = AwardRun.PeriodKind


def create_run(world, **overrides):
    arguments = {
        "actor": world.accountant_a,
        "cooperative": world.coop_a,
        "name": "全域秀美月度奖励",
        "period_kind": Kind.MONTH,
        "year": YEAR,
        "period_number": 5,
        "pool": D("100.00"),
        "categories": ["environment"],
        "policy": Policy.SCORE,
    } | overrides
    return services.award_run_create(**arguments)


def compute(run):
    return services.award_run_compute(run_id=run.pk)


def amounts(run):
    return dict(run.lines.order_by("household_number").values_list("household_number", "amount"))


def event(household, item, points, occurred_on=date(YEAR, 5, 10), **extra):
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=D(points),
        occurred_on=occurred_on,
        community=household.community,
        entered_by=User.objects.filter(role=User.Role.COMMUNITY_STAFF).first(),
        **extra,
    )


def oracle(pool, scores):
    """The expected split, independently: each household's exact share pool × s ÷ Σs as a
    fraction, floored to the fen; the fen left over one each to the largest remainders,
    equal remainders to the higher score, then to the lower household number."""
    pool_fen = int(D(pool) * 100)
    weights = {number: max(Fraction(str(score)), Fraction(0)) for number, score in scores.items()}
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return {number: D("0.00") for number in scores}
    exact = {number: pool_fen * weight / total for number, weight in weights.items()}
    fen = {number: int(share) for number, share in exact.items()}  # floor (shares ≥ 0)
    left = pool_fen - sum(fen.values())
    order = sorted(
        scores, key=lambda number: (-(exact[number] - fen[number]), -weights[number], number)
    )
    for number in order[:left]:
        fen[number] += 1
    return {number: D(value) / 100 for number, value in fen.items()}


def register_of(world, count, standard):
    """(cooperative, households): COOPA with `count` households in all (A001, A002 and
    more, the new ones in 东湖社区); for one household, a cooperative of its own."""
    if count == 1:
        cooperative = factories.cooperative(code="ONE", name="独户村股份经济合作社")
        StandardAdoption.objects.create(
            standard=standard, cooperative=cooperative, meeting_date=date(YEAR, 1, 15), votes_for=1
        )
        only = factories.household(
            cooperative_=cooperative, community_=world.east, number="O001", shares={"RK": "1"}
        )
        return cooperative, [only]
    households = [world.a_east, world.a_west]
    for n in range(3, count + 1):
        households.append(
            factories.household(
                cooperative_=world.coop_a,
                community_=world.east,
                number=f"A{n:03d}",
                head_name=f"户主{n}",
                shares={"RK": "1"},
            )
        )
    return world.coop_a, households[:count]


CASES = {
    # name: (pool, [score of each household, in number order])
    "exact pool": ("600.00", ["10", "20", "30"]),
    "equal scores, the odd fen by number": ("100.00", ["5", "5", "5"]),
    "equal remainders, the higher score first": ("1.00", ["3", "3", "1", "2"]),
    "zero scores get nothing": ("50.00", ["0", "7", "0"]),
    "one household takes it all": ("10000.00", ["12.5"]),
    "a pool of 0.01": ("0.01", ["3", "3", "3"]),
    "a pool of 0.01, the higher score": ("0.01", ["2", "9", "4"]),
    "a very large pool": ("999999999999.99", ["7", "7", "7", "1.5"]),
    "tenths of points": ("10.00", ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_pool_is_split_exactly_as_the_oracle_says(world, items, standard, case):
    pool, scores = CASES[case]
    cooperative, households = register_of(world, len(scores), standard)
    for household, score in zip(households, scores, strict=True):
        if D(score):
            event(household, items["clean"], score)
    run = compute(create_run(world, pool=D(pool), cooperative=cooperative, actor=world.admin))
    assert run.status == Status.COMPUTED, run.error
    expected = oracle(pool, {h.number: s for h, s in zip(households, scores, strict=True)})
    assert amounts(run) == expected
    paid = sum(expected.values(), D("0"))
    assert (run.paid, run.remainder, run.household_count) == (paid, D(pool) - paid, len(scores))
    if any(D(score) for score in scores):
        assert run.paid == D(pool)  # the proportional policy pays the whole pool


def test_all_zero_scores_keep_the_whole_pool_as_remainder(world, items):
    run = compute(create_run(world, pool=D("10000.00")))
    assert amounts(run) == {"A001": D("0.00"), "A002": D("0.00")}
    assert (run.paid, run.remainder) == (D("0.00"), D("10000.00"))


def test_a_pool_of_zero_pays_nothing(world, items):
    event(world.a_east, items["clean"], "5")
    run = compute(create_run(world, pool=D("0")))
    assert amounts(run) == {"A001": D("0.00"), "A002": D("0.00")}
    assert run.remainder == D("0.00")


def test_tiers_ask_their_share_of_an_equal_part_and_the_rest_stays_in_the_fund(
    world, items, standard
):
    # Three households: an equal part is 100.00 / 3 = 33.333…; ≥8 full, ≥4 half.
    _cooperative, households = register_of(world, 3, standard)
    for household, score in zip(households, ["9", "5", "2"], strict=True):
        event(household, items["clean"], score)
    tiers = [{"min_score": "4", "share_of_base": "0.5"}, {"min_score": "8", "share_of_base": "1"}]
    run = compute(create_run(world, policy=Policy.TIERS, parameters={"tiers": tiers}))
    assert amounts(run) == {"A001": D("33.33"), "A002": D("16.66"), "A003": D("0.00")}
    assert run.remainder == D("100.00") - D("33.33") - D("16.66")


def test_a_tier_asks_of_the_exact_equal_part_not_of_a_rounded_quotient(world, items, standard):
    # 1.00 / 3 households, a tier of 3 equal parts: exactly 1.00 (a rounded quotient,
    # 0.3333…3 × 3 = 0.9999…9, would floor to 0.99 and keep a fen that is owed).
    _cooperative, households = register_of(world, 3, standard)
    event(households[0], items["clean"], "9")
    tiers = [{"min_score": "8", "share_of_base": "3"}]
    run = compute(
        create_run(world, pool=D("1.00"), policy=Policy.TIERS, parameters={"tiers": tiers})
    )
    expected = Fraction(100, 3) * 3  # fen
    assert amounts(run) == {"A001": D(int(expected)) / 100, "A002": D("0.00"), "A003": D("0.00")}
    assert run.remainder == D("0.00")


def test_a_minimum_score_and_the_rest_goes_to_the_others(world, items):
    event(world.a_east, items["clean"], "3")
    event(world.a_west, items["clean"], "6")
    run = compute(create_run(world, parameters={"min_score": "4"}))
    assert amounts(run) == {"A001": D("0.00"), "A002": D("100.00")}


def test_a_veto_in_the_period_cancels_the_award(world, items):
    event(world.a_east, items["clean"], "9")
    event(world.a_west, items["clean"], "1")
    event(world.a_east, items["crime"], "-20")  # a veto item of another category
    run = compute(create_run(world))
    assert amounts(run) == {"A001": D("0.00"), "A002": D("100.00")}
    assert run.lines.get(household_number="A001").veto_applied
    run_without = compute(create_run(world, period_number=5, parameters={"veto": False}))
    assert amounts(run_without) == {"A001": D("90.00"), "A002": D("10.00")}


def test_only_the_periods_events_in_the_counted_categories_count(world, items):
    event(world.a_east, items["clean"], "4")  # May, environment: counts
    event(world.a_east, items["litter"], "-1")  # May, environment deduction: counts
    event(world.a_east, items["clean"], "9", occurred_on=date(YEAR, 4, 30))  # April
    event(world.a_east, items["volunteer"], "5")  # participation: not counted
    event(world.a_west, items["clean"], "2", occurred_on=date(YEAR, 5, 31))
    run = compute(create_run(world, pool=D("50.00")))
    scores = dict(run.lines.values_list("household_number", "score"))
    assert scores == {"A001": D("3.0"), "A002": D("2.0")}
    assert amounts(run) == {"A001": D("30.00"), "A002": D("20.00")}
    by_item = compute(create_run(world, period_number=5, categories=[], item_codes=["CY01"]))
    assert dict(by_item.lines.values_list("household_number", "score")) == {
        "A001": D("5.0"),
        "A002": D("0.0"),
    }


def test_a_quarter_and_a_year(world, items):
    event(world.a_east, items["clean"], "4", occurred_on=date(YEAR, 4, 1))
    event(world.a_west, items["clean"], "4", occurred_on=date(YEAR, 6, 30))
    event(world.a_west, items["clean"], "8", occurred_on=date(YEAR, 7, 1))
    quarter = compute(create_run(world, period_kind=Kind.QUARTER, period_number=2))
    assert amounts(quarter) == {"A001": D("50.00"), "A002": D("50.00")}
    year = compute(create_run(world, period_kind=Kind.YEAR, period_number=1, pool=D("16.00")))
    assert amounts(year) == {"A001": D("4.00"), "A002": D("12.00")}


def test_events_scored_by_another_community_count(world, items):
    # A002 lives in 西湖社区; 东湖社区 scored it (it lived there earlier in the month).
    ScoreEvent.objects.create(
        household=world.a_west,
        item=items["clean"],
        points=D("5"),
        occurred_on=date(YEAR, 5, 3),
        community=world.east,
        entered_by=world.staff_east,
    )
    run = compute(create_run(world))
    assert amounts(run) == {"A001": D("0.00"), "A002": D("100.00")}


def test_shareholders_only_pays_those_holding_shares_on_the_last_day(world, items):
    newcomer = factories.household(
        cooperative_=world.coop_a, community_=world.east, number="A003", head_name="新户"
    )
    for household in (world.a_east, world.a_west, newcomer):
        event(household, items["clean"], "5")
    # A002's shares all go to A001 on 20 May: no longer a shareholder on the 31st.
    register_services.share_transfer(
        actor=world.accountant_a,
        source=world.a_west,
        target=world.a_east,
        share_class=world.coop_a.share_classes.get(code="RK"),
        quantity=D("2"),
        effective_on=date(YEAR, 5, 20),
        reason="转让",
    )
    everyone = compute(create_run(world, pool=D("90.00")))
    assert amounts(everyone) == {"A001": D("30.00"), "A002": D("30.00"), "A003": D("30.00")}
    shareholders = compute(
        create_run(world, pool=D("90.00"), recipients=AwardRun.Recipients.SHAREHOLDERS)
    )
    assert amounts(shareholders) == {"A001": D("90.00")}


def test_lines_keep_a_snapshot(world, items):
    event(world.a_east, items["clean"], "5")
    run = compute(create_run(world))
    world.a_east.head_name = "王改名"
    world.a_east.save()
    line = run.lines.get(household_number="A001")
    assert (line.head_name, line.head_id_number_masked, line.community_name) == (
        "王建国",
        "330482********1234",
        "东湖社区",
    )
    assert line.bank_account == "6228480011112222333"


@pytest.mark.parametrize(
    "overrides",
    [
        {"pool": "100.001"},
        {"pool": "-1"},
        {"pool": "abc"},
        {"period_number": 13},
        {"period_kind": Kind.QUARTER, "period_number": 5},
        {"categories": ["nonsense"]},
        {"categories": [], "item_codes": []},
        {"categories": [], "item_codes": ["NOPE"]},
        {"policy": "score_shares"},
        {"policy": Policy.TIERS, "parameters": {"tiers": []}},
        {"year": 2025},  # no published standard
    ],
)
def test_bad_inputs_are_refused(world, items, overrides):
    with pytest.raises(ValidationError):
        create_run(world, **overrides)
    assert not AwardRun.objects.exists()


def test_only_the_cooperatives_accountant_or_an_admin_may_create(world, items):
    for actor in (world.accountant_b, world.supervisor_a, world.staff_east, world.villager_a):
        with pytest.raises(PermissionDenied):
            create_run(world, actor=actor)
    assert create_run(world, actor=world.admin).created_by == world.admin


def test_the_job_computes_through_the_task_and_is_audited(
    world, items, django_capture_on_commit_callbacks
):
    event(world.a_east, items["clean"], "5")
    run = create_run(world)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.award_run_enqueue(run=run) is None  # sent at commit
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert (run.status, run.progress_percent) == (Status.COMPUTED, 100)
    actions = list(
        AuditRecord.objects.filter(action__startswith="award.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["award.create", "award.compute"]


def test_computing_twice_writes_the_lines_once(world, items):
    run = compute(create_run(world))
    assert compute(run).status == Status.COMPUTED
    assert AwardLine.objects.filter(run=run).count() == 2


def test_a_failed_run_says_why_and_can_be_retried(world, items, standard):
    run = create_run(world)
    standard.status = standard.Status.DRAFT
    standard.save()
    with pytest.raises(ValidationError):
        compute(run)
    run.refresh_from_db()
    assert run.status == Status.FAILED and "没有已发布的积分标准" in run.error
    assert services.run_can_retry(run)
    standard.status = standard.Status.PUBLISHED
    standard.save()
    run = services.award_run_retry(actor=world.accountant_a, run=run)
    assert compute(run).status == Status.COMPUTED


def test_versions_and_the_creator_cannot_approve(world, items):
    first = compute(create_run(world))
    second = compute(services.award_run_recompute(actor=world.accountant_a, run=first))
    assert (first.version, second.version) == (1, 2)
    refusal = services.approval_refusal(actor=world.accountant_a, run=second)
    assert "双人审核" in refusal
    with pytest.raises(ValidationError, match="双人审核"):
        services.award_run_approve(actor=world.accountant_a, run=second)
    second.refresh_from_db()
    assert second.status == Status.COMPUTED
    with pytest.raises(PermissionDenied):
        services.award_run_approve(actor=world.supervisor_b, run=second)
    approved = services.award_run_approve(actor=world.supervisor_a, run=second)
    assert (approved.status, approved.approved_by) == (Status.APPROVED, world.supervisor_a)
    assert AuditRecord.objects.filter(action="award.approve").count() == 1
    # The other version of the period cannot be approved now, and no new one created.
    assert "已有审批通过" in services.approval_refusal(actor=world.supervisor_a, run=first)
    with pytest.raises(ValidationError, match="已冻结"):
        services.award_run_recompute(actor=world.accountant_a, run=first)
    # Another month is free.
    assert create_run(world, period_number=6).version == 1


def test_an_approved_award_is_frozen(world, items):
    event(world.a_east, items["clean"], "5")
    run = compute(create_run(world))
    run = services.award_run_approve(actor=world.supervisor_a, run=run)
    run.pool = D("1.00")
    with pytest.raises(PermissionError):
        run.save()
    with pytest.raises(PermissionError):
        run.delete()
    line = run.lines.first()
    line.amount = D("0")
    with pytest.raises(PermissionError):
        line.save()
    with pytest.raises(PermissionError):
        run.lines.update(amount=D("0"))
    with pytest.raises(PermissionError):
        run.lines.all().delete()
    run.refresh_from_db()
    assert run.pool == D("100.00") and run.lines.get(household_number="A001").amount == D("100.00")


def test_the_creator_never_approves_an_award_even_with_four_eyes_off(world, items):
    world.coop_a.four_eyes_approval = False
    world.coop_a.save()
    run = compute(create_run(world))
    with pytest.raises(ValidationError, match="双人审核"):
        services.award_run_approve(actor=world.accountant_a, run=run)
    admin_run = compute(create_run(world, actor=world.admin, period_number=7))
    with pytest.raises(ValidationError, match="双人审核"):
        services.award_run_approve(actor=world.admin, run=admin_run)
    assert services.award_run_approve(actor=world.supervisor_a, run=run).status == Status.APPROVED


def test_recompute_only_a_computed_run_and_only_by_its_manager(world, items):
    run = create_run(world)  # queued
    with pytest.raises(ValidationError, match="不能重新计算"):
        services.award_run_recompute(actor=world.accountant_a, run=run)
    compute(run)
    with pytest.raises(PermissionDenied):
        services.award_run_recompute(actor=world.accountant_b, run=run)
    with pytest.raises(PermissionDenied):
        services.award_run_recompute(actor=world.supervisor_a, run=run)
    assert services.award_run_recompute(actor=world.accountant_a, run=run).version == 2


def test_the_one_sweep_sends_a_stalled_award_run_again(world, items, settings):
    from datetime import timedelta

    from django.utils import timezone

    from pinghu_points import jobs

    settings.JOB_STALE_SECONDS = 60
    run = create_run(world)
    AwardRun.objects.filter(pk=run.pk).update(
        status=Status.RUNNING,
        attempts=1,
        task_id="lost",
        heartbeat_at=timezone.now() - timedelta(seconds=61),
    )
    result = jobs.sweep_all()
    assert result["award run"] == {"resent": [run.pk], "failed": []}
    run.refresh_from_db()
    assert run.status == Status.COMPUTED  # eager: the re-sent task computed it
