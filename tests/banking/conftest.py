"""The bank's window: the `world` with the 2026 standard, an event with a note and a photo
on the consenting household, and the bank's tokens."""

from datetime import date

import pytest

from banking import services
from banking.models import ApiToken
from communities.services import Entry, score_events_record
from tests import factories
from tests.communities import conftest as points_fixtures

standard = points_fixtures.standard
items = points_fixtures.items

SECRET_NOTE = "门口堆放杂物已清理"


@pytest.fixture(autouse=True)
def grades(db):
    factories.credit_grades()


@pytest.fixture
def scored(world, items):
    """2026 events on the east households (one with a note the bank must never see)."""
    score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["clean"].pk,
                occurred_on=date(2026, 3, 2),
                note=SECRET_NOTE,
            ),
            Entry(
                household_id=world.b_east.pk,
                item_id=items["clean"].pk,
                occurred_on=date(2026, 3, 2),
            ),
        ],
    )
    return world


@pytest.fixture
def consent(scored):
    """The head of a_east (villager_a) consents on the card."""
    world = scored
    return services.consent_give(
        household=world.a_east, bank=world.bank_officer.bank, actor=world.villager_a
    )


@pytest.fixture
def tokens(world):
    def create(name, **kwargs):
        return services.api_token_create(name=name, actor=world.admin, **kwargs)

    bank_token, bank_key = create("bank", scope=ApiToken.Scope.BANK, bank=world.bank_officer.bank)
    east_token, east_key = create("east", scope=ApiToken.Scope.USER, user=world.staff_east)
    villager_token, villager_key = create(
        "villager", scope=ApiToken.Scope.USER, user=world.villager_a
    )
    return {
        "bank": (bank_token, bank_key),
        "east": (east_token, east_key),
        "villager": (villager_token, villager_key),
    }


@pytest.fixture
def api(client):
    """GET with a token: api("/api/v1/...", key)."""

    def get(path, key=None, **params):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return client.get(path, params, headers=headers)

    return get
