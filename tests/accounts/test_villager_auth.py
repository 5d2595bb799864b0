"""Villager accounts: card-number login, issued passwords, forced change, lockout, unlock.

From the outside, through the test client: the login page, the issue page, the
lockouts page and the API, with the audit trail they leave.
"""

import base64

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditRecord, User
from accounts.services import (
    INITIAL_PASSWORD_ALPHABET,
    lockout_lift,
    villager_password_issue,
)
from tests import factories
from tests.conftest import PASSWORD

LOGIN = reverse("accounts:login")
PASSWORD_CHANGE = reverse("accounts:password_change")
LOCKOUTS = reverse("accounts:lockouts")
NEW_PASSWORD = "my-own-long-pass-2024"
WRONG = "not-the-password"
HOME_IP = "10.0.0.7"


def issue_url(household):
    return reverse("accounts:villager_password", args=[household.pk])


@pytest.fixture
def issued(world):
    """A villager login for household A001 (card COOPA-A001), issued by its community's staff."""
    user, password = villager_password_issue(actor=world.staff_east, household=world.a_east)
    return user, password


def post_login(client, username, password, ip=HOME_IP, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def fail(client, username, times, ip=HOME_IP):
    for _ in range(times):
        response = post_login(client, username, WRONG, ip=ip)
    return response


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- Issuing the initial password ------------------------------------------------------


def test_issued_login_is_the_card_number_of_the_household(world, issued):
    user, password = issued

    assert user.username == world.a_east.card_number == "COOPA-A001"
    assert user.role == User.Role.VILLAGER
    assert user.household == world.a_east
    assert user.must_change_password is True
    assert len(password) == 8
    assert set(password) <= set(INITIAL_PASSWORD_ALPHABET)
    assert not set(password) & set("0O1lI")
    assert user.check_password(password)


def test_issuing_is_audited_without_the_password(world, issued):
    user, password = issued

    record = AuditRecord.objects.get(action="villager.password_issued")
    assert record.actor == world.staff_east
    assert record.object_id == str(user.pk)
    assert record.details["card_number"] == "COOPA-A001"
    assert record.details["created"] is True
    assert password not in repr(list(AuditRecord.objects.values()))


def test_reissuing_replaces_the_password_of_the_same_login(world, issued):
    user, first = issued

    again, second = villager_password_issue(actor=world.accountant_a, household=world.a_east)

    again.refresh_from_db()
    assert again.pk == user.pk
    assert not again.check_password(first) and again.check_password(second)
    assert again.must_change_password is True
    assert AuditRecord.objects.filter(action="villager.password_issued").count() == 1
    reset = AuditRecord.objects.get(action="villager.password_reset")
    assert reset.actor == world.accountant_a and reset.details["replaced"] == "issued"


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b", "villager_a", "villager_b"])
def test_service_refuses_actors_outside_the_households_scope(world, user_name):
    with pytest.raises(PermissionDenied):
        villager_password_issue(actor=getattr(world, user_name), household=world.a_east)

    assert not User.objects.filter(username__iexact="COOPA-A001").exists()
    assert not AuditRecord.objects.filter(action="villager.password_issued").exists()


def test_card_number_taken_by_another_login_is_refused(world):
    factories.user(username="COOPA-A001", role=User.Role.COMMUNITY_STAFF)

    with pytest.raises(ValidationError):
        villager_password_issue(actor=world.admin, household=world.a_east)

    taken = User.objects.get(username="COOPA-A001")
    assert taken.role == User.Role.COMMUNITY_STAFF
    assert taken.check_password(PASSWORD)


@pytest.mark.parametrize("user_name", ["staff_east", "accountant_a", "admin"])
def test_issue_page_asks_for_confirmation(world, login, user_name):
    response = login(getattr(world, user_name)).get(issue_url(world.a_east))

    body = response.content.decode()
    assert response.status_code == 200
    assert "COOPA-A001" in body
    assert "开通账号并发放初始密码" in body
    assert not User.objects.filter(username="COOPA-A001").exists()


def test_issue_page_shows_the_password_once(world, login):
    client = login(world.accountant_a)

    response = client.post(issue_url(world.a_east))
    assert response.status_code == 302
    shown = client.get(response.url)
    again = client.get(issue_url(world.a_east))

    user = User.objects.get(username="COOPA-A001")
    password = shown.context["issued"]["password"]
    assert user.check_password(password)
    assert password in shown.content.decode()
    assert "data-print" in shown.content.decode()  # the print button (static/js/site.js)
    assert "no-store" in shown.headers["Cache-Control"]
    assert again.context["issued"] is None
    assert password not in again.content.decode()
    assert "重新发放初始密码" in again.content.decode()


@pytest.mark.parametrize(
    ("user_name", "household_name"),
    [("staff_west", "a_east"), ("accountant_b", "a_east"), ("staff_east", "a_west")],
)
def test_issue_page_outside_scope_is_not_found_and_changes_nothing(
    world, login, user_name, household_name
):
    household = getattr(world, household_name)
    client = login(getattr(world, user_name))

    assert client.get(issue_url(household)).status_code == 404
    assert client.post(issue_url(household)).status_code == 404
    assert not User.objects.filter(username=household.card_number).exists()
    assert not AuditRecord.objects.filter(action="villager.password_issued").exists()


@pytest.mark.parametrize("household_name", ["a_east", "b_west"])
def test_issue_page_is_forbidden_to_villagers(world, login, household_name):
    client = login(world.villager_b)
    household = getattr(world, household_name)

    assert client.get(issue_url(household)).status_code == 403
    assert client.post(issue_url(household)).status_code == 403
    assert not User.objects.filter(username=household.card_number).exists()


def test_issue_page_requires_login(world, client):
    response = client.get(issue_url(world.a_east))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- Logging in with the card number and the forced change --------------------------------


def test_login_page_offers_the_card_number_and_prefills_it(client, db):
    body = client.get(LOGIN, {"card": "COOPA-A001"}).content.decode()

    assert "账号或股东卡号" in body
    assert 'value="COOPA-A001"' in body


def test_login_page_escapes_the_card_parameter(client, db):
    body = client.get(LOGIN, {"card": '"><script>x</script>'}).content.decode()

    assert "<script>x</script>" not in body


@pytest.mark.parametrize(
    "typed", ["COOPA-A001", "coopa-a001", "Coopa-A001", "ＣＯＯＰＡ－Ａ００１"]
)
def test_villager_logs_in_with_the_card_number_in_any_case(world, issued, client, typed):
    user, password = issued

    response = post_login(client, typed, password)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_first_login_leads_to_the_password_change_page(world, issued, client):
    response = post_login(client, "coopa-a001", issued[1])

    assert client.get(response.url, follow=True).redirect_chain[-1][0] == PASSWORD_CHANGE


@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("villages:household_list"),
        reverse("accounts:lockouts"),
        "/villages/households/1/",
    ],
)
def test_every_page_redirects_to_the_password_change_until_changed(world, issued, client, url):
    post_login(client, "COOPA-A001", issued[1])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == PASSWORD_CHANGE


