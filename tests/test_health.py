"""/healthz, the 503 answers when a dependency is down, and the timeouts that bound them
(docs/deployment.md, "Timeouts and health check").

The hanging and closed databases are real: a child process gets DATABASE_URL pointing
at a local socket that accepts connections and never answers (or at a closed port) and
must answer its requests in bounded time. They need only psycopg2, not a PostgreSQL
server, and run in the SQLite suite too.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test import Client

from pinghu_points import errors
from tests.test_i18n import english_words

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_ok_without_login_and_discloses_nothing(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_healthz_is_503_when_the_database_is_down(client, db, monkeypatch):
    from pinghu_points import health

    class DownConnection:
        def cursor(self):
            raise OperationalError("could not connect to server at 10.0.0.5")

        def close(self):
            pass

    monkeypatch.setattr(health, "connection", DownConnection())
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down", "queue": "ok"}
    assert "10.0.0.5" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_in_bounded_time_when_the_broker_is_silent(client, settings):
    from tests.dividends.test_jobs import celery_pointed_at

    with silent_listener() as port, celery_pointed_at(f"redis://127.0.0.1:{port}/0"):
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "queue": "down"}
    # Connect succeeds, the first read waits BROKER_SOCKET_TIMEOUT (5 s), no second try.
    assert elapsed < settings.BROKER_SOCKET_TIMEOUT + 3, elapsed


def test_a_database_error_in_a_middleware_is_a_503_page_rendered_without_the_database(
    db, monkeypatch, django_assert_num_queries
):
    import accounts.middleware

    def database_gone(request):
        raise OperationalError("connection to server at 10.0.0.5 failed: timeout expired")

    monkeypatch.setattr(accounts.middleware, "_must_change_password", database_gone)
    client = Client(raise_request_exception=False)

    with django_assert_num_queries(0):
        page = client.get("/dividends/")
        api = client.get("/api/dividend-runs/")

    assert page.status_code == 503 and "服务暂时不可用" in page.content.decode()
    assert "10.0.0.5" not in page.content.decode()
    assert api.status_code == 503 and api.json()["code"] == "service_unavailable"


def test_the_503_page_and_the_api_body(rf, db):
    page = errors.unavailable_response(rf.get("/dividends/"))
    body = page.content.decode()
    assert page.status_code == 503
    assert "服务暂时不可用" in body and "site-header" in body  # the site's layout
    assert english_words(page) == set()
    api = errors.unavailable_response(rf.get("/api/dividend-runs/"))
    assert api.status_code == 503 and api["Content-Type"] == "application/json"
    assert json.loads(api.content) == {
        "detail": "服务暂时不可用：数据库或任务队列无法连接，请稍后再试。",
        "code": "service_unavailable",
    }


def test_handler500_turns_dependency_errors_into_503_and_others_into_500(rf):
    from kombu.exceptions import OperationalError as BrokerDown

    request = rf.get("/dividends/")
    for error, status in (
        (OperationalError("server closed the connection"), 503),
        (BrokerDown("Error 111 connecting to redis"), 503),
        (ValueError("a bug"), 500),
    ):
        try:
            raise error
        except Exception:
            assert errors.server_error(request).status_code == status, error


# --- A database that does not answer: a child process with the production settings ----


@contextlib.contextmanager
def silent_listener():
    """A local port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    accepted = []

    def accept():
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        for sock in [listener, *accepted]:
            sock.close()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CHILD = r"""
import json, sys, time
import django
django.setup()
from django.conf import settings
from django.test import Client
# No collectstatic here: plain static storage instead of the manifest of production.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a" * 32  # a signed-in user: the session is in the database
answers = {}
for path in ("/healthz", "/accounts/login/", "/dividends/", "/api/dividend-runs/"):
    started = time.monotonic()
    response = client.get(path, HTTP_ACCEPT="application/json" if "api" in path else "text/html")
    answers[path] = {
        "status": response.status_code,
        "seconds": time.monotonic() - started,
        "type": response["Content-Type"],
        "body": response.content.decode(),
    }
started = time.monotonic()
response = Client(raise_request_exception=False).get("/healthz")  # compose's check: no cookie
answers["healthz, no cookie"] = {
    "status": response.status_code,
    "seconds": time.monotonic() - started,
    "type": response["Content-Type"],
    "body": response.content.decode(),
}
print(json.dumps(answers))
"""


def run_child(database_url, **env):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DB_"))},
        "DJANGO_SETTINGS_MODULE": "pinghu_points.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "test-" + "x" * 60,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "CRITICAL",
        **env,
    }
    completed = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("database", ["silent", "closed"])
def test_a_database_that_does_not_answer_gives_503_in_bounded_time(database):
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(silent_listener()) if database == "silent" else closed_port()
        answers = run_child(f"postgres://pinghu@127.0.0.1:{port}/pinghu", DB_CONNECT_TIMEOUT="2")

    for path, answer in answers.items():
        assert answer["status"] == 503, (path, answer)
        # connect_timeout is per attempt and libpq tries at most twice (SSL, then plain).
        assert answer["seconds"] < 2 * 2 + 2, (path, answer["seconds"])
        assert "127.0.0.1" not in answer["body"] and "Traceback" not in answer["body"]
    # A signed-in browser's cookie makes a middleware meet the failure first.
    assert json.loads(answers["/healthz"]["body"])["status"] == "unavailable"
    assert json.loads(answers["healthz, no cookie"]["body"]) == {
        "status": "unavailable",
        "database": "down",
        "queue": "ok",
    }
    assert "服务暂时不可用" in answers["/dividends/"]["body"]
    assert "服务暂时不可用" in answers["/accounts/login/"]["body"]
    api = answers["/api/dividend-runs/"]
    assert api["type"] == "application/json"
    assert json.loads(api["body"])["code"] == "service_unavailable"


STATEMENT_CHILD = r"""
import time
import django
django.setup()
from django.db import OperationalError, connection
started = time.monotonic()
try:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(20)")
    print("finished", time.monotonic() - started)
except OperationalError as error:
    print("cancelled", time.monotonic() - started, type(error).__name__)
"""


def test_a_statement_that_hangs_is_cancelled_by_the_statement_timeout(db):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    from tests.worker import worker_database_url

    # The suite's own connection runs with the configured timeout (default 30 s).
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"

    url = worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])
    completed = subprocess.run(
        [sys.executable, "-c", STATEMENT_CHILD],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url, "DB_STATEMENT_TIMEOUT": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    outcome, seconds, *kind = completed.stdout.split()
    assert outcome == "cancelled" and kind == ["OperationalError"], completed.stdout
    assert float(seconds) < 3
