"""With Chinese active, the pages people read show no untranslated English UI labels.

A spot-check of the rendered text (and of the attributes a screen reader or a
placeholder shows), not a catalogue check: `makemessages` is not needed here.
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

# Words that are data or proper names, not UI labels.
ALLOWED = {"English", "COOPA", "COOPB", "EAST", "WEST"}
VISIBLE_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt", "data-label"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def english_words(response, *also_allowed):
    parser = VisibleText()
    parser.feed(response.content.decode())
    words = set(ENGLISH_WORD.findall(" ".join(parser.parts)))
    return words - ALLOWED - set(also_allowed)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_login_page_has_no_english_labels(client, db):
    response = client.get(reverse("accounts:login"))

    assert english_words(response) == set()


def test_login_error_is_in_chinese(world, client):
    response = client.post(
        reverse("accounts:login"), {"username": "acc_a", "password": "wrong-password"}
    )

    assert english_words(response, "acc_a") == set()


@pytest.mark.parametrize(
    "user_name",
    ["admin", "staff_east", "accountant_a", "supervisor_a", "villager_a"],
)
def test_home_page_has_no_english_labels(world, login, user_name):
    user = getattr(world, user_name)

    response = login(user).get(reverse("home"), follow=True)

    assert english_words(response, *ENGLISH_WORD.findall(user.username)) == set()


def test_household_pages_have_no_english_labels(world, login):
    client = login(world.accountant_a)

    for url in (
        reverse("villages:household_list"),
        reverse("villages:household_detail", args=[world.a_east.pk]),
        reverse("villages:share_transfer", args=[world.a_east.pk]),
    ):
        assert english_words(client.get(url), "acc") == set(), url


def test_audit_page_has_no_english_labels(world, login):
    response = login(world.admin).get(reverse("accounts:audit_list"))

    # Every action is labelled in Chinese (accounts/audit_display.py): no code is shown.
    assert english_words(response, "admin") == set()


def test_role_names_are_chinese(world, login):
    body = login(world.accountant_a).get(reverse("home")).content.decode()

    assert "acc_a · 合作社会计" in body


def test_the_check_does_catch_english(world, client):
    """The detector itself works: in English, the "required" error is English (the
    product's own wording of it since issue 24.5)."""
    client.post(reverse("set_language"), {"language": "en"})

    response = client.post(reverse("accounts:login"), {"username": "acc_a", "password": ""})

    assert {"Please", "fill", "this"} <= english_words(response, "acc_a")
