"""Home, login, language switch and the audit page, from the outside."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

ROLES = [
    "admin",
    "staff_east",
    "staff_west",
    "accountant_a",
    "accountant_b",
    "villager_a",
    "villager_b",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The world creates seven logins; the default hasher makes that take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("user_name", ROLES)
def test_home_page_greets_every_role_in_chinese(world, login, user_name):
    # A villager's home is their point card (card first): followed, it greets them there.
    response = login(getattr(world, user_name)).get(reverse("home"), follow=True)

    assert response.status_code == 200
    greeting = "股东积分卡" if user_name.startswith("villager") else "您好"
    assert greeting in response.content.decode()
    assert '<html lang="zh-hans">' in response.content.decode()


def test_home_page_redirects_anonymous_user_to_login(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_home_page_counts_only_the_users_households(world, login):
    response = login(world.staff_east).get(reverse("home"))

    assert response.context["household_count"] == 2


def test_staff_home_lists_only_the_micro_grids_of_their_community(world, login):
    body = login(world.staff_east).get(reverse("home")).content.decode()

    assert "东一网格" in body
    assert "西一网格" not in body


def test_villager_home_shows_own_card_not_anothers(world, login):
    body = login(world.villager_a).get(reverse("home"), follow=True).content.decode()

    assert "COOPA-A001" in body
    assert "A002" not in body
    assert "B001" not in body


def test_login_page_is_chinese_by_default(client, db):
    response = client.get(reverse("accounts:login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in body
    assert "登录" in body
    assert "密码" in body


def test_set_language_switches_the_login_page_to_english(client, db):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("accounts:login")}
    )
    assert response.status_code == 302

    body = client.get(reverse("accounts:login")).content.decode()

    assert '<html lang="en">' in body


def test_set_language_back_to_chinese(client, db):
    client.post(reverse("set_language"), {"language": "en"})
    client.post(reverse("set_language"), {"language": "zh-hans"})

    body = client.get(reverse("accounts:login")).content.decode()

    assert '<html lang="zh-hans">' in body


def test_english_login_error_no_longer_says_case_sensitive(world, client):
    # Our own message replaced Django's "both fields may be case-sensitive" (issue 13);
    client.post(reverse("set_language"), {"language": "en"})

    response = client.post(
        reverse("accounts:login"), {"username": "acc_a", "password": "wrong-password"}
    )

    body = response.content.decode()
    assert 'class="errorlist"' in body
    assert "may be case-sensitive" not in body
    assert "The card number is not case-sensitive" in body


def test_login_with_right_password_goes_home(world, client):
    response = client.post(reverse("accounts:login"), {"username": "acc_a", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_with_wrong_password_stays_on_login_page(world, client):
    response = client.post(
        reverse("accounts:login"), {"username": "acc_a", "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_user_who_must_change_password_is_sent_to_password_page(world, login):
    world.accountant_a.must_change_password = True
    world.accountant_a.save()

    response = login(world.accountant_a).get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change")


def test_changing_password_clears_the_obligation(world, login):
    world.accountant_a.must_change_password = True
    world.accountant_a.save()
    client = login(world.accountant_a)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-987",
            "new_password2": "another-long-pass-987",
        },
    )

    assert response.status_code == 302
    world.accountant_a.refresh_from_db()
    assert world.accountant_a.must_change_password is False


def test_audit_list_is_open_to_the_subdistrict_admin(world, login):
    response = login(world.admin).get(reverse("accounts:audit_list"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "user_name", ["staff_east", "accountant_a", "accountant_b", "villager_a", "villager_b"]
)
def test_audit_list_is_forbidden_to_everyone_else(world, login, user_name):
    response = login(getattr(world, user_name)).get(reverse("accounts:audit_list"))

    assert response.status_code == 403


def test_audit_list_redirects_anonymous_user_to_login(client, db):
    response = client.get(reverse("accounts:audit_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_audit_list_filters_by_action(world, client):
    client.post(reverse("accounts:login"), {"username": "acc_a", "password": "nope"})
    client.force_login(world.admin)

    response = client.get(reverse("accounts:audit_list"), {"action": "auth.login_failed"})

    actions = {record.action for record in response.context["page"]}
    assert actions == {"auth.login_failed"}


def test_admin_menu_entries_follow_the_role(world, login):
    admin_body = login(world.admin).get(reverse("home")).content.decode()
    villager_body = login(world.villager_a).get(reverse("home")).content.decode()

    assert f'href="{reverse("accounts:audit_list")}"' in admin_body
    assert f'href="{reverse("accounts:audit_list")}"' not in villager_body
    assert f'href="{reverse("villages:household_list")}"' not in villager_body
