"""A year whose dividend is approved is closed for score events (issue 20, point 7).

The guard lives where events are written (`communities.services.validate_entries` and
`score_event_reverse`, `score_event_review`), so every path inherits it: the door sync, the
batch page, the spreadsheet import, the API, reversals (also through an upheld appeal) and
confirmations. The admin site cannot write events at all. The other cooperative's
households, whose year is not paid, are still scored.
"""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from appeals import services as appeal_services
from communities.importing import ScoreEventImportError, score_event_import
from communities.models import ScoreEvent
from communities.services import (
    BatchError,
    Entry,
    score_event_reverse,
    score_event_review,
    score_events_record,
)
from dividends import run_jobs
from dividends import services as dividend_services
from dividends.models import DividendRun
from tests.communities.test_import import xlsx

DAY = date(2026, 3, 10)
PAID = "甲村股份经济合作社 2026 年的分红已审批"


@pytest.fixture
def event_a(world, items):
    """A counting event of a_east (cooperative A) entered before the dividend."""
    (event,) = score_events_record(
        actor=world.staff_east,
        entries=[Entry(household_id=world.a_east.pk, item_id=items["clean"].pk, occurred_on=DAY)],
    )
    return event


@pytest.fixture
def deduction_a(world, items):
    """A counting deduction of a_east, entered before the dividend (the villager appeals it)."""
    (event,) = score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["litter"].pk,
                occurred_on=DAY,
                note="堆物",
            )
        ],
    )
    return event


@pytest.fixture
def paid(world, items, event_a, deduction_a, django_capture_on_commit_callbacks):
    """Cooperative A's 2026 dividend computed and approved."""
    run = dividend_services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return dividend_services.dividend_run_approve(actor=world.supervisor_a, run=run)


def entry(world, items, household=None, occurred_on=DAY):
    return Entry(
        household_id=(household or world.a_east).pk,
        item_id=items["clean"].pk,
        occurred_on=occurred_on,
    )


def test_the_service_refuses_a_new_event_in_the_paid_year(world, items, paid):
    before = ScoreEvent.objects.count()
    with pytest.raises(BatchError) as refused:
        score_events_record(actor=world.staff_east, entries=[entry(world, items)])

    assert PAID in refused.value.errors[0].message
    assert ScoreEvent.objects.count() == before


def test_another_cooperatives_year_stays_open(world, items, paid):
    (event,) = score_events_record(
        actor=world.staff_east, entries=[entry(world, items, household=world.b_east)]
    )
    assert event.household == world.b_east


def test_the_next_year_is_not_closed_by_the_paid_one(world, items, paid):
    # 2027 has no standard: the refusal names that, never the paid 2026.
    with pytest.raises(BatchError) as refused:
        score_events_record(
            actor=world.staff_east,
            entries=[entry(world, items, occurred_on=date(2027, 1, 5))],
            today=date(2027, 1, 6),
        )
    assert "已审批" not in refused.value.errors[0].message


def test_the_batch_page_refuses_with_the_reason(world, items, paid, login):
    client = login(world.staff_east)
    before = ScoreEvent.objects.count()

    response = client.post(
        reverse("communities:batch_entry"),
        {
            "month": "2026-03",
            "grid": world.grid_east.pk,
            f"p-{world.a_east.pk}-{items['clean'].pk}": "5",
        },
    )

    assert PAID in response.content.decode()
    assert ScoreEvent.objects.count() == before


def test_the_door_sync_refuses_with_the_reason(world, items, paid, login):
    payload = [
        {
            "clientId": "7b0f4c3e-8d1a-4c1e-9f00-000000000001",
            "household": world.a_east.pk,
            "item": items["clean"].pk,
            "points": "3",
            "occurredOn": "2026-03-11",
        }
    ]
    response = login(world.staff_east).post(
        reverse("communities:door_sync"), {"entries": json.dumps(payload)}
    )

    result = response.json()["results"][0]
    assert result["status"] == "refused"
    assert PAID in result["errors"][0]["message"]


def test_the_import_refuses_with_the_reason(world, items, paid):
    before = ScoreEvent.objects.count()
    with pytest.raises(ScoreEventImportError) as refused:
        score_event_import(
            community=world.east,
            file=xlsx([["A001", "COOPA", "HJ01", None, "2026-03-05", ""]]),
            actor=world.staff_east,
        )

    assert PAID in " ".join(str(error) for error in refused.value.errors)
    assert ScoreEvent.objects.count() == before


def test_the_api_refuses_with_the_reason(world, items, paid, login):
    response = login(world.staff_east).post(
        "/api/v1/score-events/",
        {
            "entries": [
                {
                    "household": world.a_east.pk,
                    "item": items["clean"].pk,
                    "occurred_on": DAY.isoformat(),
                }
            ]
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert PAID in json.dumps(response.json(), ensure_ascii=False)


def test_a_reversal_of_a_paid_years_event_is_refused(world, event_a, paid, login):
    with pytest.raises(ValidationError) as refused:
        score_event_reverse(actor=world.staff_east, event=event_a, reason="录错户")
    assert PAID in refused.value.messages[0]

    page = login(world.staff_east).post(
        reverse("communities:event_reverse", args=[event_a.pk]), {"reason": "录错户"}, follow=True
    )
    assert PAID in page.content.decode()
    assert not ScoreEvent.objects.filter(reverses=event_a).exists()


def test_an_upheld_appeal_cannot_reverse_a_paid_years_event(world, items, deduction_a, paid):
    appeal = appeal_services.appeal_file(actor=world.villager_a, text="没有堆物", event=deduction_a)

    with pytest.raises(ValidationError) as refused:
        appeal_services.appeal_answer(
            actor=world.staff_east, appeal=appeal, upheld=True, answer="确实录错"
        )

    assert PAID in refused.value.messages[0]
    assert not ScoreEvent.objects.filter(reverses=deduction_a).exists()


def test_confirming_a_pending_event_of_the_paid_year_is_refused(world, items, event_a, paid):
    world.east.review_required = True
    world.east.save()
    # Entered before the approval, waiting for its second person.
    pending = ScoreEvent.objects.create(
        household=world.a_east,
        item=items["clean"],
        points=Decimal("2"),
        occurred_on=DAY,
        community=world.east,
        entered_by=world.staff_east,
        needs_review=True,
    )
    other = type(world.staff_east).objects.create(
        username="staff_east_2", role=world.staff_east.role
    )
    other.communities.add(world.east)

    with pytest.raises(ValidationError) as refused:
        score_event_review(actor=other, event=pending, decision="confirmed")
    assert PAID in refused.value.messages[0]
    # Rejecting it changes no score: still possible.
    score_event_review(actor=other, event=pending, decision="rejected", reason="重复")


def test_the_admin_site_writes_no_score_event(world):
    model_admin = admin.site._registry[ScoreEvent]
    request = RequestFactory().get("/admin/")
    request.user = world.admin

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_message_reads_in_english(world, items, paid, client):
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(BatchError) as refused:
            score_events_record(actor=world.staff_east, entries=[entry(world, items)])
    assert "dividend" in refused.value.errors[0].message
    assert "approved" in refused.value.errors[0].message
