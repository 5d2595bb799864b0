"""Rectification (整改) after a deduction (issue 25, point 3): opened where deductions are
written, re-inspected once, on time earning back the item's share as a new event."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditRecord
from communities import selectors
from communities.importing import score_event_import
from communities.models import Rectification, RectificationInspection, ScoreEvent
from communities.services import (
    Entry,
    rectification_inspect,
    score_event_reverse,
    score_events_record,
)
from tests import factories
from tests.communities.test_import import xlsx
from tests.communities.test_paid_year import deduction_a, event_a, paid  # noqa: F401  (fixtures)
from villages.models import Household

DAY = date(2026, 3, 10)
ON_TIME, LATE, NOT = (
    RectificationInspection.Result.ON_TIME,
    RectificationInspection.Result.LATE,
    RectificationInspection.Result.NOT_RECTIFIED,
)


@pytest.fixture
def rectifiable(items):
    """乱堆乱放: rectify within 7 days; on time earns back half (set per test)."""
    item = items["litter"]
    item.rectify_days = 7
    item.rectify_refund_percent = 50
    item.save()
    return item


def deduct(world, item, *, household=None, points="5", actor=None, occurred_on=DAY):
    (event,) = score_events_record(
        actor=actor or world.staff_east,
        entries=[
            Entry(
                household_id=(household or world.a_east).pk,
                item_id=item.pk,
                occurred_on=occurred_on,
                points=Decimal(points),
                note="门前堆放杂物",
            )
        ],
    )
    return event


def test_a_deduction_under_a_rectifiable_item_opens_a_rectification_due_after_its_days(
    world, rectifiable, items
):
    event = deduct(world, rectifiable)

    rectification = Rectification.objects.get(deduction=event)
    assert rectification.household == world.a_east
    assert rectification.due_on == DAY + timedelta(days=7)
    assert AuditRecord.objects.filter(action="rectification.open").count() == 1
    # An add, or a deduction under an item that is not rectifiable, opens nothing.
    score_events_record(
        actor=world.staff_east,
        entries=[Entry(household_id=world.a_east.pk, item_id=items["clean"].pk, occurred_on=DAY)],
    )
    assert Rectification.objects.count() == 1


def test_a_reversal_opens_none_and_closes_the_open_one(world, rectifiable):
    event = deduct(world, rectifiable)
    score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    assert Rectification.objects.count() == 1
    assert not selectors.open_rectifications(households=[world.a_east]).exists()
    with pytest.raises(ValidationError, match="已冲正"):
        rectification_inspect(
            actor=world.staff_east, rectification=event.rectification, result=ON_TIME
        )


def test_the_spreadsheet_import_opens_one_too(world, rectifiable):
    book = xlsx([["A001", "COOPA", "HJ11", "5", "2026-03-10", "堆物"]])
    score_event_import(actor=world.staff_east, community=world.east, file=book)

    assert Rectification.objects.get().due_on == date(2026, 3, 17)


@pytest.mark.parametrize(
    "percent, result, earned",
    [
        (0, ON_TIME, None),
        (50, ON_TIME, Decimal("2.5")),
        (100, ON_TIME, Decimal("5.0")),
        (0, LATE, None),
        (50, LATE, None),
        (100, LATE, None),
        (0, NOT, None),
        (50, NOT, None),
        (100, NOT, None),
    ],
)
def test_what_each_result_earns_back_under_each_setting(
    world, rectifiable, percent, result, earned
):
    rectifiable.rectify_refund_percent = percent
    rectifiable.save()
    deduction = deduct(world, rectifiable)
    score_before = selectors.household_annual_score(household=world.a_east, year=2026)

    inspection = rectification_inspect(
        actor=world.staff_east,
        rectification=deduction.rectification,
        result=result,
        note="已清理",
        today=DAY + timedelta(days=5),
    )

    deduction.refresh_from_db()
    assert deduction.points == Decimal("-5.0")  # never edited
    score = selectors.household_annual_score(household=world.a_east, year=2026)
    if earned is None:
        assert inspection.earn_back is None
        assert score == score_before
    else:
        back = inspection.earn_back
        assert back.points == earned and back.item == rectifiable
        assert back.occurred_on == DAY + timedelta(days=5)
        assert "2026-03-10" in back.note and "乱堆乱放" in back.note
        assert score == score_before + earned
    assert not selectors.open_rectifications(households=[world.a_east]).exists()
    record = AuditRecord.objects.get(action="rectification.inspect")
    assert record.details["result"] == result


def test_a_share_is_rounded_to_one_decimal(world, rectifiable):
    rectifiable.rectify_refund_percent = 33
    rectifiable.save()
    deduction = deduct(world, rectifiable, points="5")
    inspection = rectification_inspect(
        actor=world.staff_east, rectification=deduction.rectification, result=ON_TIME, today=DAY
    )
    assert inspection.earn_back.points == Decimal("1.7")  # 1.65 half up


def test_re_inspecting_twice_is_refused(world, rectifiable):
    deduction = deduct(world, rectifiable)
    rectification_inspect(
        actor=world.staff_east, rectification=deduction.rectification, result=ON_TIME, today=DAY
    )
    with pytest.raises(ValidationError, match="已复查"):
        rectification_inspect(
            actor=world.staff_east, rectification=deduction.rectification, result=LATE, today=DAY
        )
    assert RectificationInspection.objects.count() == 1
    assert ScoreEvent.objects.filter(points__gt=0).count() == 1


@pytest.mark.parametrize("who", ["staff_west", "accountant_a", "villager_a", "bank_officer"])
def test_only_the_scoring_scope_re_inspects(world, rectifiable, who):
    deduction = deduct(world, rectifiable)
    with pytest.raises(PermissionDenied):
        rectification_inspect(
            actor=getattr(world, who),
            rectification=deduction.rectification,
            result=ON_TIME,
            today=DAY,
        )
    assert not RectificationInspection.objects.exists()


def test_the_grid_leader_and_the_admin_re_inspect(world, rectifiable):
    leader = factories.user(
        username="leader_east", role=world.staff_east.role, communities=[world.east]
    )
    world.grid_east.leader = leader
    world.grid_east.save()
    first = deduct(world, rectifiable)
    second = deduct(world, rectifiable, household=world.b_east)
    assert (
        rectification_inspect(
            actor=leader, rectification=first.rectification, result=ON_TIME, today=DAY
        ).earn_back.entered_by
        == leader
    )
    assert rectification_inspect(
        actor=world.admin, rectification=second.rectification, result=NOT, today=DAY
    )


def test_the_earn_back_respects_the_paid_year(world, rectifiable, items, paid):  # noqa: F811
    # `paid` approved cooperative A's 2026 dividend after a deduction opened a rectification.
    (deduction,) = ScoreEvent.objects.filter(rectification__isnull=False)
    with pytest.raises(ValidationError, match="分红已审批"):
        rectification_inspect(
            actor=world.staff_east,
            rectification=deduction.rectification,
            result=ON_TIME,
            today=DAY + timedelta(days=3),
        )
    assert not RectificationInspection.objects.exists()
    # Not rectified earns nothing, so it is recorded.
    rectification_inspect(
        actor=world.staff_east,
        rectification=deduction.rectification,
        result=NOT,
        today=DAY + timedelta(days=3),
    )


def test_statistics_give_rate_median_days_and_overdue_per_grid_and_community(world, rectifiable):
    today = date(2026, 4, 1)
    on_time = deduct(world, rectifiable)  # inspected after 4 days
    late = deduct(world, rectifiable, household=world.b_east)  # after 10 days
    never = deduct(world, rectifiable, household=world.a_west, actor=world.staff_west)
    deduct(world, rectifiable, household=world.b_west, actor=world.staff_west)  # overdue
    deduct(
        world,
        rectifiable,
        household=world.b_west,
        actor=world.staff_west,
        occurred_on=date(2026, 3, 30),
    )  # open, not yet due
    rectification_inspect(
        actor=world.staff_east,
        rectification=on_time.rectification,
        result=ON_TIME,
        today=DAY + timedelta(days=4),
    )
    rectification_inspect(
        actor=world.staff_east,
        rectification=late.rectification,
        result=LATE,
        today=DAY + timedelta(days=10),
    )
    rectification_inspect(
        actor=world.staff_west,
        rectification=never.rectification,
        result=NOT,
        today=DAY + timedelta(days=9),
    )

    figures = selectors.rectification_statistics(
        households=Household.objects.all(),
        year=2026,
        today=today,
    )
    total, east, west = (
        figures["total"],
        figures["communities"][world.east.pk],
        figures["communities"][world.west.pk],
    )
    assert (total.opened, total.open, total.overdue) == (5, 2, 1)
    assert (total.on_time, total.late, total.not_rectified) == (1, 1, 1)
    assert total.rate == Decimal("50.0")  # 2 rectified of 4 due
    assert total.median_days == Decimal("7.0")  # 4 and 10
    assert (east.rate, east.median_days, east.overdue) == (Decimal("100.0"), Decimal("7.0"), 0)
    assert (west.rate, west.median_days, west.overdue) == (Decimal("0.0"), None, 1)
    assert figures["grids"][world.grid_west.pk].open == 2


def test_the_api_and_the_phone_open_one_too(world, rectifiable, login):
    import uuid

    from communities.services import score_entries_sync

    response = login(world.staff_east).post(
        "/api/score-events/",
        {
            "entries": [
                {
                    "household": world.a_east.pk,
                    "item": rectifiable.pk,
                    "occurred_on": DAY.isoformat(),
                    "note": "堆物",
                }
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    entry = Entry(
        household_id=world.b_east.pk,
        item_id=rectifiable.pk,
        occurred_on=DAY,
        note="堆物",
        client_id=uuid.uuid4(),
    )
    (result,) = score_entries_sync(actor=world.staff_east, entries=[entry], today=DAY)
    assert result.status == "created"
    # Sending the same entry again finds the event and opens nothing more.
    score_entries_sync(actor=world.staff_east, entries=[entry], today=DAY)
    assert sorted(Rectification.objects.values_list("household__number", flat=True)) == [
        "A001",
        "B001",
    ]


def test_the_earn_back_is_refused_in_a_closed_month(world, rectifiable):
    from communities.services import month_close

    deduction = deduct(world, rectifiable)
    month_close(actor=world.staff_east, community=world.east, month=DAY, today=date(2026, 4, 2))
    with pytest.raises(ValidationError, match="已关账"):
        rectification_inspect(
            actor=world.staff_east,
            rectification=deduction.rectification,
            result=ON_TIME,
            today=DAY + timedelta(days=2),
        )
    assert not RectificationInspection.objects.exists()


def test_with_review_on_the_earn_back_waits_and_a_pending_deduction_is_not_inspected(
    world, rectifiable
):
    world.east.review_required = True
    world.east.save()
    deduction = deduct(world, rectifiable)
    with pytest.raises(ValidationError, match="未计入"):
        rectification_inspect(
            actor=world.staff_east, rectification=deduction.rectification, result=ON_TIME, today=DAY
        )
    from communities.services import score_event_review

    colleague = factories.user(
        username="colleague", role=world.staff_east.role, communities=[world.east]
    )
    score_event_review(actor=colleague, event=deduction, decision="confirmed")
    inspection = rectification_inspect(
        actor=world.staff_east, rectification=deduction.rectification, result=ON_TIME, today=DAY
    )
    assert inspection.earn_back.needs_review and not inspection.earn_back.counts


def test_the_monthly_chart_shows_the_recovery(world, rectifiable):
    rectifiable.rectify_refund_percent = 100
    rectifiable.save()
    deduction = deduct(world, rectifiable)
    rectification_inspect(
        actor=world.staff_east,
        rectification=deduction.rectification,
        result=ON_TIME,
        today=date(2026, 4, 5),
    )
    series = selectors.monthly_scores(
        households=Household.objects.filter(pk=world.a_east.pk), year=2026, through_month=4
    )
    assert series[world.a_east.pk][2:4] == [Decimal("75"), Decimal("80")]  # base 80, −5, +5
