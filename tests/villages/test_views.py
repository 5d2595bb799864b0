"""Household pages, as the right user and as the wrong one."""

from decimal import Decimal

import pytest
from django.urls import reverse

from villages.models import Member

FULL_ID = "330482196501181234"
MASKED_ID = "330482********1234"
FULL_ACCOUNT = "6228480011112222333"
MASKED_ACCOUNT = "***************2333"
FULL_PHONE = "13800001111"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def listed_numbers(response):
    return sorted(household.number for household in response.context["page"])


def detail_url(household):
    return reverse("villages:household_detail", args=[household.pk])


def transfer_url(household):
    return reverse("villages:share_transfer", args=[household.pk])


# Household list


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["A001", "A002", "B001", "B002"]),
        ("staff_east", ["A001", "B001"]),
        ("staff_west", ["A002", "B002"]),
        ("accountant_a", ["A001", "A002"]),
        ("accountant_b", ["B001", "B002"]),
    ],
)
def test_household_list_shows_exactly_the_users_scope(world, login, user_name, expected):
    response = login(getattr(world, user_name)).get(reverse("villages:household_list"))

    assert response.status_code == 200
    assert listed_numbers(response) == expected


def test_staff_east_list_body_names_no_household_of_the_west(world, login):
    body = login(world.staff_east).get(reverse("villages:household_list")).content.decode()

    assert "A001" in body and "B001" in body
    assert "A002" not in body and "B002" not in body


@pytest.mark.parametrize("user_name", ["villager_a", "villager_b"])
def test_household_list_is_forbidden_to_villagers(world, login, user_name):
    response = login(getattr(world, user_name)).get(reverse("villages:household_list"))

    assert response.status_code == 403


