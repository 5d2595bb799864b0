"""Card first (issue 13): the villager lands on the card, the years offered hold data, the
four sections stay reachable and the score carries a spoken label."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from communities.models import ScoreEvent
from overview import card_views
from tests.communities import conftest as scoring_fixtures

YEAR = scoring_fixtures.YEAR
standard = scoring_fixtures.standard
items = scoring_fixtures.items


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(card_views, "today", lambda: date(YEAR, 11, 25))


def _event(world, item, points, day):
    return ScoreEvent.objects.create(
        household=world.a_east,
        item=item,
        points=Decimal(points),
        occurred_on=day,
        community=world.east,
        entered_by=world.staff_east,
    )


def test_villager_home_is_the_card(world, login):
    response = login(world.villager_a).get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse("card:mine")


def test_staff_home_is_still_the_hub(world, login):
    assert login(world.staff_east).get(reverse("home")).status_code == 200


def test_years_offered_only_where_there_is_data(world, standard, items, login):
    _event(world, items["clean"], "5", date(2019, 4, 1))

    response = login(world.villager_a).get("/card/")

    # This year (a standard is adopted) and 2019 (an event); not the empty years between.
    assert response.context["years"] == [YEAR, 2019]
    body = response.content.decode()
    assert "?year=2019" in body
    assert f"?year={YEAR - 1}" not in body


def test_a_year_without_data_falls_back_to_the_newest_with_data(world, items, login):
    _event(world, items["clean"], "5", date(2019, 4, 1))
    _event(world, items["clean"], "5", date(2021, 4, 1))

    response = login(world.villager_a).get("/card/?year=2020")

    assert response.context["years"] == [YEAR, 2021, 2019]
    assert response.context["year"] == YEAR
    assert login(world.villager_a).get("/card/?year=2021").context["year"] == 2021


def test_sections_stay_reachable_and_the_score_is_labelled(world, standard, items, login):
    _event(world, items["clean"], "5", date(YEAR, 3, 1))

    body = login(world.villager_a).get("/card/").content.decode()

    for anchor, label in (
        ("#pc-score", "积分"),
        ("#pc-events", "明细"),
        ("#pc-standard", "标准"),
        ("#pc-dividends", "分红"),
    ):
        assert f'<a href="{anchor}">{label}</a>' in body
        assert f'id="{anchor[1:]}"' in body
    score = standard.clip(standard.base_points + Decimal("5"))
    assert f"{YEAR} 年积分 {score.normalize():f} 分" in body
    assert reverse("card:print") not in body
