"""Signed links that work until a given day: the QR codes of the dividend 公示
(`dividends.notice`) and of the 议站 board (`matters.board`).

A token is Django's signing of what the link opens plus its last day, under a salt of the
link's own, so a token of one kind never opens another; a forged, altered or expired one
reads as nothing."""

from datetime import date

from django.core import signing


def dated_token(payload, *, until, salt):
    """The token naming `payload` (a dict) until the day `until`."""
    return signing.dumps({**payload, "until": until.isoformat()}, salt=salt)


def dated_payload(token, *, salt, on):
    """The payload a token names on the day `on`, or None (bad, forged or expired)."""
    try:
        data = signing.loads(token, salt=salt)
        until = date.fromisoformat(data["until"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return data if on <= until else None
