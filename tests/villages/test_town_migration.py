"""Towns arrive by migration (issue 22, point 1): a database of the schema before towns,
holding the demo, migrates with nothing lost and no manual step — every village,
community and scoring standard in 当湖街道 — and its pages answer as before.

The schema before towns is reached by migrating the seeded demo back (the town columns and
table are dropped), then forward again, as an upgrade of a running deployment would."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.models import User
from villages.models import Town

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_TOWNS = [("villages", "0008_id_number_validator"), ("communities", "0010_door_record")]
# What must survive the round trip, row for row.
COUNTED = [
    "villages.Village",
    "villages.Cooperative",
    "villages.Household",
    "villages.Member",
    "villages.ShareMovement",
    "communities.Community",
    "communities.MicroGrid",
    "communities.ScoringStandard",
    "communities.ScoreEvent",
    "dividends.DividendRun",
    "dividends.DividendLine",
    "awards.AwardRun",
    "matters.Matter",
    "accounts.User",
    "accounts.AuditRecord",
]
PAGES = [
    "/",
    "/villages/households/",
    "/overview/",
    "/overview/statistics/",
    "/overview/honor-roll/",
    "/overview/cooperatives/",
    "/dividends/",
    "/awards/",
    "/matters/",
    "/communities/door/",
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _counts():
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _answers(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return {page: client.get(page).status_code for page in PAGES}


def test_the_demo_of_the_schema_before_towns_moves_into_danghu_and_answers_as_before():
    call_command("seed_demo", "--small", stdout=io.StringIO())
    answers = {user: _answers(user) for user in ("admin", "staff_donghu", "accountant_tongjie")}
    counts = _counts()  # after the logins above, which are audited
    leaves = [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes()]
    try:
        _migrate(BEFORE_TOWNS)
        with connection.cursor() as cursor:
            columns = [
                c.name
                for c in connection.introspection.get_table_description(cursor, "villages_village")
            ]
        assert "town_id" not in columns  # the schema before towns
    finally:
        _migrate(leaves)

    danghu = Town.objects.get()
    assert (danghu.code, danghu.name, danghu.kind) == ("DANGHU", "当湖街道", Town.Kind.SUBDISTRICT)
    for label in ("villages.Village", "communities.Community", "communities.ScoringStandard"):
        model = apps.get_model(label)
        assert model.objects.exclude(town=danghu).count() == 0, label
    assert _counts() == counts
    # The subdistrict's administrators administer it (accounts/0006).
    assert set(
        User.objects.filter(role=User.Role.SUBDISTRICT_ADMIN).values_list("town__code", flat=True)
    ) <= {"DANGHU"}
    assert {user: _answers(user) for user in answers} == answers
    assert [p for p, status in answers["admin"].items() if status != 200] == []


def test_a_new_database_gets_no_town_until_one_is_set_up():
    """The migration only moves what exists: an empty deployment starts without towns."""
    assert not Town.objects.exists()
