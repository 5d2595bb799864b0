"""Issue 24.5: every message a user can see is the product's own sentence in both
languages, not a library's (Django's Chinese "确保该变量至少包含 18 字符" speaks of a
"variable"; its English ones are a library's wording on an otherwise product page).

The walk: every field of every form and serializer of the product's apps is given the
inputs a person mistypes (nothing, too short, too long, not a number, out of range, an
unknown choice, an empty or broken file), and each message it answers, in zh-hans and
in en, must be in that language and must not be a sentence of Django's, its contrib
apps', Django REST framework's or django-filter's catalogues. The product's wording
for the library's messages lives in its own catalogues (locale/zh_Hans and locale/en),
which Django reads first (LOCALE_PATHS).
"""

import gettext
import importlib
import inspect
import re
from decimal import Decimal
from pathlib import Path

import django
import django_filters
import pytest
import rest_framework
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework import exceptions as api_exceptions
from rest_framework import serializers

from tests.test_english import po_entries

APPS = ["accounts", "villages", "communities", "dividends", "appeals", "banking"]
MODULES = ["forms", "import_forms", "serializers", "api", "views", "admin", "filters"]
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.django_db


def _catalogue_dirs():
    roots = [Path(django.__file__).parent, Path(rest_framework.__file__).parent]
    roots.append(Path(django_filters.__file__).parent)
    return [path.parent for root in roots for path in root.rglob("locale/*/LC_MESSAGES")]


def _pattern(text):
    """A catalogue sentence as a regex: its placeholders match anything."""
    parts = re.split(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}", text)
    return "^" + ".+?".join(re.escape(part) for part in parts) + "$"


def _library_sentences(language):
    """{pattern} of the libraries' sentences: their English msgids (singular and plural,
    from the .po files), or their zh_Hans translations (from the .mo files)."""
    texts = set()
    for root in {path.parent for path in _catalogue_dirs()}:
        if language == "en":
            for po in root.glob("*/LC_MESSAGES/*.po"):
                for entry in po_entries(po):
                    texts.update(filter(None, [entry["msgid"], entry["plural"]]))
            continue
        for mo in (root / "zh_Hans" / "LC_MESSAGES").glob("*.mo"):
            with mo.open("rb") as handle:
                texts.update(gettext.GNUTranslations(handle)._catalog.values())
    return {re.compile(_pattern(text.strip()), re.S) for text in texts if _worded(text)}


def _worded(text):
    """A sentence with words of its own (not "%(a)s %(b)s", not "Yes")."""
    literal = re.sub(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}|\W", "", text)
    return len(literal) >= 4


LIBRARY = {}


def library(language):
    if language not in LIBRARY:
        LIBRARY[language] = _library_sentences(language)
    return LIBRARY[language]


def foreign(message, language):
    """Why `message` is not the product's own sentence in `language`, or None."""
    text = str(message).strip()
    if language == "en" and CJK.search(text):
        return "Chinese in English"
    if language == "zh-hans" and not CJK.search(text):
        return "not Chinese"
    for pattern in library(language):
        if pattern.match(text):
            return f"a library's sentence ({pattern.pattern[:40]})"
    return None


def _classes(base):
    found = {}
    for app in APPS:
        for name in MODULES:
            try:
                module = importlib.import_module(f"{app}.{name}")
            except ModuleNotFoundError:
                continue
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, base)
                    and value.__module__.split(".")[0] in APPS
                ):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def _bad_inputs():
    return [
        None,
        "",
        "x",
        "1" * 17,
        "z" * 5000,
        "abc",
        "-99999999999",
        "99999999999999999",
        "1.234567",
        "2026-13-45",
        "no-such-choice",
        SimpleUploadedFile("photo.jpg", b""),
        SimpleUploadedFile("photo.jpg", b"not an image"),
        SimpleUploadedFile("x" * 300 + ".xlsx", b"PK"),
    ]


def _form_messages(field):
    messages = []
    for value in _bad_inputs():
        try:
            field.clean(value)
        except ValidationError as error:
            messages += error.messages
        except Exception:  # a field that cannot take this kind of value at all
            continue
    return messages


def _serializer_messages(field):
    messages = []
    for value in [*_bad_inputs(), serializers.empty]:
        try:
            field.run_validation(value)
        except serializers.ValidationError as error:
            messages += _flat(error.detail)
        except Exception:
            continue
    return messages


def _flat(detail):
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _flat(value)]
    if isinstance(detail, list):
        return [text for value in detail for text in _flat(value)]
    return [str(detail)]


