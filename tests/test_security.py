"""Site-wide hardening: the Content-Security-Policy, the staff idle session, and the
security settings that deployment (docs/deployment.md, docker-compose.yml) must name."""

import re
import time
from pathlib import Path

import pytest
import yaml
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts import middleware
from tests.conftest import PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT_ROOT / "templates"
LOGIN = reverse("accounts:login")


# --- Content-Security-Policy ----------------------------------------------------------------


def template_files():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize(
    "path", template_files(), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_has_inline_script_handler_or_style(path):
    text = path.read_text(encoding="utf-8")

    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag]
    handlers = re.findall(r"\son[a-z]+\s*=", text)
    styles = re.findall(r"<style\b|\sstyle\s*=", text)

    assert inline_scripts == [], inline_scripts
    assert handlers == [], handlers
    assert styles == [], styles
    assert "javascript:" not in text


def header_policy(response):
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


def test_pages_send_a_strict_content_security_policy(world, client):
    policy = header_policy(client.get(LOGIN))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_logged_in_pages_and_the_api_docs_send_it_too(world, login):
    client = login(world.staff_east)

    for url in (reverse("home"), reverse("villages:household_list"), "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert header_policy(response)["script-src"] == ["'self'"], url


# --- Idle sessions: short for staff, two weeks for villagers -----------------------------------


def login_through_the_page(client, username):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("user_name", ["staff_east", "accountant_a", "admin"])
def test_staff_sessions_end_after_the_idle_limit(world, client, settings, user_name):
    settings.STAFF_SESSION_IDLE_MINUTES = 240
    user = getattr(world, user_name)

    login_through_the_page(client, user.username)

    assert client.session.get_expiry_age() == 240 * 60
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 240 * 60


def test_villager_sessions_keep_two_weeks(world, client, settings):
    login_through_the_page(client, world.villager_a.username)

    assert client.session.get_expiry_age() == 14 * 24 * 60 * 60


def test_working_moves_the_staff_idle_limit_forward(world, client, settings, monkeypatch):
    settings.STAFF_SESSION_IDLE_MINUTES = 240
    login_through_the_page(client, world.staff_east.username)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date

    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    client.get(reverse("villages:household_list"))

    assert Session.objects.get(session_key=key).expire_date > first


def test_an_idle_staff_session_is_logged_out(world, client, settings):
    login_through_the_page(client, world.staff_east.username)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=Session.objects.get().expire_date.replace(year=2000)
    )

    response = client.get(reverse("villages:household_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_session_limits_by_role(world, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 90

    assert middleware.session_idle_limit(world.staff_east) == 90 * 60
    assert middleware.session_idle_limit(world.admin) == 90 * 60
    assert middleware.session_idle_limit(world.villager_a) == settings.SESSION_COOKIE_AGE


# --- Deployment names every security setting ---------------------------------------------------

SECURITY_SETTINGS = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "TRUSTED_PROXY_COUNT",
    "UPLOAD_MAX_MB",
    "PRIVATE_FILES_ACCEL_PREFIX",
    "ISSUED_PASSWORD_VALID_DAYS",
    "STAFF_SESSION_IDLE_MINUTES",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
    "CONTENT_SECURITY_POLICY",
    "SESSION_COOKIE_AGE",
]


@pytest.mark.parametrize("name", SECURITY_SETTINGS)
def test_deployment_docs_list_each_security_setting(name):
    docs = (PROJECT_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")

    assert f"`{name}`" in docs


def test_compose_sets_the_trusted_proxy_count():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

    for name in ("web", "worker"):
        assert "TRUSTED_PROXY_COUNT" in compose["services"][name]["environment"], name


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, 0), ({"TRUSTED_PROXY_COUNT": "2"}, 2), ({"BEHIND_PROXY": "1"}, 1)],
)
def test_trusted_proxy_count_comes_from_the_environment(environment, expected):
    from tests.test_settings import read_settings

    values = read_settings(["TRUSTED_PROXY_COUNT"], **environment)

    assert values["TRUSTED_PROXY_COUNT"] == expected
