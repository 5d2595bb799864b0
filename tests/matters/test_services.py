"""The six steps (收集、研判、交办、办理、跟踪、反馈) and what each refuses."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditRecord
from matters import selectors, services
from matters.models import Matter, MatterStep
from tests import factories

from .conftest import due


def test_a_matter_walks_all_six_steps(world, leader, raised):
    matter = raised
    assert matter.state == Matter.State.COLLECTED
    assert matter.micro_grid == world.grid_east and matter.household == world.a_east

    services.matter_assess(actor=leader, matter=matter, decision="accepted", reason="现场看过")
    services.matter_assign(
        actor=leader, matter=matter, community=world.east, due_on=due(), note="请村里清理"
    )
    services.matter_progress(
        actor=world.staff_east, matter=matter, note="已安排保洁队", photo=factories.photo()
    )
    services.matter_track(actor=leader, matter=matter, note="去现场看了，正在施工")
    services.matter_report_back(actor=world.staff_east, matter=matter, result="河岸已清理加固")
    services.matter_villager_verdict(actor=world.villager_a, matter=matter, solved=True)

    matter.refresh_from_db()
    assert matter.state == Matter.State.REPORTED
    assert matter.solved is True
    assert matter.result == "河岸已清理加固"
    assert matter.on_time is True
    steps = list(matter.steps.values_list("step", "outcome", "actor__username"))
    assert steps == [
        ("collect", "", "villager_a"),
        ("assess", "accepted", "leader_east"),
        ("assign", "", "leader_east"),
        ("handle", "", "staff_east"),
        ("track", "", "leader_east"),
        ("feedback", "", "staff_east"),
        ("feedback", "solved", "villager_a"),
    ]
    assert matter.steps.get(step="handle").photo.name.startswith("matters/")
    actions = list(
        AuditRecord.objects.filter(object_type="matters.Matter", object_id=str(matter.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "matter.collect",
        "matter.assess",
        "matter.assign",
        "matter.handle",
        "matter.track",
        "matter.feedback",
        "matter.feedback",
    ]


def test_declined_needs_a_reason_the_villager_sees(world, raised):
    with pytest.raises(ValidationError, match="理由"):
        services.matter_assess(actor=world.staff_east, matter=raised, decision="declined")
    services.matter_assess(
        actor=world.staff_east,
        matter=raised,
        decision="declined",
        reason="属于私人宅基地，请自行处理",
    )
    raised.refresh_from_db()
    assert raised.state == Matter.State.DECLINED
    assert raised.decline_reason == "属于私人宅基地，请自行处理"
    public = selectors.public_matters_of_grid(household=world.a_east)
    assert public[0]["decline_reason"] == "属于私人宅基地，请自行处理"
    with pytest.raises(ValidationError, match="不予受理.*不能交办"):
        services.matter_assign(
            actor=world.staff_east, matter=raised, community=world.east, due_on=due()
        )


def test_merged_into_another_matter_of_the_grid(world, leader, raised):
    second = services.matter_record(
        actor=leader, micro_grid=world.grid_east, household=world.b_east, text="坟浜岸坡塌了"
    )
    services.matter_assess(actor=leader, matter=second, decision="merged", merge_into=raised)
    second.refresh_from_db()
    assert second.state == Matter.State.MERGED and second.merged_into == raised
    assert second.steps.last().outcome == "merged"
    # Nothing follows a merge, and nothing merges into a merged matter.
    with pytest.raises(ValidationError, match="已合并"):
        services.matter_assess(actor=leader, matter=second, decision="accepted")
    third = services.matter_record(actor=leader, micro_grid=world.grid_east, text="同一处")
    with pytest.raises(ValidationError, match="仍在办理"):
        services.matter_assess(actor=leader, matter=third, decision="merged", merge_into=second)


def test_merge_target_must_be_in_the_actors_grids(world, leader, raised):
    west = services.matter_record(actor=world.villager_b, text="西一网格路灯坏了")
    with pytest.raises(ValidationError, match="找不到"):
        services.matter_assess(actor=leader, matter=raised, decision="merged", merge_into=west)
    with pytest.raises(ValidationError, match="它自己"):
        services.matter_assess(actor=leader, matter=raised, decision="merged", merge_into=raised)


@pytest.mark.parametrize(
    "step",
    ["assign", "progress", "track", "report_back", "verdict"],
)
def test_steps_out_of_order_are_refused_with_the_state_named(world, raised, step):
    calls = {
        "assign": lambda: services.matter_assign(
            actor=world.staff_east, matter=raised, community=world.east, due_on=due()
        ),
        "progress": lambda: services.matter_progress(
            actor=world.staff_east, matter=raised, note="x"
        ),
        "track": lambda: services.matter_track(actor=world.staff_east, matter=raised, note="x"),
        "report_back": lambda: services.matter_report_back(
            actor=world.staff_east, matter=raised, result="x"
        ),
        "verdict": lambda: services.matter_villager_verdict(
            actor=world.villager_a, matter=raised, solved=True
        ),
    }
    with pytest.raises(ValidationError) as refused:
        calls[step]()
    assert "待研判" in str(refused.value)
    assert refused.value.code == "invalid_transition"
    assert raised.steps.count() == 1


def test_report_back_needs_progress_first(world, raised):
    services.matter_assess(actor=world.staff_east, matter=raised, decision="accepted")
    services.matter_assign(actor=world.staff_east, matter=raised, office="镇城建办", due_on=due())
    with pytest.raises(ValidationError, match="请先记录办理情况"):
        services.matter_report_back(actor=world.staff_east, matter=raised, result="好了")


def test_assign_needs_one_assignee_and_a_due_date_not_past(world, raised):
    services.matter_assess(actor=world.staff_east, matter=raised, decision="accepted")
    with pytest.raises(ValidationError, match="只填一个"):
        services.matter_assign(
            actor=world.staff_east,
            matter=raised,
            community=world.east,
            office="城建办",
            due_on=due(),
        )
    with pytest.raises(ValidationError, match="只填一个"):
        services.matter_assign(actor=world.staff_east, matter=raised, due_on=due())
    with pytest.raises(ValidationError, match="早于今天"):
        services.matter_assign(
            actor=world.staff_east, matter=raised, community=world.east, due_on=due(-1)
        )


def test_the_villager_says_solved_once_and_only_for_their_own(world, raised):
    services.matter_assess(actor=world.staff_east, matter=raised, decision="accepted")
    services.matter_assign(
        actor=world.staff_east, matter=raised, community=world.west, due_on=due()
    )
    services.matter_progress(actor=world.staff_west, matter=raised, note="已派人")
    services.matter_report_back(actor=world.staff_west, matter=raised, result="已修好")
    with pytest.raises(PermissionDenied):
        services.matter_villager_verdict(actor=world.villager_b, matter=raised, solved=True)
    services.matter_villager_verdict(
        actor=world.villager_a, matter=raised, solved=False, note="还没修好"
    )
    with pytest.raises(ValidationError, match="评价过"):
        services.matter_villager_verdict(actor=world.villager_a, matter=raised, solved=True)
    raised.refresh_from_db()
    assert raised.solved is False


def test_the_assignee_community_handles_but_does_not_assess(world, raised):
    services.matter_assess(actor=world.staff_east, matter=raised, decision="accepted")
    services.matter_assign(
        actor=world.staff_east, matter=raised, community=world.west, due_on=due()
    )
    # The west staff handle it (it was assigned to them) but do not manage the east grid.
    services.matter_progress(actor=world.staff_west, matter=raised, note="收到")
    with pytest.raises(PermissionDenied):
        services.matter_track(actor=world.staff_west, matter=raised, note="x")


def test_who_may_record_for_which_grid(world, leader):
    with pytest.raises(PermissionDenied):
        services.matter_record(actor=leader, micro_grid=world.grid_west, text="不是我的网格")
    with pytest.raises(PermissionDenied):
        services.matter_record(actor=world.accountant_a, micro_grid=world.grid_east, text="x")
    with pytest.raises(ValidationError, match="不在这个微网格"):
        services.matter_record(
            actor=leader, micro_grid=world.grid_east, household=world.a_west, text="x"
        )
    # A villager's matter always goes to their own grid, whatever they ask.
    matter = services.matter_record(actor=world.villager_b, micro_grid=world.grid_east, text="路灯")
    assert matter.micro_grid == world.grid_west and matter.household == world.b_west


def test_scope_of_the_selectors(world, leader, raised):
    west = services.matter_record(actor=world.villager_b, text="西边的事")
    assert set(selectors.matters_visible_to(leader)) == {raised}
    assert set(selectors.matters_visible_to(world.staff_east)) == {raised}
    assert set(selectors.matters_visible_to(world.staff_west)) == {west}
    assert set(selectors.matters_visible_to(world.admin)) == {raised, west}
    assert set(selectors.matters_visible_to(world.villager_a)) == {raised}
    assert set(selectors.matters_visible_to(world.accountant_a)) == set()
    assert set(selectors.matters_visible_to(world.bank_officer)) == set()
    # The public list of the grid: the grid's matters, without a household or a name.
    other = services.matter_record(
        actor=leader, micro_grid=world.grid_east, household=world.b_east, text="垃圾桶满了"
    )
    public = selectors.public_matters_of_grid(household=world.a_east)
    assert [row["pk"] for row in public] == [other.pk, raised.pk]
    assert all("household" not in key and "by" not in key for row in public for key in row)


def test_overdue_matters_are_on_the_leaders_and_the_assignees_lists(world, leader, raised):
    services.matter_assess(actor=leader, matter=raised, decision="accepted")
    services.matter_assign(actor=leader, matter=raised, community=world.west, due_on=due(1))
    later = timezone.localdate() + timedelta(days=3)
    for user in (leader, world.staff_west, world.staff_east, world.admin):
        assert list(selectors.overdue_matters_for(user, today=later)) == [raised], user
        assert list(selectors.overdue_matters_for(user)) == [], user
    assert list(selectors.overdue_matters_for(world.villager_a, today=later)) == []
    assert MatterStep.objects.filter(matter=raised).count() == 3
