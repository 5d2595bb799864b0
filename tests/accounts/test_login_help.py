"""A login that helps (issue 13): the true message about the card number's case, the
attempts left before the lock, who can lift it (with the community's phone), and a
confirmation after the first password change."""

import pytest
from django.urls import reverse

from accounts.services import villager_password_issue
from tests.accounts.test_villager_auth import LOGIN, NEW_PASSWORD, PASSWORD_CHANGE, fail, post_login


@pytest.fixture
def issued(world):
    world.east.phone = "0573-85011111"
    world.east.save()
    return villager_password_issue(actor=world.staff_east, household=world.a_east)


def test_wrong_password_says_card_numbers_are_not_case_sensitive(world, issued, client):
    body = fail(client, "coopa-a001", 1).content.decode()

    assert "卡号不区分大小写" in body
    assert "可能区分大小写" not in body  # Django's default message
    assert "case-sensitive" not in body


def test_attempts_left_count_down(world, issued, client, settings):
    limit = settings.AXES_FAILURE_LIMIT

    assert f"还可以再试 {limit - 1} 次" in fail(client, "COOPA-A001", 1).content.decode()
    assert f"还可以再试 {limit - 2} 次" in fail(client, "coopa-a001", 1).content.decode()


def test_who_can_lift_the_lock_with_the_communitys_phone(world, issued, client):
    body = fail(client, "COOPA-A001", 1).content.decode()

    assert "请找东湖社区工作人员解除锁定或重新发放密码，电话 0573-85011111" in body


def test_the_lockout_page_names_the_community_and_phone(world, issued, client, settings):
    response = fail(client, "COOPA-A001", settings.AXES_FAILURE_LIMIT + 1)

    assert response.status_code == 429
    assert "电话 0573-85011111" in response.content.decode()


def test_unknown_account_gets_the_general_advice(world, client):
    body = fail(client, "NOBODY-0001", 1).content.decode()

    assert "请带上股东积分卡到社区或村合作社" in body
    assert "东湖社区" not in body


def test_rules_are_shown_before_typing(world, issued, client):
    user, password = issued
    post_login(client, user.username, password)

    body = client.get(PASSWORD_CHANGE).content.decode()

    assert "至少" in body and "8" in body


def test_first_password_change_is_confirmed(world, issued, client):
    user, password = issued
    post_login(client, user.username, password)

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("card:mine")
    assert "密码已修改。以后请用新密码登录，初始密码不再有效。" in body
    assert LOGIN  # the login page stays where it was
