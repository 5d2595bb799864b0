"""/api/score-events/ and /api/household-scores/: scoped reads, batch create through the
service, and no way to change or delete an event."""

from datetime import date

import pytest

from accounts.models import AuditRecord
from communities import services
from communities.models import ScoreEvent
from communities.services import Entry
from tests import factories

from .conftest import YEAR

EVENTS = "/api/score-events/"
SCORES = "/api/household-scores/"
DAY = date(YEAR, 3, 10)


@pytest.fixture
def events(world, items):
    """One event per household, entered by the staff of its community."""
    created = {}
    for household, staff in (
        (world.a_east, world.staff_east),
        (world.b_east, world.staff_east),
        (world.a_west, world.staff_west),
        (world.b_west, world.staff_west),
    ):
        (created[household.number],) = services.score_events_record(
            actor=staff,
            entries=[Entry(household_id=household.pk, item_id=items["clean"].pk, occurred_on=DAY)],
            today=date(YEAR, 12, 31),
        )
    return created


def numbers(response):
    return sorted(row["household_number"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["A001", "A002", "B001", "B002"]),
        ("staff_east", ["A001", "B001"]),
        ("accountant_a", ["A001", "A002"]),
        ("villager_b", ["B002"]),
    ],
)
def test_list_is_scoped(world, events, login, user_name, expected):
    response = login(getattr(world, user_name)).get(EVENTS)

    assert response.status_code == 200
    assert numbers(response) == expected


def test_anonymous_is_refused(world, events, client):
    assert client.get(EVENTS).status_code in (401, 403)
    assert client.get(SCORES).status_code in (401, 403)


def test_retrieve_outside_scope_is_not_found(world, events, login):
    client = login(world.villager_a)

    assert client.get(f"{EVENTS}{events['A001'].pk}/").status_code == 200
    assert client.get(f"{EVENTS}{events['B002'].pk}/").status_code == 404


def test_event_fields(world, events, login):
    row = login(world.staff_east).get(f"{EVENTS}{events['A001'].pk}/").json()

    assert row["household"] == world.a_east.pk
    assert row["cooperative"] == "COOPA"
    assert row["item_code"] == "HJ01"
    assert row["points"] == "5.0"
    assert row["occurred_on"] == DAY.isoformat()
    assert row["community"] == "EAST"
    assert row["entered_by"] == "staff_east"
    assert row["review"] == "none"
    assert row["counts"] is True
    assert row["reverses"] is None and row["reversed_by"] is None


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a"])
def test_staff_see_who_entered_an_event(world, events, login, user_name):
    response = login(getattr(world, user_name)).get(EVENTS, {"household": world.a_east.pk})

    assert [row["entered_by"] for row in response.json()["results"]] == ["staff_east"]


def test_villagers_do_not_see_who_entered_their_events(world, events, login):
    client = login(world.villager_a)
    listed = client.get(EVENTS, {"household": world.a_east.pk})
    one = client.get(f"{EVENTS}{events['A001'].pk}/")

    assert [row["entered_by"] for row in listed.json()["results"]] == [None]
    assert one.json()["entered_by"] is None
    assert "staff_east" not in listed.content.decode() + one.content.decode()


def test_reversal_is_visible_on_both_events(world, events, login):
    original = events["A001"]
    reversal = services.score_event_reverse(actor=world.staff_east, event=original, reason="录错")

    client = login(world.villager_a)

    assert client.get(f"{EVENTS}{original.pk}/").json()["reversed_by"] == reversal.pk
    assert client.get(f"{EVENTS}{reversal.pk}/").json()["reverses"] == original.pk


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"household": "HOUSEHOLD"}, ["A001"]),
        ({"community": "WEST"}, ["A002", "B002"]),
        ({"year": YEAR}, ["A001", "A002", "B001", "B002"]),
        ({"year": YEAR - 1}, []),
        ({"month": 3}, ["A001", "A002", "B001", "B002"]),
        ({"item": "HJ11"}, []),
    ],
)
def test_filters(world, events, login, params, expected):
    params = {
        key: (world.a_east.pk if value == "HOUSEHOLD" else value) for key, value in params.items()
    }

    assert numbers(login(world.admin).get(EVENTS, params)) == expected


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a", "villager_a"])
def test_events_cannot_be_changed_or_deleted(world, events, login, user_name):
    client = login(getattr(world, user_name))
    detail = f"{EVENTS}{events['A001'].pk}/"

    assert client.put(detail, {"points": "9"}, content_type="application/json").status_code == 405
    assert client.patch(detail, {"points": "9"}, content_type="application/json").status_code == 405
    assert client.delete(detail).status_code == 405
    assert client.put(EVENTS, {}, content_type="application/json").status_code == 405
    assert client.delete(EVENTS).status_code == 405
    assert ScoreEvent.objects.get(pk=events["A001"].pk).points == 5


