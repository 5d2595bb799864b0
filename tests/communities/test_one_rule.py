"""One home per scoring rule (issue 21, point 3): the annual score, and counting /
pending / standing, each written once and the same per row and per query."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from communities import selectors, services
from communities.models import Community, ScoreEvent, ScoringStandard
from communities.services import Entry
from tests import factories

from .conftest import YEAR

TODAY = date(YEAR, 6, 15)
D = Decimal


def record(actor, household, item, day, points=None):
    return services.score_events_record(
        actor=actor,
        entries=[Entry(household_id=household.pk, item_id=item.pk, occurred_on=day, points=points)],
        today=TODAY,
    )[0]


@pytest.mark.parametrize(
    ("total", "score"),
    [(D("0"), D("80")), (D("-95"), D("0")), (D("55"), D("120")), (None, D("80"))],
)
def test_the_annual_score_is_base_plus_total_within_the_bounds(total, score):
    standard = ScoringStandard(base_points=D("80"), lower_bound=D("0"), upper_bound=D("120"))
    assert selectors.annual_score(standard=standard, total=total) == score


def test_no_standard_no_score():
    assert selectors.annual_score(standard=None, total=D("5")) is None
    assert (
        selectors.running_scores(standard=None, points_by_month={1: D("5")}, through_month=3) == []
    )


def test_the_running_scores_clip_month_by_month():
    standard = ScoringStandard(base_points=D("80"), lower_bound=D("0"), upper_bound=D("120"))
    series = selectors.running_scores(
        standard=standard, points_by_month={1: D("50"), 2: D("-10")}, through_month=3
    )
    assert series == [D("120"), D("120"), D("120")]


def test_counting_pending_and_standing_agree_per_row_and_per_query(world, items):
    colleague = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east])
    plain = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 1), "1")
    Community.objects.filter(pk=world.east.pk).update(review_required=True)
    pending = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 2), "1")
    confirmed = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 3), "1")
    rejected = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 4), "1")
    services.score_event_review(actor=colleague, event=confirmed, decision="confirmed")
    services.score_event_review(actor=colleague, event=rejected, decision="rejected", reason="不实")
    Community.objects.filter(pk=world.east.pk).update(review_required=False)
    reversal = services.score_event_reverse(actor=world.staff_east, event=plain, reason="录错")
    events = list(ScoreEvent.objects.filter(household=world.a_east))
    for event in events:
        event.refresh_from_db()

    def ids(q):
        return set(
            ScoreEvent.objects.filter(q, household=world.a_east).values_list("pk", flat=True)
        )

    assert ids(selectors.COUNTING) == {event.pk for event in events if event.counts}
    assert ids(selectors.COUNTING) == {plain.pk, confirmed.pk, reversal.pk}
    assert ids(selectors.PENDING) == {e.pk for e in events if e.review_state == "pending"}
    assert ids(selectors.PENDING) == {pending.pk}
    assert ids(selectors.NOT_REJECTED) == {plain.pk, pending.pk, confirmed.pk, reversal.pk}
    # Standing: an original not cancelled by a reversal that counts.
    standing = {e.pk for e in events if not e.is_reversal and e.offsetting_reversal is None}
    assert ids(selectors.STANDING) == standing == {pending.pk, confirmed.pk, rejected.pk}


def test_a_veto_needs_a_photo_everywhere(world, items):
    # The card's rule text forgot vetoes; the batch page, the door and the service did not.
    from overview.card_views import _item_rule

    crime, photo, clean = items["crime"], items["photo"], items["clean"]
    assert crime.needs_photo and photo.needs_photo and not clean.needs_photo
    assert selectors.evidence_required_item_ids(item_ids=[crime.pk, photo.pk, clean.pk]) == {
        crime.pk,
        photo.pk,
    }
    assert "须拍照留证" in _item_rule(crime)
    assert "须拍照留证" not in _item_rule(clean)


def test_nothing_but_annual_score_clips_a_score():
    """The clip of base + points to the standard's bounds is written once: `annual_score`
    (the veto confirmation page's "score now / after" used to clip for itself)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    clips = [
        str(path.relative_to(root))
        for app in (
            "accounts",
            "appeals",
            "awards",
            "banking",
            "communities",
            "dividends",
            "matters",
            "villages",
            "pinghu_points",
        )
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        for line in path.read_text().splitlines()
        if ".clip(" in line
    ]
    assert clips == ["communities/selectors.py"]  # the one line in annual_score


def test_the_confirmation_page_scores_through_annual_score(world, items):
    Community.objects.filter(pk=world.east.pk).update(review_required=True)
    event = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 2), "1")
    effect = selectors.review_effect(event=event)
    assert effect["score_now"] == selectors.household_annual_score(
        household=world.a_east, year=YEAR
    )
    standard = selectors.standard_for(cooperative=world.a_east.cooperative, year=YEAR)
    assert effect["score_after"] == selectors.annual_score(
        standard=standard, total=effect["score_now"] - standard.base_points + event.points
    )
