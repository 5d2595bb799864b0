"""Logging in: by username or, for villagers, by the household card number.

A villager's username is the household's card number (``Household.card_number``,
e.g. ``TONGJIE-0001``). Villagers type it as they like — ``tongjie-0001``, with
full-width characters from a Chinese keyboard — so the login and django-axes both
read the typed name through `canonical_username`, and five failures under any
spelling lock the one account.

The lockout readers live here too: what axes counts, in the same cool-off window.
"""

import unicodedata

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Max, Sum
from django.utils import timezone

from .models import User


def canonical_username(username):
    """The stored username the typed one means; the typed one (tidied) if none or several."""
    if not username:
        return username
    typed = str(username)
    tidied = unicodedata.normalize("NFKC", typed).strip()
    for candidate in dict.fromkeys([typed, tidied]):
        if User.objects.filter(username=candidate).exists():
            return candidate
    matches = list(
        User.objects.filter(username__iexact=tidied).values_list("username", flat=True)[:2]
    )
    return matches[0] if len(matches) == 1 else tidied


class CardNumberBackend(ModelBackend):
    """Django's ModelBackend, with the username looked up through `canonical_username`."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        return super().authenticate(
            request, username=canonical_username(username), password=password, **kwargs
        )


def axes_username(request, credentials):
    """AXES_USERNAME_CALLABLE: the account axes counts failures against."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get(field)
    return canonical_username(username)


# --- Reading the lockouts ------------------------------------------------------------


def failure_limit():
    return settings.AXES_FAILURE_LIMIT


def _recent_attempts():
    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


def failure_counts(*, username=None, ip_address=None):
    """Failures axes counts now against this account and this address."""
    attempts = _recent_attempts()

    def total(**filters):
        return attempts.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"] or 0

    return {
        "username": total(username=username) if username else 0,
        "ip_address": total(ip_address=ip_address) if ip_address else 0,
    }


def current_lockouts(parameter):
    """Accounts (parameter="username") or addresses ("ip_address") locked out now.

    Each row: the key, its failures, the last attempt and when the lockout ends by itself.
    """
    cool_off = get_cool_off()
    rows = (
        _recent_attempts()
        .exclude(**{f"{parameter}__isnull": True})
        .values(parameter)
        .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
        .filter(failures__gte=failure_limit())
        .order_by("-last_attempt")
    )
    return [
        {
            "key": row[parameter],
            "failures": row["failures"],
            "last_attempt": row["last_attempt"],
            "ends_at": row["last_attempt"] + cool_off if cool_off is not None else None,
        }
        for row in rows
    ]
