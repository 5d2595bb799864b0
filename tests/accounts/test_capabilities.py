"""Named capabilities (issue 21, point 3): one answer per role, asked everywhere."""

import pytest

from accounts.models import User

CAPABILITIES = {
    # role: (may_score, may_pay, may_read_runs, may_print_cards)
    User.Role.SUBDISTRICT_ADMIN: (True, True, True, True),
    User.Role.COMMUNITY_STAFF: (True, False, False, True),
    User.Role.ACCOUNTANT: (False, True, True, True),
    User.Role.SUPERVISOR: (False, False, True, False),
    User.Role.VILLAGER: (False, False, False, False),
    User.Role.BANK: (False, False, False, False),
}


@pytest.mark.parametrize(("role", "expected"), CAPABILITIES.items())
def test_each_role_has_its_capabilities(role, expected):
    user = User(role=role)
    assert (user.may_score, user.may_pay, user.may_read_runs, user.may_print_cards) == expected


def test_a_superuser_without_a_role_is_the_admin():
    user = User(is_superuser=True)
    assert user.may_score and user.may_pay and user.may_read_runs and user.may_print_cards
