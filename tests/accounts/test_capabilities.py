"""Named capabilities (issue 21, point 3): one answer per role, asked everywhere."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import User
from communities.models import MonthStatusChange
from communities.services import month_close

CAPABILITIES = {
    # role: (may_score, may_pay, may_read_runs, may_print_cards)
    # The city admin reads (every town's runs), the town admin does as before towns.
    User.Role.CITY_ADMIN: (False, False, True, False),
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


def test_a_superuser_without_a_role_is_the_city_admin():
    user = User(is_superuser=True)
    assert user.is_city_admin and not user.is_town_admin and user.role_label == "市级管理员"
    assert (user.may_score, user.may_pay, user.may_read_runs, user.may_print_cards) == (
        CAPABILITIES[User.Role.CITY_ADMIN]
    )
    # A town admin made a superuser by mistake is the city admin, not their town's.
    assert User(is_superuser=True, role=User.Role.SUBDISTRICT_ADMIN).is_city_admin


# The capabilities added for issue 21, point 3 (b): role → the answer of each.
MORE = (
    "may_sign",
    "may_read_overview",
    "may_answer_appeals",
    "may_keep_logins",
    "may_lift_any_lockout",
    "may_reopen_months",
    "may_read_audit",
    "may_set_up_towns",
    "may_read_towns",
)
MORE_CAPABILITIES = {
    # The city admin reads the overviews and the audit trail and lifts any lockout; signs,
    # answers, keeps villager logins and reopens months nowhere (the towns do); sets up
    # towns and reads them side by side.
    User.Role.CITY_ADMIN: (False, True, False, False, True, False, True, True, True),
    # A town admin: as before towns (the audit trail and lockouts of their town's logins);
    # their town in the towns' table, no new town.
    User.Role.SUBDISTRICT_ADMIN: (True, True, True, True, True, True, True, False, True),
    User.Role.COMMUNITY_STAFF: (False, True, True, True, False, False, False, False, False),
    User.Role.ACCOUNTANT: (True, True, True, True, False, False, False, False, False),
    User.Role.SUPERVISOR: (True, True, False, False, False, False, False, False, False),
    User.Role.VILLAGER: (False, False, False, False, False, False, False, False, False),
    User.Role.BANK: (False, False, False, False, False, False, False, False, False),
}


@pytest.mark.parametrize(("role", "expected"), MORE_CAPABILITIES.items())
def test_each_role_has_the_capabilities_of_the_menu_and_the_runs(role, expected):
    user = User(role=role)
    assert tuple(getattr(user, name) for name in MORE) == expected
    superuser = User(is_superuser=True)
    assert (
        tuple(getattr(superuser, name) for name in MORE)
        == (MORE_CAPABILITIES[User.Role.CITY_ADMIN])
    )


ROLE_EXPRESSION = re.compile(
    r"is_(?:subdistrict_admin|admin|town_admin|city_admin)\s+or\s|\bor\s+\w+\.is_(?:community_staff|accountant|supervisor)\b"
    r"|\brole\s*==|\brole\s+in\s"
)
# Where roles are facts rather than gates: the model defines them, scope says which rows
# each role sees, the role editor and the demo set them, the admin site keeps its own gate.
NOT_GATES = {
    "accounts/models.py",
    "accounts/scope.py",
    "accounts/services.py",
    "accounts/admin_scope.py",
}


def test_views_menu_and_templates_ask_capabilities_not_roles():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    files = [*root.glob("templates/**/*.html")]
    for app in (
        "accounts",
        "appeals",
        "awards",
        "banking",
        "communities",
        "dividends",
        "matters",
        "villages",
    ):
        files += [p for p in (root / app).rglob("*.py") if "migrations" not in p.parts]
    for path in files:
        name = str(path.relative_to(root))
        if name in NOT_GATES or name.endswith("demo.py") or "/management/" in name:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ROLE_EXPRESSION.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_a_supervisor_cannot_close_a_month_through_the_service(world):
    """Closing is scoring work: the service refuses a role that may not score, whatever
    communities its scope reaches (a supervisor sees those its households live in)."""
    with pytest.raises(PermissionDenied):
        month_close(
            actor=world.supervisor_a,
            community=world.east,
            month=date(2025, 3, 1),
            today=date(2025, 6, 15),
        )
    assert not MonthStatusChange.objects.exists()


@pytest.mark.parametrize(
    ("user_name", "offered"),
    [("staff_east", True), ("accountant_a", True), ("admin", True), ("supervisor_a", False)],
)
def test_the_household_page_offers_printing_to_those_who_may_print(
    world, login, user_name, offered
):
    """The print button follows `may_print_cards` (a supervisor's click would be refused)."""
    from django.urls import reverse

    page = login(getattr(world, user_name)).get(
        reverse("villages:household_detail", args=[world.a_east.pk])
    )
    assert page.status_code == 200
    assert (
        reverse("card:print") + f"?household={world.a_east.pk}" in page.content.decode()
    ) is offered
