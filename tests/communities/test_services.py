"""communities/services.py: every rule that can refuse an entry, all-or-nothing batches,
the append-only ledger, reversal, review and month close — each write audited once."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import AuditRecord, User
from communities import selectors, services
from communities.models import (
    EventReview,
    MonthStatusChange,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StandardAdoption,
)
from communities.services import BatchError, Entry
from tests import factories

from .conftest import YEAR

TODAY = date(YEAR, 12, 31)
MARCH = date(YEAR, 3, 10)


def entry(household, item, day=MARCH, points=None, **extra):
    return Entry(
        household_id=household.pk, item_id=item.pk, occurred_on=day, points=points, **extra
    )


def record(actor, *entries, today=TODAY):
    return services.score_events_record(actor=actor, entries=list(entries), today=today)


def refused(actor, *entries, today=TODAY):
    """The (index, field) of every error of a refused batch."""
    with pytest.raises(BatchError) as caught:
        record(actor, *entries, today=today)
    return [(error.index, error.field) for error in caught.value.errors]


def audits(action):
    return AuditRecord.objects.filter(action=action)


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def today_is(monkeypatch):
    """Fix the date the services read for themselves (reversal dates, month close)."""

    def _set(day):
        monkeypatch.setattr(services.timezone, "localdate", lambda *args, **kwargs: day)

    return _set


@pytest.fixture
def second_staff(world):
    return factories.user(
        username="staff_east_2", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )


@pytest.fixture
def reviewed_east(world):
    world.east.review_required = True
    world.east.save()
    return world.east


# --- recording ---------------------------------------------------------------------------


def test_batch_is_recorded_with_the_items_sign_and_one_audit_record(world, items):
    events = record(
        world.staff_east,
        entry(world.a_east, items["clean"], points="4"),
        entry(world.b_east, items["litter"], points="3", note="楼道堆物"),
    )

    assert [event.points for event in events] == [Decimal("4"), Decimal("-3")]
    assert all(event.community == world.east for event in events)
    assert all(event.entered_by == world.staff_east for event in events)
    assert len({event.batch for event in events}) == 1
    assert ScoreEvent.objects.count() == 2
    audit = audits("score_event.create").get()
    assert audit.actor == world.staff_east
    assert audit.details["count"] == 2
    assert audit.details["points"] == "1"
    assert sorted(audit.details["events"]) == sorted(event.pk for event in events)


def test_empty_points_take_the_items_default(world, items):
    (event,) = record(world.staff_east, entry(world.a_east, items["litter"]))

    assert event.points == Decimal("-5")


def test_negative_magnitude_is_read_as_a_magnitude(world, items):
    (event,) = record(world.staff_east, entry(world.a_east, items["litter"], points="-2"))

    assert event.points == Decimal("-2")


def test_empty_batch_is_refused(world, items):
    with pytest.raises(BatchError):
        record(world.staff_east)


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_a", "villager_a"])
def test_households_outside_the_users_communities_are_refused(world, items, user_name):
    assert refused(getattr(world, user_name), entry(world.a_east, items["clean"])) == [
        (0, "household")
    ]
    assert not ScoreEvent.objects.exists()
    assert not audits("score_event.create").exists()


def test_admin_may_score_any_household(world, items):
    events = record(
        world.admin, entry(world.a_east, items["clean"]), entry(world.b_west, items["clean"])
    )

    assert len(events) == 2


# --- the standard --------------------------------------------------------------------------


@pytest.fixture
def coop_c(world):
    """A third cooperative with its own standard and a household living in the east."""
    coop = factories.cooperative(code="COOPC", name="丙村股份经济合作社")
    household = factories.household(cooperative_=coop, community_=world.east, number="C001")
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name="丙村主题标准",
        year=YEAR,
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=standard, cooperative=coop, meeting_date=date(YEAR, 1, 20), votes_for=30
    )
    item = ScoringItem.objects.create(
        standard=standard,
        code="ZT01",
        name="主题活动",
        category=ScoringItem.Category.CIVILITY,
        direction=ScoringItem.Direction.ADD,
        default_points=Decimal("3"),
        min_points=Decimal("1"),
        max_points=Decimal("5"),
    )
    return household, standard, item


def test_item_of_another_cooperatives_standard_is_refused(world, items, coop_c):
    household_c, _standard, item_c = coop_c

    assert refused(world.staff_east, entry(world.a_east, item_c)) == [(0, "item")]
    assert refused(world.staff_east, entry(household_c, items["clean"])) == [(0, "item")]
    assert len(record(world.staff_east, entry(household_c, item_c))) == 1


def test_draft_standard_does_not_count_as_adopted(world, items, coop_c):
    household_c, standard_c, item_c = coop_c
    ScoringStandard.objects.filter(pk=standard_c.pk).update(status=ScoringStandard.Status.DRAFT)

    assert refused(world.staff_east, entry(household_c, item_c)) == [(0, "item")]


def test_year_without_a_standard_is_refused(world, items):
    last_year = date(YEAR - 1, 6, 1)

    assert refused(world.staff_east, entry(world.a_east, items["clean"], day=last_year)) == [
        (0, "item")
    ]


def test_unknown_item_is_refused(world, items):
    missing = Entry(household_id=world.a_east.pk, item_id=999999, occurred_on=MARCH)

    assert refused(world.staff_east, missing) == [(0, "item")]


# --- points, caps, dates, evidence ----------------------------------------------------------


@pytest.mark.parametrize("points", ["11", "0.5", "0", "abc", "1.25", "NaN"])
def test_points_outside_the_items_range_or_malformed_are_refused(world, items, points):
    assert refused(world.staff_east, entry(world.a_east, items["clean"], points=points)) == [
        (0, "points")
    ]


def test_cap_per_month_counts_what_is_already_recorded(world, items):
    record(world.staff_east, entry(world.a_east, items["clean"], points="6"))

    assert refused(world.staff_east, entry(world.a_east, items["clean"], points="5")) == [
        (0, "points")
    ]
    assert len(record(world.staff_east, entry(world.a_east, items["clean"], points="4"))) == 1
    # Another month, another household: their own room.
    assert record(
        world.staff_east, entry(world.a_east, items["clean"], day=date(YEAR, 4, 1), points="10")
    )
    assert record(world.staff_east, entry(world.b_east, items["clean"], points="10"))


def test_cap_per_month_accumulates_within_one_batch(world, items):
    errors = refused(
        world.staff_east,
        entry(world.a_east, items["clean"], points="6"),
        entry(world.a_east, items["clean"], day=date(YEAR, 3, 20), points="5"),
    )

    assert errors == [(1, "points")]
    assert not ScoreEvent.objects.exists()


def test_cap_per_year_accumulates_across_months_and_within_a_batch(world, items):
    # 10 a month (the month cap) for five months = 50 of the 60 a year.
    record(
        world.staff_east,
        *[
            entry(world.a_east, items["clean"], day=date(YEAR, month, 5), points="10")
            for month in range(1, 6)
        ],
    )

    errors = refused(
        world.staff_east,
        entry(world.a_east, items["clean"], day=date(YEAR, 6, 5), points="8"),
        entry(world.a_east, items["clean"], day=date(YEAR, 7, 5), points="3"),
    )

    assert errors == [(1, "points")]
    assert ScoreEvent.objects.count() == 5
    assert record(
        world.staff_east, entry(world.a_east, items["clean"], day=date(YEAR, 7, 5), points="10")
    )


def test_a_reversed_event_frees_its_room_under_the_cap(world, items):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="10"))
    services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    assert record(world.staff_east, entry(world.a_east, items["clean"], points="10"))


def test_a_reversal_dated_in_another_month_does_not_use_that_months_room(world, items, today_is):
    """Bug fixed: usage was |Σ points|, so a −10 reversal dated in November took 10 of
    November's room instead of freeing it."""
    today_is(date(YEAR, 11, 20))
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="10"))
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="重复录入")
    assert reversal.occurred_on == date(YEAR, 11, 20)

    assert record(
        world.staff_east, entry(world.a_east, items["clean"], day=date(YEAR, 11, 5), points="10")
    )