def _form_fields():
    for name, form_class in _classes(forms.BaseForm).items():
        try:
            fields = form_class.base_fields
        except AttributeError:
            continue
        for field_name, field in fields.items():
            yield f"{name}.{field_name}", field


def _serializer_fields():
    for name, serializer_class in _classes(serializers.BaseSerializer).items():
        try:
            fields = serializer_class().fields
        except Exception:
            continue
        for field_name, field in fields.items():
            if not field.read_only:
                yield f"{name}.{field_name}", field


def _walk(language):
    problems, seen = [], 0
    with translation.override(language):
        for where, field in _form_fields():
            for message in _form_messages(field):
                seen += 1
                if reason := foreign(message, language):
                    problems.append((where, message, reason))
        for where, field in _serializer_fields():
            for message in _serializer_messages(field):
                seen += 1
                if reason := foreign(message, language):
                    problems.append((where, message, reason))
    return problems, seen


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_form_and_serializer_message_is_the_products_own(language):
    problems, seen = _walk(language)
    assert seen > 200  # the walk reached the fields
    assert problems == [], "\n".join(f"{w}: {m!r} ({r})" for w, m, r in sorted(set(problems)))


def test_the_walk_catches_a_library_sentence():
    """The check itself: Django's own Chinese and English sentences are caught."""
    assert foreign("确保该变量至少包含 18 字符(目前字符数 17)。", "zh-hans")
    assert foreign("Ensure this value has at least 18 characters (it has 17).", "en")
    assert foreign("这个字段是必填项。", "zh-hans")
    assert not foreign("请填写这一项", "zh-hans")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_api_errors_are_the_products_own(language):
    translation.activate(language)
    errors = [
        api_exceptions.NotAuthenticated(),
        api_exceptions.AuthenticationFailed(),
        api_exceptions.PermissionDenied(),
        api_exceptions.NotFound(),
        api_exceptions.MethodNotAllowed("DELETE"),
        api_exceptions.ParseError(),
        api_exceptions.UnsupportedMediaType("text/plain"),
        api_exceptions.NotAcceptable(),
        api_exceptions.Throttled(wait=30),
    ]
    translation.deactivate()
    with translation.override(language):
        problems = [
            (type(error).__name__, str(error.detail))
            for error in errors
            if foreign(error.detail, language)
        ]
    assert problems == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_password_rules_are_the_products_own(language, django_user_model):
    with translation.override(language):
        with pytest.raises(ValidationError) as raised:
            password_validation.validate_password("1234")
        problems = [m for m in raised.value.messages if foreign(m, language)]
        problems += [
            str(text)
            for text in password_validation.password_validators_help_texts()
            if foreign(text, language)
        ]
    assert problems == []


def test_the_bank_look_up_says_how_many_digits_were_typed():
    from banking.forms import LookupForm

    with translation.override("zh-hans"):
        form = LookupForm(data={"id_number": "3" * 17})
        assert not form.is_valid()
        assert form.errors["id_number"] == ["身份证号应为18位（现在是17位），最后一位可为X"]
    with translation.override("en"):
        form = LookupForm(data={"id_number": "3" * 17})
        assert not form.is_valid()
        assert form.errors["id_number"] == [
            "An ID number has 18 characters (17 typed); the last may be X"
        ]


def test_the_english_login_error_is_english(client, world):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("accounts:login"), {"username": "acc_a", "password": "no"})
    errors = response.context["form"].non_field_errors()
    assert errors and not foreign(errors[0], "en")
    assert "The card number (account) or the password is wrong" in response.content.decode()


def test_decimal_inputs_answer_in_the_products_words():
    """A spot check of the walk's kind of answer: an amount with too many decimals."""
    field = forms.DecimalField(max_digits=12, decimal_places=2)
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as raised:
            field.clean(Decimal("1.234"))
    assert not foreign(raised.value.messages[0], "zh-hans")


def test_the_chinese_catalogue_is_compiled_from_its_po():
    """locale/zh_Hans/LC_MESSAGES/django.mo is committed like the English one."""
    directory = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"
    with (directory / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = po_entries(directory / "django.po")
    assert len(entries) > 40
    stale = [
        entry["msgid"]
        for entry in entries
        if (
            compiled.ngettext(entry["msgid"], entry["plural"], 1)
            if entry["plural"]
            else compiled.gettext(entry["msgid"])
        )
        != entry["msgstr"][0]
    ]
    assert stale == [], "run: msgfmt -o locale/zh_Hans/LC_MESSAGES/django.mo …/django.po"