# --- create ------------------------------------------------------------------------------


def batch(*rows):
    return {"entries": list(rows)}


def test_staff_records_a_batch(world, items, login):
    response = login(world.staff_east).post(
        EVENTS,
        batch(
            {
                "household": world.a_east.pk,
                "item": items["clean"].pk,
                "occurred_on": DAY.isoformat(),
                "points": "3",
            },
            {
                "household": world.b_east.pk,
                "item": items["litter"].pk,
                "occurred_on": DAY.isoformat(),
                "note": "堆物",
            },
        ),
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert sorted(row["points"] for row in response.json()) == ["-5.0", "3.0"]
    assert ScoreEvent.objects.count() == 2
    assert AuditRecord.objects.get(action="score_event.create").details["source"] == "api"


def test_a_bad_entry_refuses_the_whole_batch_with_every_error(world, items, login):
    response = login(world.staff_east).post(
        EVENTS,
        batch(
            {
                "household": world.a_east.pk,
                "item": items["clean"].pk,
                "occurred_on": DAY.isoformat(),
            },
            {
                "household": world.a_west.pk,
                "item": items["clean"].pk,
                "occurred_on": DAY.isoformat(),
            },
            {
                "household": world.b_east.pk,
                "item": items["clean"].pk,
                "occurred_on": DAY.isoformat(),
                "points": "50",
            },
        ),
        content_type="application/json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["index"], error["field"]) for error in errors] == [
        (1, "household"),
        (2, "points"),
    ]
    assert all(error["message"] for error in errors)
    assert not ScoreEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"entries": []},
        {"entries": [{"household": 1}]},
        {"entries": [{"household": 1, "item": 1, "occurred_on": "not a date"}]},
    ],
)
def test_malformed_batch_is_a_400(world, items, login, payload):
    response = login(world.staff_east).post(EVENTS, payload, content_type="application/json")

    assert response.status_code == 400
    assert not ScoreEvent.objects.exists()


@pytest.mark.parametrize("user_name", ["accountant_a", "villager_a"])
def test_only_staff_may_record(world, items, login, user_name):
    response = login(getattr(world, user_name)).post(
        EVENTS,
        batch(
            {
                "household": world.a_east.pk,
                "item": items["clean"].pk,
                "occurred_on": DAY.isoformat(),
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not ScoreEvent.objects.exists()


def test_item_needing_a_photo_is_refused_through_the_api(world, items, login):
    response = login(world.staff_east).post(
        EVENTS,
        batch(
            {
                "household": world.a_east.pk,
                "item": items["photo"].pk,
                "occurred_on": DAY.isoformat(),
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "evidence"


# --- household scores --------------------------------------------------------------------


def test_household_scores_are_scoped(world, events, login):
    response = login(world.accountant_b).get(SCORES, {"year": YEAR})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(row["number"] for row in rows) == ["B001", "B002"]
    assert {row["score"] for row in rows} == {"85.0"}


def test_household_score_detail(world, events, items, login):
    factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=DAY,
        today=date(YEAR, 12, 31),
    )
    client = login(world.villager_a)

    row = client.get(f"{SCORES}{world.a_east.pk}/", {"year": YEAR}).json()

    assert row["score"] == "65.0"  # 80 + 5 − 20
    assert row["base_points"] == "80.0"
    assert row["vetoed"] is True
    assert row["monthly"][:3] == ["80.0", "80.0", "65.0"]
    assert client.get(f"{SCORES}{world.b_west.pk}/").status_code == 404


def test_household_score_without_standard_is_null(world, login):
    row = login(world.villager_a).get(f"{SCORES}{world.a_east.pk}/", {"year": YEAR - 1}).json()

    assert row["score"] is None
    assert row["base_points"] is None
    assert row["monthly"] == []


def test_household_scores_cannot_be_written(world, login):
    client = login(world.admin)

    assert client.post(SCORES, {}, content_type="application/json").status_code == 405
    assert client.delete(f"{SCORES}{world.a_east.pk}/").status_code == 405


def test_schema_lists_the_endpoints(world, login):
    schema = login(world.admin).get("/api/schema/").content.decode()

    assert "/api/score-events/" in schema
    assert "/api/household-scores/{id}/" in schema
