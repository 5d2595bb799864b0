"""The audit trail: append-only, readable by the admin, written by every permission change."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditRecord, User
from accounts.services import audit_record, user_set_role
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superadmin(world):
    """The subdistrict admin as seed_demo creates it: a superuser, so the admin site opens."""
    world.admin.is_superuser = True
    world.admin.save()
    return world.admin


@pytest.fixture
def record(world):
    return audit_record(actor=world.admin, action="test.something", target=world.a_east)


# Append-only


def test_audit_record_names_actor_and_target(world, record):
    assert record.actor == world.admin
    assert record.actor_username == "admin"
    assert record.object_type == "villages.Household"
    assert record.object_id == str(world.a_east.pk)


def test_saving_an_existing_audit_record_is_refused(record):
    record.action = "tampered"

    with pytest.raises(PermissionError):
        record.save()
    assert AuditRecord.objects.get(pk=record.pk).action == "test.something"


def test_deleting_an_audit_record_is_refused(record):
    with pytest.raises(PermissionError):
        record.delete()
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_queryset_update_of_audit_records_is_refused(record):
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(pk=record.pk).update(action="tampered")
    assert AuditRecord.objects.get(pk=record.pk).action == "test.something"


def test_queryset_delete_of_audit_records_is_refused(record):
    with pytest.raises(PermissionError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.filter(pk=record.pk).exists()


# Admin


def test_admin_changelist_of_audit_records_opens_for_the_admin(superadmin, record, client):
    client.force_login(superadmin)

    response = client.get(reverse("admin:accounts_auditrecord_changelist"))

    assert response.status_code == 200
    assert "test.something" in response.content.decode()


def test_admin_changelist_offers_no_add_button(superadmin, record, client):
    client.force_login(superadmin)

    response = client.get(reverse("admin:accounts_auditrecord_changelist"))

    assert response.context["has_add_permission"] is False
    assert reverse("admin:accounts_auditrecord_add") not in response.content.decode()


def test_admin_add_url_for_audit_records_is_forbidden(superadmin, client):
    client.force_login(superadmin)

    response = client.get(reverse("admin:accounts_auditrecord_add"))

    assert response.status_code == 403


def test_admin_delete_url_for_audit_records_is_forbidden(superadmin, record, client):
    client.force_login(superadmin)

    response = client.post(
        reverse("admin:accounts_auditrecord_delete", args=[record.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_admin_change_view_of_an_audit_record_is_read_only(superadmin, record, client):
    client.force_login(superadmin)
    url = reverse("admin:accounts_auditrecord_change", args=[record.pk])

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()
    assert client.post(url, {"action": "tampered"}).status_code == 403
    assert AuditRecord.objects.get(pk=record.pk).action == "test.something"


def test_admin_bulk_delete_action_is_not_offered(superadmin, record, client):
    client.force_login(superadmin)

    response = client.get(reverse("admin:accounts_auditrecord_changelist"))

    assert "delete_selected" not in response.content.decode()


def test_admin_filters_audit_records_by_action(superadmin, record, client):
    audit_record(actor=superadmin, action="test.other")
    client.force_login(superadmin)

    response = client.get(
        reverse("admin:accounts_auditrecord_changelist"), {"action__exact": "test.other"}
    )

    assert {r.action for r in response.context["cl"].result_list} == {"test.other"}


@pytest.mark.parametrize("user_name", ["staff_east", "accountant_a", "villager_a"])
def test_audit_admin_is_closed_to_other_roles(world, client, user_name):
    client.force_login(getattr(world, user_name))

    response = client.get(reverse("admin:accounts_auditrecord_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response.url


# Logins


def test_login_through_login_page_records_auth_login_with_ip(world, client):
    client.post(
        reverse("accounts:login"),
        {"username": "acc_a", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )

    record = AuditRecord.objects.get(action="auth.login")
    assert record.actor == world.accountant_a
    assert record.actor_username == "acc_a"
    assert record.ip_address == "10.1.2.3"


def test_failed_login_records_username_and_ip(world, client):
    client.post(
        reverse("accounts:login"),
        {"username": "acc_a", "password": "Secret-Guess-42"},
        REMOTE_ADDR="10.9.8.7",
    )

    record = AuditRecord.objects.get(action="auth.login_failed")
    assert record.actor is None
    assert record.details["username"] == "acc_a"
    assert record.ip_address == "10.9.8.7"


def test_failed_login_never_stores_the_password(world, client):
    client.post(reverse("accounts:login"), {"username": "acc_a", "password": "Secret-Guess-42"})

    stored = AuditRecord.objects.filter(action="auth.login_failed").values()
    assert stored
    assert "Secret-Guess-42" not in repr(list(stored))


def test_logout_is_recorded(world, login):
    client = login(world.accountant_a)

    client.post(reverse("accounts:logout"))

    assert AuditRecord.objects.filter(action="auth.logout", actor=world.accountant_a).exists()


# Role and permission changes


def test_user_set_role_writes_one_record_with_before_and_after(world):
    user_set_role(
        user=world.staff_east,
        actor=world.admin,
        role=User.Role.ACCOUNTANT,
        cooperative=world.coop_b,
    )

    record = AuditRecord.objects.get()
    assert record.action == "user.role_changed"
    assert record.actor == world.admin
    assert record.object_id == str(world.staff_east.pk)
    assert record.details["before"]["role"] == "community_staff"
    assert record.details["before"]["communities"] == ["EAST"]
    assert record.details["after"]["role"] == "accountant"
    assert record.details["after"]["cooperative_id"] == world.coop_b.pk
    assert record.details["after"]["communities"] == []


def test_user_set_role_takes_effect_on_scope(world):
    from accounts.scope import households_visible_to

    user_set_role(
        user=world.staff_east,
        actor=world.admin,
        role=User.Role.ACCOUNTANT,
        cooperative=world.coop_b,
    )

    assert sorted(households_visible_to(world.staff_east).values_list("number", flat=True)) == [
        "B001",
        "B002",
    ]


def _user_change_form_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "role": user.role,
        "cooperative": user.cooperative_id or "",
        "household": user.household_id or "",
        "staff_memberships-TOTAL_FORMS": "0",
        "staff_memberships-INITIAL_FORMS": "0",
        "staff_memberships-MIN_NUM_FORMS": "0",
        "staff_memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_role_change_through_admin_form_writes_one_record_with_before_and_after(
    world, superadmin, client
):
    client.force_login(superadmin)
    accountant = world.accountant_a

    response = client.post(
        reverse("admin:accounts_user_change", args=[accountant.pk]),
        _user_change_form_data(accountant, cooperative=world.coop_b.pk),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    accountant.refresh_from_db()
    assert accountant.cooperative == world.coop_b
    records = AuditRecord.objects.filter(action="user.role_changed")
    assert records.count() == 1
    record = records.get()
    assert record.actor == superadmin
    assert record.details["before"]["cooperative_id"] == world.coop_a.pk
    assert record.details["after"]["cooperative_id"] == world.coop_b.pk


def test_saving_admin_user_form_without_role_change_writes_no_role_record(
    world, superadmin, client
):
    client.force_login(superadmin)

    client.post(
        reverse("admin:accounts_user_change", args=[world.accountant_a.pk]),
        _user_change_form_data(world.accountant_a, first_name="会计甲"),
    )

    assert not AuditRecord.objects.filter(action="user.role_changed").exists()
    assert not AuditRecord.objects.filter(action="user.permissions_changed").exists()


def test_adding_a_user_to_a_group_is_recorded(world):
    group = Group.objects.create(name="会计组")

    world.accountant_a.groups.add(group)

    record = AuditRecord.objects.get(action="user.permissions_changed")
    assert record.object_id == str(world.accountant_a.pk)
    assert record.details["relation"] == "groups"
    assert record.details["change"] == "add"
    assert record.details["ids"] == [group.pk]


def test_adding_users_from_the_group_side_is_recorded_per_user_naming_the_group(world):
    group = Group.objects.create(name="会计组")

    group.user_set.add(world.accountant_a, world.accountant_b)

    records = AuditRecord.objects.filter(action="user.permissions_changed")
    assert sorted(records.values_list("object_id", flat=True)) == sorted(
        [str(world.accountant_a.pk), str(world.accountant_b.pk)]
    )
    assert [record.details["ids"] for record in records] == [[group.pk], [group.pk]]


def test_clearing_a_users_groups_names_the_groups_removed(world):
    group = Group.objects.create(name="会计组")
    world.accountant_a.groups.add(group)

    world.accountant_a.groups.clear()

    record = AuditRecord.objects.get(action="user.permissions_changed", details__change="clear")
    assert record.details["ids"] == [group.pk]


def test_clearing_a_groups_members_is_recorded_for_each_member(world):
    group = Group.objects.create(name="会计组")
    group.user_set.add(world.accountant_a, world.accountant_b)

    group.user_set.clear()

    cleared = AuditRecord.objects.filter(action="user.permissions_changed", details__change="clear")
    assert sorted(cleared.values_list("object_id", flat=True)) == sorted(
        [str(world.accountant_a.pk), str(world.accountant_b.pk)]
    )


def test_removing_a_permission_is_recorded(world):
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="view_household")
    world.accountant_a.user_permissions.add(permission)

    world.accountant_a.user_permissions.remove(permission)

    record = AuditRecord.objects.get(details__change="remove")
    assert record.details == {"relation": "permissions", "change": "remove", "ids": [permission.pk]}


def test_group_change_through_admin_names_the_admin(world, superadmin, client):
    group = Group.objects.create(name="会计组")
    client.force_login(superadmin)

    client.post(
        reverse("admin:accounts_user_change", args=[world.accountant_a.pk]),
        _user_change_form_data(world.accountant_a, groups=[group.pk]),
        REMOTE_ADDR="10.4.4.4",
    )

    record = AuditRecord.objects.get(action="user.permissions_changed")
    assert record.actor == superadmin
    assert record.ip_address == "10.4.4.4"
    assert record.details["ids"] == [group.pk]


def test_a_password_typed_as_the_username_never_reaches_the_trail(world, client):
    """Issue 20, point 11: only an existing login's name is kept; anything else as a keyed
    hash, the same for the same text, so repeated tries show without the text."""
    secret = "my-Secret-pass-2026"
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": secret, "password": "whatever"})
    client.post(reverse("accounts:login"), {"username": "ACC_A", "password": "wrong"})

    failures = list(AuditRecord.objects.filter(action="auth.login_failed").order_by("pk"))
    assert secret not in repr(list(AuditRecord.objects.values()))
    assert secret.lower() not in repr(list(AuditRecord.objects.values())).lower()
    assert failures[0].details["username"] == ""
    assert failures[0].details["unknown_username"] == failures[1].details["unknown_username"]
    assert failures[0].details["typed_length"] == len(secret)
    assert failures[2].details["username"] == "acc_a"  # a real login, as stored
