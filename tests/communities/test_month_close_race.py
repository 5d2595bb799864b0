"""Month close against batch entry: both take the community's lock, so a month is either
closed with nothing pending in it, or the batch is refused with the closed-month message."""

import random
import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from communities import services
from communities.models import EventReview, MonthStatusChange, ScoreEvent
from communities.services import BatchError, Entry

from .conftest import YEAR

TODAY = date(YEAR, 12, 31)
MONTH = date(YEAR, 3, 1)
ROUNDS = 40
ENTRIES = 100


def _pending_in_month(community):
    return ScoreEvent.objects.filter(
        community=community,
        needs_review=True,
        review__isnull=True,
        occurred_on__year=MONTH.year,
        occurred_on__month=MONTH.month,
    ).count()


def _race(world, entries):
    """Start a batch and a close together, each on its own connection; return both outcomes."""
    barrier = threading.Barrier(2)
    outcome = {}

    def run(name, work):
        try:
            barrier.wait()
            # A few milliseconds either way, so each side sometimes starts first.
            threading.Event().wait(random.uniform(0, 0.02))
            work()
            outcome[name] = "ok"
        except (BatchError, ValidationError) as error:
            outcome[name] = error
        finally:
            connections.close_all()

    batch = threading.Thread(
        target=run,
        args=(
            "batch",
            lambda: services.score_events_record(
                actor=world.staff_east, entries=entries, today=TODAY
            ),
        ),
    )
    close = threading.Thread(
        target=run,
        args=(
            "close",
            lambda: services.month_close(
                actor=world.staff_east, community=world.east, month=MONTH, today=TODAY
            ),
        ),
    )
    batch.start()
    close.start()
    batch.join(60)
    close.join(60)
    return outcome


@pytest.mark.django_db(transaction=True)
def test_batch_entry_racing_a_month_close_never_leaves_pending_events_in_a_closed_month(
    world, items
):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite locks the whole database for every writer (and its shared-cache test "
            "database refuses concurrent threads); the row lock is PostgreSQL's"
        )
    world.east.review_required = True
    world.east.save()
    households = [world.a_east, world.b_east]
    entries = [
        Entry(
            household_id=households[index % 2].pk,
            item_id=items["volunteer"].pk,  # no caps: 100 entries are all valid
            occurred_on=MONTH.replace(day=1 + index % 28),
        )
        for index in range(ENTRIES)
    ]
    both_ok = []
    for round_number in range(ROUNDS):
        events_before = ScoreEvent.objects.count()
        outcome = _race(world, entries)
        closed = services.selectors.month_is_closed(community=world.east, month=MONTH)
        created = ScoreEvent.objects.count() - events_before
        assert set(outcome) == {"batch", "close"}, outcome
        if outcome["batch"] == "ok" and outcome["close"] == "ok":
            both_ok.append(round_number)
        if closed:
            # Never a closed month with events waiting for review, nor events added to it.
            assert _pending_in_month(world.east) == 0, round_number
            assert created == 0, round_number
            assert isinstance(outcome["batch"], BatchError)
            assert "已关账" in outcome["batch"].errors[0].message
        else:
            assert created == ENTRIES
            assert "等待复核" in str(outcome["close"])
        # Back to an open month with nothing pending for the next round.
        EventReview.objects.bulk_create(
            EventReview(event=event, decision=EventReview.Decision.CONFIRMED, reviewer=world.admin)
            for event in ScoreEvent.objects.filter(needs_review=True, review__isnull=True)
        )
        if closed:
            MonthStatusChange.objects.create(
                community=world.east,
                month=MONTH,
                action=MonthStatusChange.Action.REOPEN,
                actor=world.admin,
                reason="测试",
            )
    assert both_ok == []
