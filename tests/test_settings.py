"""Settings come from the environment; production mode passes `check --deploy` cleanly.

Settings are read once per process, so each case runs in a subprocess with its own
environment.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Variables that would leak the caller's configuration into the cases below (the browser
# tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process, which `check --deploy` rejects).
CONFIG_VARIABLES = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DEMO_ALLOW_LAN_HOSTS",
)


def run(args, **environment):
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="pinghu_points.settings", **environment)
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_environment(**overrides):
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.org",
        **overrides,
    }


def read_settings(names, **environment):
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    completed = run(["-c", code], **environment)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_production_settings_pass_check_deploy_without_warnings():
    completed = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_environment(),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = production_environment()
    del environment["SECRET_KEY"]
    completed = run(["manage.py", "check"], **environment)
    assert completed.returncode != 0
    assert "SECRET_KEY" in completed.stderr


def test_production_hardening_is_on():
    values = read_settings(
        [
            "DEBUG",
            "ALLOWED_HOSTS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
        ],
        **production_environment(),
    )
    assert values == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["example.org"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
    }


# --- The demo served to phones on the LAN (`make run HOST=0.0.0.0`) -----------------

# A LAN address the phone would use; pinned so the cases do not depend on this machine.
PHONE_HOST = "192.168.1.23"


def read_settings_with_lan(names, **environment):
    """read_settings, with this machine's LAN addresses pinned to PHONE_HOST."""
    code = (
        "import json, django; import pinghu_points.lan as lan; "
        f"lan.lan_ipv4_addresses = lambda: [{PHONE_HOST!r}]; "
        "from django.conf import settings; from django.http.request import validate_host; "
        "django.setup(); "
        f"values = {{n: getattr(settings, n) for n in {list(names)!r}}}; "
        f"values['phone_host_valid'] = validate_host('{PHONE_HOST}', settings.ALLOWED_HOSTS); "
        "print(json.dumps(values, default=str))"
    )
    completed = run(["-c", code], **environment)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_production_allowed_hosts_ignore_the_demo_lan_flag():
    names = ["ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    strict = read_settings_with_lan(names, **production_environment())
    flagged = read_settings_with_lan(names, **production_environment(DEMO_ALLOW_LAN_HOSTS="1"))
    assert strict == flagged
    assert flagged["ALLOWED_HOSTS"] == ["example.org"]
    assert flagged["phone_host_valid"] is False
    # Production without ALLOWED_HOSTS still accepts nothing, flag or not.
    environment = production_environment(DEMO_ALLOW_LAN_HOSTS="1")
    del environment["ALLOWED_HOSTS"]
    assert read_settings_with_lan(["ALLOWED_HOSTS"], **environment)["ALLOWED_HOSTS"] == []


def test_demo_accepts_the_lan_address_only_with_the_flag():
    names = [
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
    ]
    loopback = read_settings_with_lan(names)
    assert loopback["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]
    assert loopback["phone_host_valid"] is False
    lan = read_settings_with_lan(names, DEMO_ALLOW_LAN_HOSTS="1")
    assert lan["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver", PHONE_HOST]
    assert lan["phone_host_valid"] is True
    # Plain http on the LAN address: cookies without Secure, no redirect to https; the
    # CSRF origin check compares with the request's own host (tests/test_first_minute.py).
    assert lan["DEBUG"] is True
    assert lan["CSRF_TRUSTED_ORIGINS"] == []
    assert (lan["SESSION_COOKIE_SECURE"], lan["CSRF_COOKIE_SECURE"]) == (False, False)
    assert lan["SECURE_SSL_REDIRECT"] is False


def test_demo_lan_flag_reads_this_machines_addresses():
    from pinghu_points.lan import lan_ipv4_addresses

    values = read_settings(["ALLOWED_HOSTS"], DEMO_ALLOW_LAN_HOSTS="1")
    assert values["ALLOWED_HOSTS"] == [
        "127.0.0.1",
        "localhost",
        "testserver",
        *lan_ipv4_addresses(),
    ]


def test_embedded_defaults_chinese_shanghai_sqlite_and_eager_celery():
    values = read_settings(
        [
            "LANGUAGE_CODE",
            "TIME_ZONE",
            "USE_TZ",
            "USE_I18N",
            "DEBUG",
            "DATABASES",
            "CELERY_TASK_ALWAYS_EAGER",
        ]
    )
    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert values["TIME_ZONE"] == "Asia/Shanghai"
    assert values["USE_TZ"] is True
    assert values["USE_I18N"] is True
    assert values["DEBUG"] is True
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True


def test_database_url_and_broker_url_are_read_from_the_environment():
    values = read_settings(
        ["DATABASES", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_TASK_ALWAYS_EAGER"],
        DATABASE_URL="postgres://pinghu:secret@db.internal:5433/pinghu",
        CELERY_BROKER_URL="redis://cache.internal:6379/2",
    )
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "pinghu",
        "pinghu",
        "secret",
    )
    assert (database["HOST"], database["PORT"]) == ("db.internal", 5433)
    assert values["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"
    assert values["CELERY_RESULT_BACKEND"] == "redis://cache.internal:6379/2"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False


def test_the_throttle_counters_go_to_redis_when_asked():
    default = read_settings(["CACHES"])["CACHES"]
    assert default["throttle"]["BACKEND"].endswith("LocMemCache")
    shared = read_settings(["CACHES"], THROTTLE_CACHE_URL="redis://cache.internal:6379/2")["CACHES"]
    assert shared["throttle"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["throttle"]["LOCATION"] == "redis://cache.internal:6379/2"
    # What may be recomputed stays in memory: a Redis outage takes no page down.
    assert shared["default"]["BACKEND"].endswith("LocMemCache")


# --- docker-compose.yml -------------------------------------------------------------

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"


def test_compose_file_has_web_worker_postgres_and_redis():
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"web", "worker", "postgres", "redis"} <= set(services)
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        for variable in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "THROTTLE_CACHE_URL",
            "SECRET_KEY",
            "DEBUG",
        ):
            assert variable in environment, (name, variable)
        assert str(environment["DEBUG"]) == "0"
        assert {"postgres", "redis"} <= set(services[name]["depends_on"])
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "celery" in " ".join(services["worker"]["command"])
    for name in services:
        assert "healthcheck" in services[name], name


def compose_binary():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_file_is_accepted_by_docker_compose():
    binary = compose_binary()
    if binary is None:
        pytest.skip("neither docker-compose nor `docker compose` is installed")
    completed = subprocess.run(
        [*binary, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "SECRET_KEY": secrets.token_urlsafe(64)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr


# --- Settings that refuse typos (issue 21, point 6) ----------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "ture"),
        ("DEBUG", ""),
        ("SECURE_SSL_REDIRECT", "yes please"),
        ("UPLOAD_MAX_MB", "10MB"),
        ("JOB_MAX_ATTEMPTS", "3.5"),
        ("LOGIN_FAILURE_LIMIT", "-1"),
        ("IMPORT_MAX_ROWS", "５０"),
        ("BROKER_CONNECT_TIMEOUT", "2s"),
    ],
)
def test_a_typo_stops_start_up_with_a_clear_message(name, value):
    environment = production_environment() if name == "SECURE_SSL_REDIRECT" else {}
    completed = run(["manage.py", "check"], **{**environment, name: value})
    assert completed.returncode != 0
    assert f"{name}={value!r} is not" in completed.stderr


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("On", True), ("no", False)])
def test_booleans_take_the_usual_words(value, expected):
    assert read_settings(["DEBUG"], DEBUG=value, SECRET_KEY="x" * 50)["DEBUG"] is expected


def test_integers_and_seconds_are_read_as_numbers():
    values = read_settings(
        ["UPLOAD_MAX_MB", "JOB_MAX_ATTEMPTS", "BROKER_CONNECT_TIMEOUT"],
        UPLOAD_MAX_MB=" 12 ",
        JOB_MAX_ATTEMPTS="4",
        BROKER_CONNECT_TIMEOUT="0.5",
    )
    assert values == {"UPLOAD_MAX_MB": 12, "JOB_MAX_ATTEMPTS": 4, "BROKER_CONNECT_TIMEOUT": 0.5}
