"""The admin site: every list opens, personal data stays masked, scope holds, it speaks Chinese."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.services import audit_record

FULL_ID = "330482196501181234"
MASKED_ID = "330482********1234"
FULL_ACCOUNT = "6228480011112222333"
FULL_PHONE = "13800001111"

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(world, client):
    """The subdistrict admin as seed_demo creates it (a superuser), logged in."""
    world.admin.is_superuser = True
    world.admin.save()
    world.a_east.members.create(name="王小明", id_number="33048220100108567X", relation="子")
    audit_record(actor=world.admin, action="test.seen", target=world.a_east)
    client.force_login(world.admin)
    return client


def test_every_app_of_the_project_is_in_the_admin():
    apps = {app_label for app_label, _ in REGISTERED}

    assert {"accounts", "villages", "communities"} <= apps


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_every_changelist_loads_for_the_admin(admin_client, app_label, model_name):
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_every_changelist_search_works(admin_client, app_label, model_name):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    response = admin_client.get(url, {"q": "王"})

    assert response.status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_no_changelist_shows_full_personal_data(admin_client, app_label, model_name):
    body = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).content.decode()

    assert FULL_ID not in body
    assert FULL_ACCOUNT not in body
    assert "33048220100108567X" not in body


def test_household_changelist_masks_id_numbers_and_accounts(admin_client):
    body = admin_client.get(reverse("admin:villages_household_changelist")).content.decode()

    assert MASKED_ID in body
    assert FULL_ID not in body
    assert FULL_ACCOUNT not in body
    assert FULL_PHONE not in body


def test_household_changelist_search_finds_by_number(admin_client):
    response = admin_client.get(reverse("admin:villages_household_changelist"), {"q": "A002"})

    assert [household.number for household in response.context["cl"].result_list] == ["A002"]


def test_member_changelist_masks_id_numbers(admin_client):
    body = admin_client.get(reverse("admin:villages_member_changelist")).content.decode()

    assert "330482********567X" in body
    assert "33048220100108567X" not in body


def test_household_export_masks_personal_data(admin_client):
    url = reverse("admin:villages_household_export")
    form = admin_client.get(url).context["form"]
    data = {name: "on" for name in form.fields if name.startswith("householdexportresource_")}
    data["format"] = "0"  # the first format offered (CSV)
    data["resource"] = "0"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.has_header("Content-Disposition")
    body = response.content.decode("utf-8-sig")
    assert "A001" in body
    assert MASKED_ID in body
    assert FULL_ID not in body
    assert FULL_ACCOUNT not in body
    assert FULL_PHONE not in body


def test_admin_index_is_in_chinese(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()

    assert "平湖股权分红+善治积分 管理后台" in body
    assert '<html lang="zh-hans"' in body
    assert "股东户" in body


def test_admin_login_page_is_in_chinese(world, client):
    body = client.get(reverse("admin:login")).content.decode()

    assert "管理后台" in body
    assert "Password" not in body


@pytest.mark.parametrize("user_name", ["staff_east", "accountant_a", "villager_a"])
def test_admin_is_closed_to_users_who_are_not_staff(world, client, user_name):
    client.force_login(getattr(world, user_name))

    response = client.get(reverse("admin:villages_household_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response.url


@pytest.fixture
def accountant_in_admin(world, client):
    """An accountant given admin access and the right to view households and members."""
    accountant = world.accountant_a
    accountant.is_staff = True
    accountant.save()
    accountant.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_household", "view_member", "view_sharemovement"]
        )
    )
    world.b_east.members.create(name="陈小红", relation="女")
    client.force_login(accountant)
    return client


def test_household_changelist_keeps_an_admin_users_scope(world, accountant_in_admin):
    response = accountant_in_admin.get(reverse("admin:villages_household_changelist"))

    assert sorted(h.number for h in response.context["cl"].result_list) == ["A001", "A002"]


def test_household_change_page_of_another_cooperative_is_not_shown(world, accountant_in_admin):
    response = accountant_in_admin.get(
        reverse("admin:villages_household_change", args=[world.b_east.pk])
    )

    # Not there or not theirs: 404 (accounts.admin_scope.ScopedAdmin).
    assert response.status_code == 404


def test_member_changelist_keeps_an_admin_users_scope(world, accountant_in_admin):
    response = accountant_in_admin.get(reverse("admin:villages_member_changelist"))

    assert "陈小红" not in response.content.decode()


def test_movement_changelist_keeps_an_admin_users_scope(world, accountant_in_admin):
    response = accountant_in_admin.get(reverse("admin:villages_sharemovement_changelist"))

    households = {movement.household.number for movement in response.context["cl"].result_list}
    assert households == {"A001", "A002"}


def test_household_export_keeps_an_admin_users_scope(world, accountant_in_admin):
    url = reverse("admin:villages_household_export")
    form = accountant_in_admin.get(url).context["form"]
    data = {name: "on" for name in form.fields if name.startswith("householdexportresource_")}
    data.update({"format": "0", "resource": "0"})

    body = accountant_in_admin.post(url, data).content.decode("utf-8-sig")

    assert "A001" in body
    assert "B001" not in body