def test_future_date_is_refused(world, items):
    today = date(YEAR, 3, 15)

    assert refused(
        world.staff_east, entry(world.a_east, items["clean"], day=date(YEAR, 3, 16)), today=today
    ) == [(0, "occurred_on")]
    assert record(world.staff_east, entry(world.a_east, items["clean"], day=today), today=today)


def test_missing_date_is_refused(world, items):
    assert refused(world.staff_east, entry(world.a_east, items["clean"], day=None)) == [
        (0, "occurred_on")
    ]


def test_evidence_is_required_where_the_item_says_so(world, items, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    assert refused(world.staff_east, entry(world.a_east, items["photo"])) == [(0, "evidence")]

    (event,) = record(world.staff_east, entry(world.a_east, items["photo"], evidence=png()))
    assert event.evidence.name.startswith("evidence/")
    assert (tmp_path / event.evidence.name).exists()


def test_note_longer_than_the_column_is_refused(world, items):
    assert refused(world.staff_east, entry(world.a_east, items["clean"], note="字" * 256)) == [
        (0, "note")
    ]


def test_closed_month_refuses_new_events_for_that_community_only(world, items):
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)

    assert refused(world.staff_east, entry(world.a_east, items["clean"])) == [(0, "occurred_on")]
    assert record(world.staff_east, entry(world.a_east, items["clean"], day=date(YEAR, 4, 2)))
    assert record(world.staff_west, entry(world.a_west, items["clean"]))