def test_password_change_page_and_logout_stay_open(world, issued, client):
    post_login(client, "COOPA-A001", issued[1])

    assert client.get(PASSWORD_CHANGE).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert logged_in_user_id(client) is None


def test_api_refuses_with_403_json_until_changed(world, issued, client):
    post_login(client, "COOPA-A001", issued[1])

    response = client.get("/api/households/")

    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_api_with_basic_auth_refuses_until_changed(world, issued, client):
    token = base64.b64encode(f"COOPA-A001:{issued[1]}".encode()).decode()

    response = client.get("/api/households/", HTTP_AUTHORIZATION=f"Basic {token}")

    assert response.status_code == 403
    assert "王建国" not in response.content.decode()


def test_after_changing_the_password_the_villager_sees_their_card(world, issued, client):
    user, password = issued
    post_login(client, "COOPA-A001", password)

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password is False
    home = client.get(reverse("home"), follow=True)
    assert home.status_code == 200
    assert "COOPA-A001" in home.content.decode()
    assert client.get("/api/households/").status_code == 200
    assert AuditRecord.objects.filter(action="auth.password_changed", actor=user).exists()


def test_the_new_password_works_and_the_issued_one_no_longer(world, issued, client):
    user, password = issued
    post_login(client, "COOPA-A001", password)
    client.post(
        PASSWORD_CHANGE,
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    client.post(reverse("accounts:logout"))

    post_login(client, "coopa-a001", password)
    assert logged_in_user_id(client) is None
    post_login(client, "coopa-a001", NEW_PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)


def test_the_first_change_refuses_the_issued_password(world, issued, client):
    user, password = issued
    post_login(client, "COOPA-A001", password)

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": password, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    assert "不能沿用发放的初始密码" in response.content.decode()
    user.refresh_from_db()
    assert user.must_change_password is True
    assert client.get(reverse("home")).url == PASSWORD_CHANGE


def test_a_later_change_refuses_the_current_password(world, issued, client):
    user, password = issued
    post_login(client, "COOPA-A001", password)
    change = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    client.post(PASSWORD_CHANGE, {"old_password": password, **change})

    again = client.post(PASSWORD_CHANGE, {"old_password": NEW_PASSWORD, **change})

    assert again.status_code == 200
    assert "新密码不能与当前密码相同" in again.content.decode()


def _issued_days_ago(user, days):
    from datetime import timedelta

    from django.utils import timezone

    User.objects.filter(pk=user.pk).update(password_issued_at=timezone.now() - timedelta(days=days))


def test_an_unused_issued_password_expires(world, issued, client, settings):
    settings.ISSUED_PASSWORD_VALID_DAYS = 14
    user, password = issued
    _issued_days_ago(user, 15)

    response = post_login(client, "COOPA-A001", password)

    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert "初始密码已过期" in response.content.decode()
    assert "14" in response.content.decode()


def test_an_issued_password_within_its_days_still_logs_in(world, issued, client, settings):
    settings.ISSUED_PASSWORD_VALID_DAYS = 14
    user, password = issued
    _issued_days_ago(user, 13)

    post_login(client, "COOPA-A001", password)

    assert logged_in_user_id(client) == str(user.pk)


def test_a_session_with_an_expired_issued_password_ends(world, issued, client, settings):
    user, password = issued
    post_login(client, "COOPA-A001", password)
    _issued_days_ago(user, settings.ISSUED_PASSWORD_VALID_DAYS + 1)

    response = client.get(PASSWORD_CHANGE)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert logged_in_user_id(client) is None


def test_a_changed_password_never_expires(world, issued, client, settings):
    user, password = issued
    post_login(client, "COOPA-A001", password)
    client.post(
        PASSWORD_CHANGE,
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    client.post(reverse("accounts:logout"))
    user.refresh_from_db()
    assert user.password_issued_at is None
    _issued_days_ago(user, 400)

    post_login(client, "COOPA-A001", NEW_PASSWORD)

    assert logged_in_user_id(client) == str(user.pk)


def test_password_rules_are_shown_in_chinese_before_typing(world, issued, client):
    post_login(client, "COOPA-A001", issued[1])

    body = client.get(PASSWORD_CHANGE).content.decode()

    rules = body.index('id="password-rules"')
    assert rules < body.index('name="new_password1"')
    assert "至少 8 个字符" in body[rules:]
    assert "不能与当前密码或发放的初始密码相同" in body
    assert "&lt;li&gt;" not in body


def test_password_rule_errors_are_in_chinese(world, issued, client):
    post_login(client, "COOPA-A001", issued[1])

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": issued[1], "new_password1": "a1b2", "new_password2": "a1b2"},
    )

    body = response.content.decode()
    assert "密码太短，至少需要 8 个字符" in body
    assert "too short" not in body and "This password" not in body


def test_login_and_failure_are_audited_with_the_address(world, issued, client):
    user, password = issued

    post_login(client, "coopa-a001", WRONG, ip="10.2.3.4")
    post_login(client, "coopa-a001", password, ip="10.2.3.5")

    failure = AuditRecord.objects.get(action="auth.login_failed")
    assert failure.details["username"] == "COOPA-A001"  # the login it means, as stored
    assert failure.ip_address == "10.2.3.4"
    assert WRONG not in repr(failure.details)
    login_record = AuditRecord.objects.get(action="auth.login")
    assert login_record.actor == user
    assert login_record.ip_address == "10.2.3.5"


# --- Lockout ------------------------------------------------------------------------------


def test_five_failures_lock_the_card_number_even_with_the_right_password(world, issued, client):
    user, password = issued

    assert fail(client, "COOPA-A001", 4).status_code == 200
    fifth = fail(client, "COOPA-A001", 1)
    right = post_login(client, "COOPA-A001", password, ip="10.0.0.99")

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert "登录已锁定" in right.content.decode()
    assert "30 分钟" in right.content.decode()
    assert logged_in_user_id(client) is None


def test_failures_in_any_case_count_against_one_account(world, issued, client):
    fail(client, "COOPA-A001", 2, ip="10.0.1.1")
    fail(client, "coopa-a001", 2, ip="10.0.1.2")
    fail(client, "Coopa-A001", 1, ip="10.0.1.3")

    response = post_login(client, "COOPA-A001", issued[1], ip="10.0.1.4")

    assert response.status_code == 429
    assert logged_in_user_id(client) is None


def test_other_accounts_still_log_in_from_elsewhere(world, issued, client):
    fail(client, "COOPA-A001", 5)

    response = post_login(client, "acc_a", PASSWORD, ip="10.9.9.9")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(world.accountant_a.pk)


def test_failures_against_many_accounts_lock_the_address(world, issued, client):
    for username in ["acc_a", "acc_b", "staff_east", "nobody", "COOPA-A001"]:
        post_login(client, username, WRONG, ip="10.5.5.5")

    from_there = post_login(client, "staff_west", PASSWORD, ip="10.5.5.5")
    from_elsewhere = post_login(client, "staff_west", PASSWORD, ip="10.5.5.6")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_lockout(
    world, issued, client, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n, username in enumerate(["acc_a", "acc_b", "staff_east", "nobody", "x"]):
        post_login(client, username, WRONG, ip="10.6.6.6", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")

    response = post_login(
        client, "staff_west", PASSWORD, ip="10.6.6.6", HTTP_X_FORWARDED_FOR="9.9.9.9"
    )

    assert response.status_code == 429


# Behind one trusted proxy (TLS termination): the proxy connects from 172.16.0.1 and
# appends the address it got the request from to whatever X-Forwarded-For the client sent.
PROXY = "172.16.0.1"


def through_proxy(client, username, password, real_ip, forged=None):
    forwarded = f"{forged}, {real_ip}" if forged else real_ip
    return post_login(client, username, password, ip=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_the_proxy_the_forwarded_address_is_the_one_locked(world, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for username in ["a", "b", "c", "d", "e"]:
        through_proxy(client, username, WRONG, "203.0.113.5")

    locked_out = through_proxy(client, "acc_a", PASSWORD, "203.0.113.5")
    neighbour = through_proxy(client, "acc_a", PASSWORD, "203.0.113.6")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert locked_out.status_code == 429
    assert neighbour.status_code == 302


def test_behind_the_proxy_one_persons_failures_do_not_lock_everybody(world, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(12):
        through_proxy(client, f"guess{n}", WRONG, "198.51.100.7")

    other_person = through_proxy(client, "acc_a", PASSWORD, "198.51.100.8")

    assert other_person.status_code == 302
    assert logged_in_user_id(client) == str(world.accountant_a.pk)
    assert not AuditRecord.objects.filter(action="auth.login_failed", ip_address=PROXY).exists()
    assert AuditRecord.objects.get(action="auth.login").ip_address == "198.51.100.8"


def test_behind_the_proxy_a_forged_left_most_hop_neither_dodges_nor_enters_the_trail(
    world, client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(12):
        through_proxy(client, f"guess{n}", WRONG, "203.0.113.9", forged=f"10.66.{n}.1")

    response = through_proxy(client, "acc_a", PASSWORD, "203.0.113.9", forged="10.66.99.1")

    assert response.status_code == 429
    assert logged_in_user_id(client) is None
    recorded = set(AuditRecord.objects.values_list("ip_address", flat=True))
    assert recorded == {"203.0.113.9"}
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "172.16.0.1"),
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (2, "1.2.3.4", "1.2.3.4"),
        (1, "", "172.16.0.1"),
        (1, "6.6.6.6, not-an-address", "172.16.0.1"),
        (1, "6.6.6.6,2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_counts_trusted_hops_from_the_right(
    rf, settings, count, forwarded, expected
):
    from accounts.middleware import client_address

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_lockout_is_audited_once_when_it_starts(world, issued, client):
    user, password = issued

    fail(client, "coopa-a001", 5, ip="10.7.7.7")
    post_login(client, "COOPA-A001", password, ip="10.7.7.8")
    fail(client, "COOPA-A001", 2, ip="10.7.7.8")

    record = AuditRecord.objects.get(action="auth.locked_out")
    assert record.object_id == str(user.pk)
    assert record.ip_address == "10.7.7.7"
    assert record.details["username"] == "COOPA-A001"
    assert sorted(record.details["locked"]) == ["ip_address", "username"]
    # Every refused attempt is still in the trail as a failure.
    assert AuditRecord.objects.filter(action="auth.login_failed").count() == 8


def test_address_lockout_is_audited(world, client):
    for username in ["a", "b", "c", "d", "e"]:
        post_login(client, username, WRONG, ip="10.8.8.8")

    record = AuditRecord.objects.get(action="auth.locked_out")
    assert record.details["locked"] == ["ip_address"]
    assert record.details["ip_address"] == "10.8.8.8"


# --- The lockouts page and lifting a lockout ----------------------------------------------


@pytest.fixture
def locked(world, issued, client):
    """COOPA-A001 locked out (five failures from one phone)."""
    fail(client, "COOPA-A001", 5)
    client.cookies.clear()
    return issued


def lockout_keys(response, name="accounts"):
    return [row["key"] for row in response.context[name]]


@pytest.mark.parametrize("user_name", ["staff_east", "accountant_a", "admin"])
def test_lockout_is_visible_to_staff_in_scope(world, locked, login, user_name):
    response = login(getattr(world, user_name)).get(LOCKOUTS)

    assert response.status_code == 200
    assert lockout_keys(response) == ["COOPA-A001"]
    assert "王建国" in response.content.decode()


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b"])
def test_lockout_is_hidden_from_staff_outside_scope(world, locked, login, user_name):
    response = login(getattr(world, user_name)).get(LOCKOUTS)

    assert response.status_code == 200
    assert lockout_keys(response) == []
    assert "COOPA-A001" not in response.content.decode()


def test_only_the_admin_sees_address_lockouts(world, locked, login):
    admin = login(world.admin).get(LOCKOUTS)
    staff = login(world.staff_east).get(LOCKOUTS)

    assert lockout_keys(admin, "addresses") == [HOME_IP]
    assert staff.context["addresses"] == []
    assert HOME_IP not in staff.content.decode()


def test_staffs_lockouts_page_lists_no_staff_accounts(world, login, client):
    fail(client, "acc_b", 5)

    assert lockout_keys(login(world.staff_east).get(LOCKOUTS)) == []
    assert lockout_keys(login(world.admin).get(LOCKOUTS)) == ["acc_b"]


@pytest.mark.parametrize("user_name", ["villager_a", "villager_b"])
def test_lockouts_page_is_forbidden_to_villagers(world, locked, login, user_name):
    client = login(getattr(world, user_name))

    assert client.get(LOCKOUTS).status_code == 403
    assert client.post(LOCKOUTS, {"username": "COOPA-A001"}).status_code == 403
    assert AccessAttempt.objects.filter(username="COOPA-A001").exists()


def test_lockouts_page_requires_login(client, db):
    response = client.get(LOCKOUTS)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_lifting_the_lockout_lets_the_villager_log_in(world, locked, client):
    user, password = locked
    client.force_login(world.staff_east)

    response = client.post(LOCKOUTS, {"username": "COOPA-A001"})
    client.post(reverse("accounts:logout"))
    again = post_login(client, "coopa-a001", password)

    assert response.status_code == 302
    assert again.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)
    record = AuditRecord.objects.get(action="auth.lockout_lifted")
    assert record.actor == world.staff_east
    assert record.object_id == str(user.pk)
    assert record.details["username"] == "COOPA-A001"
    assert record.details["failures"]["username"] == 5


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b"])
def test_lifting_outside_scope_is_not_found_and_changes_nothing(world, locked, login, user_name):
    client = login(getattr(world, user_name))

    response = client.post(LOCKOUTS, {"username": "COOPA-A001"})

    assert response.status_code == 404
    assert AccessAttempt.objects.filter(username="COOPA-A001").exists()
    assert not AuditRecord.objects.filter(action="auth.lockout_lifted").exists()
    client.logout()
    assert post_login(client, "COOPA-A001", locked[1]).status_code == 429


def test_staff_cannot_lift_an_address_lockout(world, locked, login):
    response = login(world.staff_east).post(LOCKOUTS, {"ip_address": HOME_IP})

    assert response.status_code == 403
    assert AccessAttempt.objects.filter(ip_address=HOME_IP).exists()


def test_admin_lifts_an_address_lockout(world, client):
    for username in ["a", "b", "c", "d", "e"]:
        post_login(client, username, WRONG, ip="10.3.3.3")
    client.force_login(world.admin)

    client.post(LOCKOUTS, {"ip_address": "10.3.3.3"})
    client.post(reverse("accounts:logout"))

    assert post_login(client, "acc_a", PASSWORD, ip="10.3.3.3").status_code == 302
    record = AuditRecord.objects.get(action="auth.lockout_lifted")
    assert record.details["ip_address"] == "10.3.3.3"


def test_lockout_lift_service_checks_scope(world, locked):
    with pytest.raises(PermissionDenied):
        lockout_lift(actor=world.staff_west, username="COOPA-A001")
    with pytest.raises(PermissionDenied):
        lockout_lift(actor=world.accountant_a, ip_address=HOME_IP)

    assert lockout_lift(actor=world.accountant_a, username="COOPA-A001") == 1


def test_reissuing_the_password_lifts_the_lockout(world, locked, client):
    _, new_password = villager_password_issue(actor=world.staff_east, household=world.a_east)

    response = post_login(client, "COOPA-A001", new_password)

    assert response.status_code == 302
    record = AuditRecord.objects.filter(action="villager.password_reset").latest("id")
    assert record.details["attempts_lifted"] == 1
    lifted = AuditRecord.objects.get(action="auth.lockout_lifted")
    assert lifted.details["household_id"] == world.a_east.pk
    assert lifted.details["attempts_deleted"] == 1


def test_menu_offers_the_lockouts_page_to_staff_not_villagers(world, login):
    staff_body = login(world.staff_east).get(reverse("home")).content.decode()
    villager_body = login(world.villager_a).get(reverse("home"), follow=True).content.decode()

    assert f'href="{LOCKOUTS}"' in staff_body
    assert f'href="{LOCKOUTS}"' not in villager_body


# --- The documented code on every channel (issue 20, point 11) ---------------------------


def test_basic_auth_gets_the_documented_code(world, issued, client):
    token = base64.b64encode(f"COOPA-A001:{issued[1]}".encode()).decode()

    for path in ("/api/households/", "/api/v1/households/", "/api/v1/score-events/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Basic {token}")
        assert response.status_code == 403, path
        assert response.json()["code"] == "password_change_required", path


def test_an_api_token_of_the_login_gets_the_documented_code(world, issued, client):
    from banking import services as bank_services
    from banking.models import ApiToken

    _, key = bank_services.api_token_create(
        name="phone", scope=ApiToken.Scope.USER, user=issued[0], actor=world.admin
    )

    for path in ("/api/v1/households/", f"/api/v1/households/{world.b_west.pk}/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 403, path
        assert response.json()["code"] == "password_change_required", path


def test_a_bank_officer_with_an_issued_password_gets_the_documented_code(world, client):
    officer = world.bank_officer
    officer.must_change_password = True
    officer.save()
    token = base64.b64encode(f"{officer.username}:{PASSWORD}".encode()).decode()

    response = client.get(
        "/api/v1/bank/lookup/", {"id_number": "x"}, HTTP_AUTHORIZATION=f"Basic {token}"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
