"""Each role's home is its to-do list (issue 14, point 5)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from communities import services
from communities.models import Community
from communities.services import Entry
from dividends.models import DividendRun
from overview import selectors as overview_selectors
from tests import factories

from .conftest import YEAR

TODAY = date(YEAR, 6, 15)


def record(actor, household, item, day, points=None):
    return services.score_events_record(
        actor=actor,
        entries=[Entry(household_id=household.pk, item_id=item.pk, occurred_on=day, points=points)],
        today=TODAY,
    )[0]


def test_staff_months_to_close(world):
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 5, 1), today=TODAY
    )
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 1, 1), today=TODAY
    )
    todo = overview_selectors.staff_todo(user=world.staff_east, today=TODAY)
    assert [month.month for _, month in todo["months_to_close"]] == [2, 3, 4]
    # 西湖's months are not 东湖 staff's business.
    assert {community.code for community, _ in todo["months_to_close"]} == {"EAST"}


def test_staff_pending_reviews_are_those_of_others(world, items):
    Community.objects.filter(pk=world.east.pk).update(review_required=True)
    colleague = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east])
    record(world.staff_east, world.a_east, items["clean"], date(YEAR, 6, 1), "5")
    assert overview_selectors.staff_todo(user=world.staff_east, today=TODAY)["pending_reviews"] == 0
    assert overview_selectors.staff_todo(user=colleague, today=TODAY)["pending_reviews"] == 1
    assert overview_selectors.staff_todo(user=world.staff_west, today=TODAY)["pending_reviews"] == 0


def test_staff_low_households_not_yet_visited(world, items):
    # 80 − 20 − 10 = 50 from January: below 60 for six months up to June.
    factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=date(YEAR, 1, 5),
        today=TODAY,
    )
    record(world.staff_east, world.a_east, items["litter"], date(YEAR, 1, 6), "10")
    assert overview_selectors.low_not_visited(user=world.staff_east, today=TODAY) == [
        world.a_east.pk
    ]
    assert overview_selectors.low_not_visited(user=world.staff_west, today=TODAY) == []
    # A visit recorded in June (any event of the month) takes it off the list.
    record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 2), "1")
    assert overview_selectors.low_not_visited(user=world.staff_east, today=TODAY) == []


def test_a_visit_without_points_takes_a_low_household_off_the_list(world, items):
    # The door month page counts a recorded visit (no points) as a visit; so does the home.
    factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=date(YEAR, 1, 5),
        today=TODAY,
    )
    record(world.staff_east, world.a_east, items["litter"], date(YEAR, 1, 6), "10")
    assert overview_selectors.low_not_visited(user=world.staff_east, today=TODAY) == [
        world.a_east.pk
    ]
    services.household_visit_record(
        actor=world.staff_east, household=world.a_east, visited_on=date(YEAR, 6, 3), today=TODAY
    )
    assert overview_selectors.low_not_visited(user=world.staff_east, today=TODAY) == []


def test_a_rejected_entry_is_not_a_visit(world, items):
    colleague = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east])
    factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=date(YEAR, 1, 5),
        today=TODAY,
    )
    record(world.staff_east, world.a_east, items["litter"], date(YEAR, 1, 6), "10")
    Community.objects.filter(pk=world.east.pk).update(review_required=True)
    event = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 6, 2), "1")
    services.score_event_review(actor=colleague, event=event, decision="rejected", reason="不实")
    assert overview_selectors.low_not_visited(user=world.staff_east, today=TODAY) == [
        world.a_east.pk
    ]


def test_accountant_runs_and_register_changes(world):
    for version, status in ((1, DividendRun.Status.FAILED), (2, DividendRun.Status.COMPUTED)):
        DividendRun.objects.create(
            cooperative=world.coop_a,
            year=YEAR,
            version=version,
            record_date=date(YEAR, 12, 31),
            total=Decimal("100"),
            incentive_mode=DividendRun.IncentiveMode.FIXED,
            incentive_value=Decimal("10"),
            base_pool=Decimal("90"),
            incentive_pool=Decimal("10"),
            policy=DividendRun.Policy.SCORE,
            status=status,
            created_by=world.accountant_a,
        )
    factories.household(cooperative_=world.coop_a, community_=world.east, shares={"RK": "2"})
    todo = overview_selectors.accountant_todo(user=world.accountant_a)
    assert (todo["to_compute"], todo["to_approve"], todo["register_changes"]) == (1, 1, 1)
    other = overview_selectors.accountant_todo(user=world.accountant_b)
    assert (other["to_compute"], other["to_approve"]) == (0, 0)
    assert other["since"] is None and other["register_changes"] == 2  # B001, B002's issues
    assert overview_selectors.accountant_todo(user=world.supervisor_a)["to_approve"] == 1


def test_admin_todo(world, items):
    record(world.staff_east, world.a_east, items["clean"], date(YEAR, 2, 1), "5")
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 5, 1), today=TODAY
    )
    todo = overview_selectors.admin_todo(user=world.admin, today=TODAY)
    assert [community.code for community in todo["behind"]] == ["WEST"]
    assert (todo["household_count"], todo["scored"], todo["events"]) == (4, 1, 1)
    assert todo["scored_percent"] == Decimal("25.0")
    assert todo["lockouts"] == 0
    # The headline figures are cached, keyed by the ledger's last ids: a new event counts.
    record(world.staff_west, world.b_west, items["clean"], date(YEAR, 6, 1), "5")
    todo = overview_selectors.admin_todo(user=world.admin, today=TODAY)
    assert (todo["scored"], todo["events"]) == (2, 2)


@pytest.mark.parametrize(
    ("who", "texts", "absent"),
    [
        ("staff_east", ["待关账的月份", "待复核的积分记录", "本月尚未走访"], ["被锁定的账号"]),
        ("accountant_a", ["待计算的分红方案", "待审批的分红方案", "股权变动"], ["待关账"]),
        ("supervisor_a", ["待审批的分红方案"], ["待计算的分红方案", "待关账"]),
        ("admin", ["尚未关账的社区", "被锁定的账号", "查看街道总览"], ["待复核"]),
    ],
)
def test_home_is_the_roles_to_do_list(world, login, who, texts, absent):
    body = login(getattr(world, who)).get(reverse("home")).content.decode()
    assert "待办事项" in body
    for text in texts:
        assert text in body
    for text in absent:
        assert text not in body


def test_villager_home_has_no_to_do_list(world, login):
    body = login(world.villager_a).get(reverse("home")).content.decode()
    assert "待办事项" not in body
