"""The REST API: scope, masking, holdings as strings, bounded queries, the schema."""

import base64

import pytest

from tests import factories

FULL_ID = "330482196501181234"
MASKED_ID = "330482********1234"
FULL_ACCOUNT = "6228480011112222333"
FULL_PHONE = "13800001111"

HOUSEHOLDS = "/api/households/"
COOPERATIVES = "/api/cooperatives/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def numbers(response):
    return sorted(row["number"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["A001", "A002", "B001", "B002"]),
        ("staff_east", ["A001", "B001"]),
        ("staff_west", ["A002", "B002"]),
        ("accountant_a", ["A001", "A002"]),
        ("accountant_b", ["B001", "B002"]),
        ("villager_a", ["A001"]),
        ("villager_b", ["B002"]),
    ],
)
def test_household_list_returns_only_the_callers_scope(world, login, user_name, expected):
    response = login(getattr(world, user_name)).get(HOUSEHOLDS)

    assert response.status_code == 200
    assert response.json()["count"] == len(expected)
    assert numbers(response) == expected


@pytest.mark.parametrize(
    ("user_name", "household_name"),
    [
        ("staff_east", "a_west"),
        ("accountant_a", "b_east"),
        ("accountant_b", "a_east"),
        ("villager_a", "a_west"),
        ("villager_b", "a_east"),
    ],
)
def test_household_detail_outside_scope_is_not_found(world, login, user_name, household_name):
    household = getattr(world, household_name)

    response = login(getattr(world, user_name)).get(f"{HOUSEHOLDS}{household.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("user_name", "household_name"),
    [("staff_east", "b_east"), ("accountant_a", "a_west"), ("villager_a", "a_east")],
)
def test_household_detail_inside_scope_is_returned(world, login, user_name, household_name):
    household = getattr(world, household_name)

    response = login(getattr(world, user_name)).get(f"{HOUSEHOLDS}{household.pk}/")

    assert response.status_code == 200
    assert response.json()["number"] == household.number


def test_household_filter_cannot_widen_the_scope(world, login):
    response = login(world.accountant_a).get(HOUSEHOLDS, {"cooperative__code": "COOPB"})

    assert response.json()["count"] == 0


@pytest.mark.parametrize("url", [HOUSEHOLDS, COOPERATIVES])
def test_anonymous_caller_is_refused(world, client, url):
    assert client.get(url).status_code in (401, 403)


def test_anonymous_caller_cannot_read_a_household(world, client):
    assert client.get(f"{HOUSEHOLDS}{world.a_east.pk}/").status_code in (401, 403)


def test_inactive_user_with_basic_auth_is_refused(world, client):
    world.accountant_a.is_active = False
    world.accountant_a.save()
    token = base64.b64encode(b"acc_a:pass-word-123").decode()

    response = client.get(HOUSEHOLDS, HTTP_AUTHORIZATION=f"Basic {token}")

    assert response.status_code in (401, 403)


def test_household_fields_are_masked(world, login):
    response = login(world.admin).get(f"{HOUSEHOLDS}{world.a_east.pk}/")

    data = response.json()
    assert data["head_id_number"] == MASKED_ID
    assert data["bank_account"].endswith("2333")
    assert data["bank_account"] != FULL_ACCOUNT
    assert data["phone"] == "138****1111"
    body = response.content.decode()
    assert FULL_ID not in body
    assert FULL_ACCOUNT not in body
    assert FULL_PHONE not in body


def test_household_list_never_contains_full_personal_data(world, login):
    body = login(world.admin).get(HOUSEHOLDS).content.decode()

    assert MASKED_ID in body
    assert FULL_ID not in body
    assert FULL_ACCOUNT not in body
    assert FULL_PHONE not in body


def test_holdings_are_strings_keyed_by_share_class_name(world, login):
    response = login(world.villager_a).get(f"{HOUSEHOLDS}{world.a_east.pk}/")

    assert response.json()["holdings"] == {"人口股": "3.00"}


def test_holdings_in_the_list_follow_the_ledger(world, login):
    response = login(world.accountant_b).get(HOUSEHOLDS)

    holdings = {row["number"]: row["holdings"] for row in response.json()["results"]}
    assert holdings == {"B001": {"人口股": "4.00"}, "B002": {"人口股": "1.00"}}


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("admin", ["COOPA", "COOPB"]),
        ("staff_east", ["COOPA", "COOPB"]),
        ("accountant_a", ["COOPA"]),
        ("accountant_b", ["COOPB"]),
        ("villager_a", ["COOPA"]),
        ("villager_b", ["COOPB"]),
    ],
)
def test_cooperative_list_returns_only_the_callers_scope(world, login, user_name, expected):
    response = login(getattr(world, user_name)).get(COOPERATIVES)

    assert response.status_code == 200
    assert sorted(row["code"] for row in response.json()["results"]) == expected


def test_cooperative_detail_outside_scope_is_not_found(world, login):
    response = login(world.accountant_a).get(f"{COOPERATIVES}{world.coop_b.pk}/")

    assert response.status_code == 404


def test_api_is_read_only(world, login):
    client = login(world.admin)

    assert client.post(HOUSEHOLDS, {"number": "X"}).status_code == 405
    assert client.delete(f"{HOUSEHOLDS}{world.a_east.pk}/").status_code == 405


def test_household_list_query_count_does_not_grow_with_households(
    world, login, django_assert_max_num_queries
):
    client = login(world.admin)
    # Session, user, count, page, holdings, share class names: none of them per household.
    bound = 6
    with django_assert_max_num_queries(bound):
        assert client.get(HOUSEHOLDS).json()["count"] == 4

    for _ in range(30):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            micro_grid_=world.grid_east,
            shares={"RK": "1"},
        )

    with django_assert_max_num_queries(bound):
        assert client.get(HOUSEHOLDS).json()["count"] == 34


def test_schema_is_an_openapi_document_for_a_logged_in_user(world, login):
    response = login(world.villager_a).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/households/" in document["paths"]
    assert "/api/cooperatives/" in document["paths"]


def test_schema_and_docs_require_a_login(world, client):
    schema = client.get("/api/schema/", {"format": "json"})
    docs = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert schema.status_code in (401, 403)
    assert "openapi" not in schema.content.decode()
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")
    assert script.status_code == 302


def test_docs_page_loads_swagger_ui_from_files_only(world, login):
    client = login(world.staff_east)
    page = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>" not in body and "<script " in body  # no inline script, only src=
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
