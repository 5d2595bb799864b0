"""Who may change a villager's login (issue 20, point 1).

Creating a villager login, issuing or resetting its password and lifting its lockout are
for the staff of the household's community, the accountant of its cooperative and the
subdistrict admin (`accounts.scope.households_login_keepable_by`). The supervisor
(理事长/监事长) of the household's own cooperative reads the register but must not take over
a villager's login: refused on the page, in the service, on the lockouts page, in the admin
site, and no API operation changes a login. Every change is audited as what it is.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import audit_display
from accounts.models import AuditRecord, User
from accounts.services import lockout_lift, villager_password_issue
from tests import factories
from tests.conftest import PASSWORD

LOCKOUTS = reverse("accounts:lockouts")
# Roles that keep no villager login, even of a household they may read.
REFUSED_ROLES = ["supervisor_a", "bank_officer", "villager_a", "villager_b", "no_role"]


def issue_url(household):
    return reverse("accounts:villager_password", args=[household.pk])


@pytest.fixture
def actors(world):
    world.no_role = factories.user(username="nobody")
    return world


@pytest.fixture
def existing_login(world):
    """COOPA-A001's login, with a password its villager set, and two failed logins."""
    login, _ = villager_password_issue(actor=world.staff_east, household=world.a_east)
    login.set_password("villager-own-pass-2026")
    login.must_change_password = False
    login.password_issued_at = None
    login.save()
    AccessAttempt.objects.create(
        username=login.username,
        ip_address="10.0.0.9",
        user_agent="phone",
        failures_since_start=2,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    return login


def unchanged(login):
    fresh = User.objects.get(pk=login.pk)
    return fresh.check_password("villager-own-pass-2026") and not fresh.must_change_password


# --- The service ------------------------------------------------------------------------


@pytest.mark.parametrize("user_name", REFUSED_ROLES)
def test_service_refuses_roles_that_keep_no_logins(actors, user_name):
    with pytest.raises(PermissionDenied):
        villager_password_issue(actor=getattr(actors, user_name), household=actors.a_east)

    assert not User.objects.filter(username__iexact="COOPA-A001").exists()
    assert not AuditRecord.objects.filter(action__startswith="villager.").exists()


@pytest.mark.parametrize("user_name", REFUSED_ROLES)
def test_service_refuses_a_reset_to_roles_that_keep_no_logins(actors, existing_login, user_name):
    with pytest.raises(PermissionDenied):
        villager_password_issue(actor=getattr(actors, user_name), household=actors.a_east)

    assert unchanged(existing_login)
    assert not AuditRecord.objects.filter(action="villager.password_reset").exists()


@pytest.mark.parametrize("user_name", REFUSED_ROLES)
def test_lockout_lift_service_refuses_roles_that_keep_no_logins(actors, existing_login, user_name):
    with pytest.raises(PermissionDenied):
        lockout_lift(actor=getattr(actors, user_name), username="COOPA-A001")

    assert AccessAttempt.objects.filter(username="COOPA-A001").exists()


# --- The pages --------------------------------------------------------------------------


@pytest.mark.parametrize("user_name", REFUSED_ROLES)
def test_issue_page_is_forbidden_and_changes_nothing(actors, login, existing_login, user_name):
    client = login(getattr(actors, user_name))

    assert client.get(issue_url(actors.a_east)).status_code == 403
    assert client.post(issue_url(actors.a_east)).status_code == 403
    assert client.post(issue_url(actors.a_west)).status_code == 403  # no login yet

    assert unchanged(existing_login)
    assert not User.objects.filter(username=actors.a_west.card_number).exists()
    assert (
        not AuditRecord.objects.filter(
            action__in=["villager.password_reset", "villager.login_created"], actor__isnull=False
        )
        .exclude(actor=actors.staff_east)
        .exists()
    )


@pytest.mark.parametrize("user_name", REFUSED_ROLES)
def test_lockouts_page_is_forbidden_and_lifts_nothing(actors, login, existing_login, user_name):
    client = login(getattr(actors, user_name))

    assert client.get(LOCKOUTS).status_code == 403
    assert client.post(LOCKOUTS, {"username": "COOPA-A001"}).status_code == 403

    assert AccessAttempt.objects.filter(username="COOPA-A001").exists()
    assert not AuditRecord.objects.filter(action="auth.lockout_lifted").exists()


def test_supervisor_sees_the_household_without_the_password_button(world, login):
    body = login(world.supervisor_a).get(
        reverse("villages:household_detail", args=[world.a_east.pk])
    )

    assert body.status_code == 200
    assert issue_url(world.a_east) not in body.content.decode()


@pytest.mark.parametrize("user_name", ["staff_east", "accountant_a", "admin"])
def test_household_page_offers_the_password_button_to_those_who_keep_logins(
    world, login, user_name
):
    body = login(getattr(world, user_name)).get(
        reverse("villages:household_detail", args=[world.a_east.pk])
    )

    assert issue_url(world.a_east) in body.content.decode()


# --- The admin site ---------------------------------------------------------------------


@pytest.fixture
def admin_site_intruder(world):
    """A supervisor who was let into the admin site with every permission on logins."""
    intruder = world.supervisor_a
    intruder.is_staff = True
    intruder.save()
    intruder.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    return User.objects.get(pk=intruder.pk)


def test_admin_refuses_a_villagers_password_to_anyone_but_the_subdistrict_admin(
    world, client, existing_login, admin_site_intruder
):
    client.force_login(admin_site_intruder)
    password_url = reverse("admin:auth_user_password_change", args=[existing_login.pk])

    page = client.get(password_url)
    sent = client.post(
        password_url,
        {"password1": "taken-over-2026-pass", "password2": "taken-over-2026-pass"},
    )

    assert page.status_code == 403
    assert sent.status_code == 403
    assert unchanged(existing_login)


def test_admin_refuses_creating_or_changing_logins_to_anyone_but_the_subdistrict_admin(
    world, client, existing_login, admin_site_intruder
):
    client.force_login(admin_site_intruder)
    change_url = reverse("admin:accounts_user_change", args=[existing_login.pk])
    add_url = reverse("admin:accounts_user_add")

    assert client.get(change_url).status_code == 403
    assert client.get(add_url).status_code == 403
    created = client.post(
        add_url,
        {
            "username": "COOPA-A002",
            "password1": "taken-over-2026-pass",
            "password2": "taken-over-2026-pass",
            "role": User.Role.VILLAGER,
            "household": world.a_west.pk,
            "usable_password": "true",
        },
    )

    assert created.status_code == 403
    assert not User.objects.filter(username="COOPA-A002").exists()
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_admin_password_reset_of_a_villager_is_audited_as_a_reset(world, client, existing_login):
    superuser = factories.user(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    password_url = reverse("admin:auth_user_password_change", args=[existing_login.pk])

    response = client.post(
        password_url,
        {"password1": "desk-reset-2026-pass", "password2": "desk-reset-2026-pass"},
    )

    assert response.status_code == 302
    record = AuditRecord.objects.get(action="villager.password_reset")
    assert record.actor == superuser
    assert record.details["household_id"] == world.a_east.pk
    assert record.details["channel"] == "admin"
    assert "desk-reset-2026-pass" not in repr(list(AuditRecord.objects.values()))


def test_admin_creating_a_villager_login_is_audited_as_a_villager_login(world, client):
    superuser = factories.user(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "COOPA-A002",
            "password1": "desk-created-2026-pass",
            "password2": "desk-created-2026-pass",
            "usable_password": "true",
            "role": User.Role.VILLAGER,
            "household": world.a_west.pk,
            "staff_memberships-TOTAL_FORMS": 0,
            "staff_memberships-INITIAL_FORMS": 0,
            "_save": "1",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    record = AuditRecord.objects.get(action="villager.login_created")
    assert record.details["household_id"] == world.a_west.pk
    assert record.details["channel"] == "admin"


# --- The API ----------------------------------------------------------------------------


def test_no_api_operation_changes_a_login(db):
    """The API has no route that creates a login or sets a password; one added later must
    come with its refusals (and this test must be changed on purpose)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]
    assert writes  # the API does write (score events, runs): the check reads real routes
    assert not [
        (path, method)
        for path, method in writes
        if any(word in path for word in ("user", "password", "login", "account", "lockout"))
    ]


@pytest.mark.parametrize("user_name", ["supervisor_a", "bank_officer"])
def test_basic_auth_reaches_no_login_change(actors, client, existing_login, user_name):
    """HTTP Basic works on the API only; the issue page stays a page that wants a session."""
    import base64

    user = getattr(actors, user_name)
    credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    response = client.post(issue_url(actors.a_east), HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert unchanged(existing_login)


# --- What the trail says ----------------------------------------------------------------


def test_a_new_login_is_audited_as_created_and_issued(world):
    villager_password_issue(actor=world.accountant_a, household=world.a_west)

    actions = list(
        AuditRecord.objects.filter(details__household_id=world.a_west.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["villager.login_created", "villager.password_issued"]


def test_a_reset_of_the_villagers_own_password_is_audited_as_a_reset_and_unlock(
    world, existing_login
):
    villager_password_issue(actor=world.accountant_a, household=world.a_east)

    reset = AuditRecord.objects.get(action="villager.password_reset")
    assert reset.details["replaced"] == "own"
    assert reset.details["household_id"] == world.a_east.pk
    lifted = AuditRecord.objects.get(action="auth.lockout_lifted")
    assert lifted.details["household_id"] == world.a_east.pk
    assert lifted.actor == world.accountant_a


def test_every_login_change_reads_as_words_and_is_in_the_households_trail(
    world, existing_login, login
):
    villager_password_issue(actor=world.staff_east, household=world.a_east)
    for code in ("villager.login_created", "villager.password_issued", "villager.password_reset"):
        assert audit_display.action_label(code) != code

    body = (
        login(world.admin)
        .get(reverse("accounts:audit_list"), {"household": world.a_east.pk})
        .content.decode()
    )

    for words in ("开通村民账号", "发放村民初始密码", "重置村民密码", "解除登录锁定"):
        assert words in body
