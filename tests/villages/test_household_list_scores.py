"""The household list shows this year's score on every row (issue 16, lists that fit a thumb):
the score is the ledger's annual score, computed in the list's own query (none per row), and
each phone row is one link to the household."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities import selectors
from communities.models import ScoreEvent, ScoringItem, ScoringStandard, StandardAdoption
from tests import factories
from villages.models import Household

LIST_URL = reverse("villages:household_list")


@pytest.fixture
def this_year():
    return timezone.localdate().year


@pytest.fixture
def clean(world, this_year):
    """This year's published standard of cooperative A only (base 80, 0–120) and one item;
    cooperative B adopted none, so its households have no score."""
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name="甲村标准",
        year=this_year,
        base_points=Decimal("80"),
        lower_bound=Decimal("0"),
        upper_bound=Decimal("120"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=standard,
        cooperative=world.coop_a,
        meeting_date=date(this_year, 1, 15),
        votes_for=45,
    )
    return ScoringItem.objects.create(
        standard=standard,
        code="HJ01",
        name="庭院整洁",
        category=ScoringItem.Category.ENVIRONMENT,
        direction=ScoringItem.Direction.ADD,
        default_points=Decimal("5"),
        min_points=Decimal("1"),
        max_points=Decimal("100"),
    )


def event(world, household, item, points, year, **extra):
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=Decimal(points),
        occurred_on=date(year, 1, 10),
        community=household.community,
        entered_by=world.staff_east,
        **extra,
    )


def test_listed_score_is_the_ledgers_annual_score(world, clean, this_year):
    event(world, world.a_east, clean, "7.5", this_year)
    event(world, world.a_east, clean, "30", this_year, needs_review=True)  # waits: not counted
    event(world, world.a_east, clean, "50", this_year - 1)  # last year's
    event(world, world.a_west, clean, "60", this_year)  # 140, clipped to 120
    event(world, world.b_east, clean, "5", this_year)  # cooperative B: no standard

    households = Household.objects.all()
    listed = {
        h.pk: h.annual_score for h in selectors.with_annual_scores(households, year=this_year)
    }

    assert listed == selectors.annual_scores(households=households, year=this_year)
    assert listed[world.a_east.pk] == Decimal("87.5")
    assert listed[world.a_west.pk] == Decimal("120")
    assert listed[world.b_east.pk] is None


def test_list_shows_this_years_score_in_the_table_and_the_phone_rows(
    world, clean, login, this_year
):
    event(world, world.a_east, clean, "7.5", this_year)

    response = login(world.admin).get(LIST_URL)
    body = response.content.decode()

    scores = {h.number: h.annual_score for h in response.context["page"]}
    assert scores == {"A001": Decimal("87.5"), "A002": Decimal("80.0"), "B001": None, "B002": None}
    assert f"{this_year} 年积分" in body
    # Once in the table, once in the phone row.
    assert body.count(">87.5<") == 2
    assert body.count(">80.0<") == 2
    # Each phone row is one link to the household.
    thumbs = body.split('id="household-thumbs"', 1)[1].split("</ul>", 1)[0]
    for household in (world.a_east, world.a_west, world.b_east, world.b_west):
        detail = reverse("villages:household_detail", args=[household.pk])
        assert f'<a class="thumb-row" href="{detail}">' in thumbs


def test_phone_rows_keep_the_users_scope(world, clean, login):
    body = login(world.staff_east).get(LIST_URL).content.decode()
    thumbs = body.split('id="household-thumbs"', 1)[1].split("</ul>", 1)[0]

    assert "A001" in thumbs and "B001" in thumbs
    assert "A002" not in thumbs and "B002" not in thumbs


def list_queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST_URL).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_scores_cost_no_query_per_row(
    world, clean, login, this_year, django_assert_max_num_queries
):
    client = login(world.admin)
    few = list_queries(client)

    for n in range(30):
        household = factories.household(
            cooperative_=world.coop_a, community_=world.east, number=f"A{n + 100}"
        )
        event(world, household, clean, "1.5", this_year)
    with django_assert_max_num_queries(len(few)):
        many = list_queries(client)

    assert len(many) == len(few)
    # The page's points come in one aggregate query over its households.
    scored = [sql for sql in many if "communities_scoreevent" in sql]
    assert len(scored) == 1