def test_one_bad_entry_in_a_batch_of_five_saves_nothing(world, items):
    entries = [
        entry(world.a_east, items["clean"], points="2"),
        entry(world.b_east, items["clean"], points="2"),
        entry(world.a_east, items["volunteer"], points="2"),
        entry(world.b_east, items["litter"], points="99"),
        entry(world.a_east, items["litter"], points="1"),
    ]

    assert refused(world.staff_east, *entries) == [(3, "points")]
    assert not ScoreEvent.objects.exists()
    assert not audits("score_event.create").exists()


def test_every_bad_entry_of_a_batch_is_reported(world, items):
    errors = refused(
        world.staff_east,
        entry(world.a_west, items["clean"]),
        entry(world.a_east, items["clean"], points="50"),
        entry(world.a_east, items["photo"]),
        entry(world.b_east, items["clean"], day=date(YEAR + 1, 1, 1)),
    )

    assert errors == [(0, "household"), (1, "points"), (2, "evidence"), (3, "occurred_on")]


# --- the ledger is append-only --------------------------------------------------------------


@pytest.fixture
def event(world, items):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="5"))
    return event


def test_score_event_cannot_be_changed_or_deleted(event):
    event.points = Decimal("10")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ScoreEvent.objects.filter(pk=event.pk).update(points=Decimal("10"))
    with pytest.raises(PermissionError):
        ScoreEvent.objects.all().delete()

    assert ScoreEvent.objects.get(pk=event.pk).points == Decimal("5")


def test_review_and_month_change_cannot_be_changed_or_deleted(
    world, items, reviewed_east, second_staff
):
    (pending,) = record(world.staff_east, entry(world.a_east, items["clean"]))
    review = services.score_event_review(
        actor=second_staff, event=pending, decision=EventReview.Decision.CONFIRMED
    )
    change = services.month_close(
        actor=world.staff_east, community=world.east, month=MARCH, today=TODAY
    )

    for row in (review, change):
        with pytest.raises(PermissionError):
            row.save()
        with pytest.raises(PermissionError):
            row.delete()
        with pytest.raises(PermissionError):
            type(row).objects.filter(pk=row.pk).update(reason="x")
        with pytest.raises(PermissionError):
            type(row).objects.filter(pk=row.pk).delete()


# --- reversal ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reversal_needs_a_reason(world, event, reason):
    with pytest.raises(ValidationError):
        services.score_event_reverse(actor=world.staff_east, event=event, reason=reason)

    assert ScoreEvent.objects.count() == 1


def test_reversal_is_a_new_event_pointing_at_the_original(world, event):
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason=" 录错户 ")

    assert reversal.points == Decimal("-5")
    assert reversal.reverses == event
    assert reversal.note == "录错户"
    assert reversal.occurred_on == event.occurred_on
    assert reversal.item == event.item
    event.refresh_from_db()
    assert event.points == Decimal("5")  # the original stays as it was
    audit = audits("score_event.reverse").get()
    assert audit.object_id == str(reversal.pk)
    assert audit.details == {"reverses": event.pk, "points": "-5.0", "reason": "录错户"}


def test_totals_and_history_show_both_original_and_reversal(world, event, standard):
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    history = list(selectors.household_events(household=world.a_east, year=YEAR))
    assert history == [reversal, event]
    assert (
        selectors.household_annual_score(household=world.a_east, year=YEAR) == standard.base_points
    )


def test_double_reversal_and_reversal_of_a_reversal_are_refused(world, event):
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    with pytest.raises(ValidationError):
        services.score_event_reverse(actor=world.staff_east, event=event, reason="再冲一次")
    with pytest.raises(ValidationError):
        services.score_event_reverse(actor=world.staff_east, event=reversal, reason="冲正的冲正")
    assert ScoreEvent.objects.count() == 2
    assert audits("score_event.reverse").count() == 1


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_a", "villager_a"])
def test_reversal_outside_the_users_scope_is_refused(world, event, user_name):
    with pytest.raises(PermissionDenied):
        services.score_event_reverse(actor=getattr(world, user_name), event=event, reason="x")

    assert ScoreEvent.objects.count() == 1