def test_household_list_redirects_anonymous_user_to_login(world, client):
    response = client.get(reverse("villages:household_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_household_list_search_stays_inside_scope(world, login):
    # 李秀英 (A002) lives in the west: staff_east must not find her by name.
    response = login(world.staff_east).get(reverse("villages:household_list"), {"q": "李秀英"})

    assert listed_numbers(response) == []


@pytest.mark.parametrize("part", ["1111", "0000111", "13800001", "6228480011112222", "1234"])
def test_household_list_search_never_matches_part_of_a_personal_number(world, login, part):
    # The list shows 138****1111: searching parts must not reveal the hidden digits.
    response = login(world.admin).get(reverse("villages:household_list"), {"q": part})

    assert "A001" not in listed_numbers(response)


@pytest.mark.parametrize(
    "whole", ["13800001111", "138-0000-1111", "330482196501181234", "6228480011112222333"]
)
def test_household_list_search_finds_a_whole_personal_number(world, login, whole):
    response = login(world.admin).get(reverse("villages:household_list"), {"q": whole})

    assert listed_numbers(response) == ["A001"]


def test_household_list_search_by_a_members_whole_id_number(world, login):
    Member.objects.create(household=world.b_east, name="陈小明", id_number="33048220100103002X")

    found = login(world.admin).get(reverse("villages:household_list"), {"q": "33048220100103002x"})
    part = login(world.admin).get(reverse("villages:household_list"), {"q": "20100103002X"})

    assert listed_numbers(found) == ["B001"]
    assert listed_numbers(part) == []


def test_household_list_grid_filter_stays_inside_scope(world, login):
    response = login(world.staff_east).get(
        reverse("villages:household_list"), {"grid": world.grid_west.pk}
    )

    assert listed_numbers(response) == []


def test_household_list_masks_id_number_and_phone(world, login):
    body = login(world.admin).get(reverse("villages:household_list")).content.decode()

    assert MASKED_ID in body
    assert FULL_ID not in body
    assert FULL_PHONE not in body
    assert FULL_ACCOUNT not in body


# Household detail


@pytest.mark.parametrize(
    ("user_name", "household_name"),
    [
        ("admin", "b_west"),
        ("staff_east", "a_east"),
        ("staff_east", "b_east"),
        ("accountant_a", "a_west"),
        ("accountant_b", "b_east"),
        ("villager_a", "a_east"),
        ("villager_b", "b_west"),
    ],
)
def test_household_detail_opens_inside_scope(world, login, user_name, household_name):
    response = login(getattr(world, user_name)).get(detail_url(getattr(world, household_name)))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("user_name", "household_name"),
    [
        ("staff_east", "a_west"),
        ("staff_east", "b_west"),
        ("staff_west", "a_east"),
        ("accountant_a", "b_east"),
        ("accountant_b", "a_east"),
        ("villager_a", "a_west"),
        ("villager_a", "b_west"),
        ("villager_b", "a_east"),
    ],
)
def test_household_detail_outside_scope_is_not_found(world, login, user_name, household_name):
    response = login(getattr(world, user_name)).get(detail_url(getattr(world, household_name)))

    assert response.status_code == 404


def test_household_detail_masks_id_number_and_bank_account(world, login):
    body = login(world.accountant_a).get(detail_url(world.a_east)).content.decode()

    assert MASKED_ID in body
    assert MASKED_ACCOUNT in body
    assert FULL_ID not in body
    assert FULL_ACCOUNT not in body
    assert FULL_PHONE not in body


def test_household_detail_masks_member_id_numbers(world, login):
    world.a_east.members.create(name="王小明", id_number="33048220100108567X", relation="子")

    body = login(world.accountant_a).get(detail_url(world.a_east)).content.decode()

    assert "330482********567X" in body
    assert "33048220100108567X" not in body


def test_household_detail_shows_current_holdings_from_the_ledger(world, login):
    response = login(world.villager_a).get(detail_url(world.a_east))

    holdings = response.context["holdings"]
    assert [(share_class.code, quantity) for share_class, quantity in holdings] == [
        ("RK", Decimal("3"))
    ]


def test_household_detail_offers_transfer_only_to_those_who_keep_the_register(world, login):
    accountant_body = login(world.accountant_a).get(detail_url(world.a_east)).content.decode()
    staff_body = login(world.staff_east).get(detail_url(world.a_east)).content.decode()
    villager_body = login(world.villager_a).get(detail_url(world.a_east)).content.decode()

    assert transfer_url(world.a_east) in accountant_body
    assert transfer_url(world.a_east) not in staff_body
    assert transfer_url(world.a_east) not in villager_body


# Share transfer page


def test_share_transfer_page_opens_for_the_cooperatives_accountant(world, login):
    assert login(world.accountant_a).get(transfer_url(world.a_east)).status_code == 200


def test_share_transfer_page_opens_for_the_admin(world, login):
    assert login(world.admin).get(transfer_url(world.b_west)).status_code == 200


@pytest.mark.parametrize(
    "user_name", ["accountant_b", "staff_east", "staff_west", "villager_a", "villager_b"]
)
def test_share_transfer_page_is_not_found_for_everyone_else(world, login, user_name):
    assert login(getattr(world, user_name)).get(transfer_url(world.a_east)).status_code == 404


def test_share_transfer_post_by_wrong_accountant_changes_nothing(world, login):
    from villages.models import ShareMovement

    before = ShareMovement.objects.count()
    response = login(world.accountant_b).post(
        transfer_url(world.a_east),
        {
            "target_number": "A002",
            "share_class": world.coop_a.share_classes.get().pk,
            "quantity": "1",
            "effective_on": "2024-01-01",
            "reason": "越权",
        },
    )

    assert response.status_code == 404
    assert ShareMovement.objects.count() == before


def test_share_transfer_offers_only_the_cooperatives_share_classes(world, login):
    response = login(world.accountant_a).get(transfer_url(world.a_east))

    offered = response.context["form"].fields["share_class"].queryset
    assert {share_class.cooperative for share_class in offered} == {world.coop_a}


def test_share_transfer_to_a_number_of_another_cooperative_is_refused(world, login):
    from villages.models import ShareMovement

    before = ShareMovement.objects.count()
    response = login(world.accountant_a).post(
        transfer_url(world.a_east),
        {
            "target_number": "B001",
            "share_class": world.coop_a.share_classes.get().pk,
            "quantity": "1",
            "effective_on": "2024-01-01",
            "reason": "测试",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["target_number"]
    assert ShareMovement.objects.count() == before
