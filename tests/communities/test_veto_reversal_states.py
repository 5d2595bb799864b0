"""A veto's reversal counts only once a second person confirms it. Until then, and for good
when they refuse it, the veto still counts, and every page says so: the villager's card, the
staff's ledger, the door app and the overview's counts. Before, they all said "已冲正"."""

from datetime import date

import pytest
from django.urls import reverse

from communities import services
from communities.models import ScoreEvent
from communities.selectors import STANDING
from tests import factories

from .conftest import YEAR

pytestmark = pytest.mark.django_db

DAY = date(YEAR, 3, 10)
OFFSET = "已被"  # the card's "已被 <day> 的冲正记录抵消"


@pytest.fixture
def veto(world, items):
    return factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=DAY,
        today=date(YEAR, 12, 31),
    )


@pytest.fixture
def reversal(world, veto):
    """The veto's reversal, with its photo, waiting for the second person."""
    return services.score_event_reverse(
        actor=world.staff_east, event=veto, reason="认定有误", evidence=factories.photo()
    )


def pages(world, login):
    card = reverse("card:household", args=[world.a_east.pk]) + f"?year={YEAR}"
    ledger = reverse("communities:household_points", args=[world.a_east.pk]) + f"?year={YEAR}"
    return (
        login(world.villager_a).get(card).content.decode(),
        login(world.staff_east).get(ledger).content.decode(),
    )


def standing_ids():
    return set(ScoreEvent.objects.filter(STANDING).values_list("pk", flat=True))


def test_a_waiting_reversal_cancels_nothing_yet(world, login, veto, reversal):
    veto.refresh_from_db()
    assert veto.offsetting_reversal is None
    assert veto.reader_state == "counted"
    assert reversal.reader_state == "reversal" and reversal.review_state == "pending"
    assert standing_ids() == {veto.pk}

    card, ledger = pages(world, login)
    assert "复核确认后才抵消，原记录仍计入" in card
    assert OFFSET not in card
    assert "冲正待复核" in ledger
    assert "已冲正" not in ledger


def test_a_refused_reversal_leaves_the_veto_counting(world, login, veto, reversal):
    services.score_event_review(
        actor=world.admin, event=reversal, decision="rejected", reason="照片不清楚"
    )
    veto.refresh_from_db()
    assert veto.offsetting_reversal is None
    assert veto.reader_state == "counted"
    assert standing_ids() == {veto.pk}

    card, ledger = pages(world, login)
    assert "没有抵消，原记录仍计入" in card and "照片不清楚" in card
    assert OFFSET not in card
    assert "冲正被驳回" in ledger
    assert "已冲正" not in ledger


def test_a_confirmed_reversal_cancels_the_veto(world, login, veto, reversal):
    services.score_event_review(actor=world.admin, event=reversal, decision="confirmed")
    veto.refresh_from_db()
    assert veto.offsetting_reversal == reversal
    assert veto.reader_state == "reversed"
    assert standing_ids() == set()

    card, ledger = pages(world, login)
    assert OFFSET in card
    assert "已冲正" in ledger
    assert "冲正待复核" not in ledger and "冲正被驳回" not in ledger


def test_an_ordinary_reversal_cancels_at_once(world, items):
    (event,) = services.score_events_record(
        actor=world.staff_east,
        entries=[
            services.Entry(household_id=world.a_east.pk, item_id=items["clean"].pk, occurred_on=DAY)
        ],
        today=date(YEAR, 12, 31),
    )
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")
    event.refresh_from_db()
    assert event.offsetting_reversal == reversal
    assert event.reader_state == "reversed"
    assert event.pk not in standing_ids() and reversal.pk not in standing_ids()