def test_reversal_of_a_pending_or_rejected_event_is_refused(
    world, items, reviewed_east, second_staff
):
    pending, rejected = record(
        world.staff_east,
        entry(world.a_east, items["clean"], points="2"),
        entry(world.b_east, items["clean"], points="2"),
    )
    services.score_event_review(
        actor=second_staff, event=rejected, decision=EventReview.Decision.REJECTED, reason="无此事"
    )

    for event in (pending, rejected):
        with pytest.raises(ValidationError):
            services.score_event_reverse(actor=world.staff_east, event=event, reason="录错")
    assert ScoreEvent.objects.count() == 2


def test_reversal_of_a_confirmed_event_counts_at_once(
    world, items, reviewed_east, second_staff, standard
):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="5"))
    services.score_event_review(
        actor=second_staff, event=event, decision=EventReview.Decision.CONFIRMED
    )
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    assert reversal.needs_review is False
    assert (
        selectors.household_annual_score(household=world.a_east, year=YEAR) == standard.base_points
    )


def test_reversal_in_a_closed_month_is_dated_today_and_leaves_the_month_as_closed(
    world, event, today_is
):
    today_is(date(YEAR, 11, 20))
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)

    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    assert reversal.occurred_on == date(YEAR, 11, 20)
    months = selectors.monthly_points(household_ids=[world.a_east.pk], year=YEAR)[world.a_east.pk]
    assert months == {3: Decimal("5"), 11: Decimal("-5")}


def test_reversal_of_a_closed_month_of_last_year_is_refused(world, event, today_is):
    """Bug fixed: it was dated in the new year, leaving the paid year's score wrong."""
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)
    today_is(date(YEAR + 1, 1, 5))

    with pytest.raises(ValidationError):
        services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")
    assert ScoreEvent.objects.count() == 1


def test_reversal_when_today_is_closed_too_is_refused(world, event, today_is):
    today_is(date(YEAR, 11, 20))
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 11, 1), today=TODAY
    )

    with pytest.raises(ValidationError):
        services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")


# --- review --------------------------------------------------------------------------------


def test_review_setting_is_snapshotted_on_each_event(world, items, reviewed_east):
    (before_off,) = record(world.staff_east, entry(world.a_east, items["volunteer"]))
    world.east.review_required = False
    world.east.save()
    (after_off,) = record(world.staff_east, entry(world.a_east, items["volunteer"]))

    before_off.refresh_from_db()
    assert before_off.needs_review is True
    assert after_off.needs_review is False
    (west,) = record(world.staff_west, entry(world.a_west, items["volunteer"]))
    assert west.needs_review is False


def test_pending_event_does_not_count_until_confirmed(
    world, items, reviewed_east, second_staff, standard
):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="5"))
    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == Decimal("80")
    assert list(selectors.review_queue(user=second_staff)) == [event]

    review = services.score_event_review(
        actor=second_staff, event=event, decision=EventReview.Decision.CONFIRMED
    )

    assert review.reviewer == second_staff
    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == Decimal("85")
    assert not selectors.review_queue(user=second_staff).exists()
    audit = audits("score_event.confirmed").get()
    assert audit.actor == second_staff
    assert audit.object_id == str(event.pk)


def test_staff_cannot_review_their_own_event(world, items, reviewed_east):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"]))

    assert not selectors.review_queue(user=world.staff_east).exists()
    with pytest.raises(ValidationError):
        services.score_event_review(
            actor=world.staff_east, event=event, decision=EventReview.Decision.CONFIRMED
        )
    assert not EventReview.objects.exists()


def test_rejection_needs_a_reason_and_never_counts(world, items, reviewed_east, second_staff):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="5"))

    with pytest.raises(ValidationError):
        services.score_event_review(
            actor=second_staff, event=event, decision=EventReview.Decision.REJECTED, reason=" "
        )
    assert not EventReview.objects.exists()

    services.score_event_review(
        actor=second_staff, event=event, decision=EventReview.Decision.REJECTED, reason="未见整改"
    )

    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == Decimal("80")
    assert audits("score_event.rejected").get().details == {"reason": "未见整改"}
    event.refresh_from_db()
    assert event.points == Decimal("5")  # the event itself is unchanged


def test_an_event_is_reviewed_once(world, items, reviewed_east, second_staff):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"]))
    services.score_event_review(actor=second_staff, event=event, decision="confirmed")

    with pytest.raises(ValidationError):
        services.score_event_review(actor=world.admin, event=event, decision="rejected", reason="x")
    assert EventReview.objects.count() == 1


