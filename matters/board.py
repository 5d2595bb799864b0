"""The 议站 board's signed public link (docs/matters.md, "The board").

The same mechanism as the dividend 公示's QR link (`dividends.notice`): a token signed with
Django's signing key and a salt of its own, naming what it opens (one micro-grid or one
community) and the last day it works. A printed board is posted for a quarter or so; its
link works `LINK_DAYS` days from the day it was printed, then answers 404.
"""

from datetime import date, timedelta

from django.core import signing
from django.utils import timezone

SIGNING_SALT = "matters.board"
LINK_DAYS = 100
KINDS = ("grid", "community")


def today():
    """The local date; a function so tests can pin it."""
    return timezone.localdate()


def link_until(on=None):
    return (on or today()) + timedelta(days=LINK_DAYS)


def public_token(*, kind, pk, on=None):
    """The signed token of the QR link of a grid's or a community's board."""
    assert kind in KINDS
    return signing.dumps(
        {"kind": kind, "id": pk, "until": link_until(on).isoformat()}, salt=SIGNING_SALT
    )


def scope_from_token(token, on=None):
    """(kind, id) a token names while it lasts, else None (bad, forged or expired)."""
    try:
        data = signing.loads(token, salt=SIGNING_SALT)
        until = date.fromisoformat(data["until"])
        kind, pk = data["kind"], int(data["id"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if kind not in KINDS or (on or today()) > until:
        return None
    return kind, pk
