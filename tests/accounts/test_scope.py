"""accounts/scope.py: each role sees exactly its own households, nothing more."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import scope
from accounts.models import User
from tests import factories


def numbers(households):
    return sorted(households.values_list("number", flat=True))


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["A001", "A002", "B001", "B002"]),
        ("staff_east", ["A001", "B001"]),
        ("staff_west", ["A002", "B002"]),
        ("accountant_a", ["A001", "A002"]),
        ("accountant_b", ["B001", "B002"]),
        ("supervisor_a", ["A001", "A002"]),
        ("supervisor_b", ["B001", "B002"]),
        ("villager_a", ["A001"]),
        ("villager_b", ["B002"]),
    ],
)
def test_households_visible_to_each_role_is_exactly_its_scope(world, user_name, expected):
    assert numbers(scope.households_visible_to(getattr(world, user_name))) == expected


def test_staff_of_two_communities_sees_each_household_once(world):
    both = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east, world.west])

    visible = scope.households_visible_to(both)

    assert visible.count() == 4
    assert numbers(visible) == ["A001", "A002", "B001", "B002"]


def test_superuser_without_role_sees_everything(world):
    superuser = factories.user(is_superuser=True, is_staff=True)

    assert scope.households_visible_to(superuser).count() == 4


def test_user_without_role_sees_nothing(world):
    assert not scope.households_visible_to(factories.user()).exists()


def test_staff_without_community_sees_nothing(world):
    lonely = factories.user(role=User.Role.COMMUNITY_STAFF)

    assert not scope.households_visible_to(lonely).exists()


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a", "villager_a"])
def test_inactive_user_sees_nothing(world, user_name):
    user = getattr(world, user_name)
    user.is_active = False
    user.save()

    assert not scope.households_visible_to(user).exists()
    assert not scope.households_scorable_by(user).exists()
    assert not scope.households_payable_by(user).exists()
    assert not scope.cooperatives_visible_to(user).exists()
    assert not scope.communities_visible_to(user).exists()


def test_anonymous_user_sees_nothing(world):
    anonymous = AnonymousUser()

    assert not scope.households_visible_to(anonymous).exists()
    assert not scope.households_scorable_by(anonymous).exists()
    assert not scope.households_payable_by(anonymous).exists()
    assert not scope.cooperatives_visible_to(anonymous).exists()
    assert not scope.cooperatives_managed_by(anonymous).exists()
    assert not scope.communities_visible_to(anonymous).exists()


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["A001", "A002", "B001", "B002"]),
        ("staff_east", ["A001", "B001"]),
        ("staff_west", ["A002", "B002"]),
        ("accountant_a", []),
        ("supervisor_a", []),
        ("villager_a", []),
    ],
)
def test_only_admin_and_staff_may_score(world, user_name, expected):
    assert numbers(scope.households_scorable_by(getattr(world, user_name))) == expected


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["A001", "A002", "B001", "B002"]),
        ("accountant_a", ["A001", "A002"]),
        ("accountant_b", ["B001", "B002"]),
        ("staff_east", []),
        ("supervisor_a", []),  # signs the run, does not keep the register
        ("villager_a", []),
    ],
)
def test_only_admin_and_accountants_may_pay(world, user_name, expected):
    assert numbers(scope.households_payable_by(getattr(world, user_name))) == expected


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["COOPA", "COOPB"]),
        ("staff_east", ["COOPA", "COOPB"]),
        ("accountant_a", ["COOPA"]),
        ("accountant_b", ["COOPB"]),
        ("supervisor_a", ["COOPA"]),
        ("villager_a", ["COOPA"]),
        ("villager_b", ["COOPB"]),
    ],
)
def test_cooperatives_visible_to_each_role(world, user_name, expected):
    assert codes(scope.cooperatives_visible_to(getattr(world, user_name))) == expected


def test_staff_sees_only_cooperatives_of_their_residents(world):
    coop_c = factories.cooperative(code="COOPC")
    factories.household(cooperative_=coop_c, community_=world.west, number="C001")

    assert codes(scope.cooperatives_visible_to(world.staff_east)) == ["COOPA", "COOPB"]
    assert codes(scope.cooperatives_visible_to(world.staff_west)) == ["COOPA", "COOPB", "COOPC"]


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["COOPA", "COOPB"]),
        ("accountant_a", ["COOPA"]),
        ("staff_east", []),
        ("supervisor_a", []),
        ("villager_a", []),
    ],
)
def test_only_admin_and_own_accountant_manage_a_cooperative(world, user_name, expected):
    assert codes(scope.cooperatives_managed_by(getattr(world, user_name))) == expected


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["COOPA", "COOPB"]),
        ("accountant_a", ["COOPA"]),
        ("supervisor_a", ["COOPA"]),
        ("supervisor_b", ["COOPB"]),
        ("staff_east", []),
        ("villager_a", []),
    ],
)
def test_runs_are_read_and_signed_by_admin_accountants_and_own_supervisor(
    world, user_name, expected
):
    assert codes(scope.cooperatives_signed_by(getattr(world, user_name))) == expected


def test_an_inactive_supervisor_signs_nothing(world):
    world.supervisor_a.is_active = False
    world.supervisor_a.save()
    assert not scope.cooperatives_signed_by(world.supervisor_a).exists()
    assert not scope.households_visible_to(world.supervisor_a).exists()


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["EAST", "WEST"]),
        ("staff_east", ["EAST"]),
        ("staff_west", ["WEST"]),
        ("accountant_a", ["EAST", "WEST"]),
        ("supervisor_a", ["EAST", "WEST"]),
        ("villager_a", ["EAST"]),
        ("villager_b", ["WEST"]),
    ],
)
def test_communities_visible_to_each_role(world, user_name, expected):
    assert codes(scope.communities_visible_to(getattr(world, user_name))) == expected


def test_accountant_sees_only_communities_where_their_members_live(world):
    north = factories.community(code="NORTH")
    factories.household(cooperative_=world.coop_b, community_=north, number="B003")

    assert codes(scope.communities_visible_to(world.accountant_a)) == ["EAST", "WEST"]
    assert codes(scope.communities_visible_to(world.accountant_b)) == ["EAST", "NORTH", "WEST"]