def test_unknown_decision_is_refused(world, items, reviewed_east, second_staff):
    """Bug fixed: any string was stored as the decision."""
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"]))

    with pytest.raises(ValidationError):
        services.score_event_review(actor=second_staff, event=event, decision="approved")
    assert not EventReview.objects.exists()


def test_review_outside_scope_or_of_an_event_without_review_is_refused(
    world, items, reviewed_east, second_staff
):
    (pending,) = record(world.staff_east, entry(world.a_east, items["clean"]))
    (plain,) = record(world.staff_west, entry(world.a_west, items["clean"]))

    with pytest.raises(PermissionDenied):
        services.score_event_review(actor=world.staff_west, event=pending, decision="confirmed")
    with pytest.raises(PermissionDenied):
        services.score_event_review(actor=world.villager_a, event=pending, decision="confirmed")
    with pytest.raises(ValidationError):
        services.score_event_review(actor=world.admin, event=plain, decision="confirmed")
    assert not EventReview.objects.exists()


def test_pending_events_take_room_under_the_cap_and_rejected_ones_free_it(
    world, items, reviewed_east, second_staff
):
    (event,) = record(world.staff_east, entry(world.a_east, items["clean"], points="10"))
    assert refused(world.staff_east, entry(world.a_east, items["clean"], points="1")) == [
        (0, "points")
    ]

    services.score_event_review(actor=second_staff, event=event, decision="rejected", reason="重复")

    assert record(world.staff_east, entry(world.a_east, items["clean"], points="10"))


# --- month close and reopen ------------------------------------------------------------------


def test_staff_closes_a_month_once_and_it_is_audited(world):
    change = services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 3, 17), today=TODAY
    )

    assert change.month == date(YEAR, 3, 1)
    assert change.action == MonthStatusChange.Action.CLOSE
    assert selectors.month_is_closed(community=world.east, month=date(YEAR, 3, 1))
    assert audits("month.close").get().details == {"month": f"{YEAR}-03"}
    with pytest.raises(ValidationError):
        services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)
    assert MonthStatusChange.objects.count() == 1


def test_future_month_cannot_be_closed(world):
    with pytest.raises(ValidationError):
        services.month_close(
            actor=world.staff_east, community=world.east, month=date(YEAR, 4, 1), today=MARCH
        )


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_a", "villager_a"])
def test_only_staff_of_the_community_close_its_months(world, user_name):
    with pytest.raises(PermissionDenied):
        services.month_close(
            actor=getattr(world, user_name), community=world.east, month=MARCH, today=TODAY
        )
    assert not MonthStatusChange.objects.exists()


def test_reopening_needs_a_subdistrict_admin_and_a_reason(world, items):
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)

    with pytest.raises(PermissionDenied):
        services.month_reopen(
            actor=world.staff_east, community=world.east, month=MARCH, reason="补录"
        )
    with pytest.raises(ValidationError):
        services.month_reopen(actor=world.admin, community=world.east, month=MARCH, reason="  ")
    assert selectors.month_is_closed(community=world.east, month=date(YEAR, 3, 1))
    assert not audits("month.reopen").exists()

    change = services.month_reopen(
        actor=world.admin, community=world.east, month=MARCH, reason="漏录检查表"
    )

    assert change.reason == "漏录检查表"
    assert not selectors.month_is_closed(community=world.east, month=date(YEAR, 3, 1))
    assert audits("month.reopen").get().details == {"month": f"{YEAR}-03", "reason": "漏录检查表"}
    assert record(world.staff_east, entry(world.a_east, items["clean"]))
    # Closed again after the correction: the latest change is the month's state.
    services.month_close(actor=world.staff_east, community=world.east, month=MARCH, today=TODAY)
    assert refused(world.staff_east, entry(world.a_east, items["clean"])) == [(0, "occurred_on")]
    assert audits("month.close").count() == 2


def test_an_open_month_cannot_be_reopened(world):
    with pytest.raises(ValidationError):
        services.month_reopen(actor=world.admin, community=world.east, month=MARCH, reason="x")


def test_month_with_events_awaiting_review_cannot_be_closed(world, items):
    from datetime import date

    import pytest
    from django.core.exceptions import ValidationError

    from communities.models import MonthStatusChange, ScoreEvent
    from communities.services import month_close

    world.east.review_required = True
    world.east.save()
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["clean"],
        points=5,
        occurred_on=date(2026, 10, 3),
        community=world.east,
        entered_by=world.staff_east,
        needs_review=True,
    )
    with pytest.raises(ValidationError, match="等待复核"):
        month_close(
            actor=world.staff_east,
            community=world.east,
            month=date(2026, 10, 1),
            today=date(2026, 11, 25),
        )
    assert not MonthStatusChange.objects.exists()
