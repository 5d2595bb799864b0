"""The 议站 board's signed public link (docs/matters.md, "The board").

The dividend 公示's QR link mechanism (`pinghu_points/links.py`): a token signed with
Django's signing key and a salt of its own, naming what it opens (one micro-grid or one
community) and the last day it works. A printed board is posted for a quarter or so; its
link works `LINK_DAYS` days from the day it was printed, then answers 404.
"""

from datetime import timedelta

from django.utils import timezone

from pinghu_points.links import dated_payload, dated_token

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
    return dated_token({"kind": kind, "id": pk}, until=link_until(on), salt=SIGNING_SALT)


def scope_from_token(token, on=None):
    """(kind, id) a token names while it lasts, else None (bad, forged or expired)."""
    data = dated_payload(token, salt=SIGNING_SALT, on=on or today())
    try:
        kind, pk = data["kind"], int(data["id"])
    except (KeyError, TypeError, ValueError):
        return None
    return (kind, pk) if kind in KINDS else None
