"""pinghu_points/wsgi.py: an answer given before the body was read (413 for an upload over
the size limit, a login redirect) reaches a client that is still sending, instead of a
reset connection (issue 20, point 11). Under gunicorn, as in production."""

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from pinghu_points.wsgi import draining_unread_body

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BOUNDARY = "pinghu-boundary"


def answer_at_once(environ, start_response):
    start_response("413 Request Entity Too Large", [("Content-Type", "text/plain")])
    return [b"too large"]


def call(application, body, *, length=None):
    stream = io.BytesIO(body)
    environ = {"CONTENT_LENGTH": str(len(body) if length is None else length), "wsgi.input": stream}
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["read when answering"] = stream.tell()
        return lambda data: None

    list(application(environ, start_response))
    return seen["read when answering"]


def test_the_unread_body_is_read_before_the_answer_starts():
    assert call(draining_unread_body(answer_at_once), b"x" * 300_000) == 300_000


def test_what_the_view_read_is_not_read_twice_and_nothing_past_the_body():
    def reads_a_little(environ, start_response):
        environ["wsgi.input"].read(10)
        return answer_at_once(environ, start_response)

    # 100 bytes of body, then bytes of the next request on the same connection.
    assert call(draining_unread_body(reads_a_little), b"x" * 150, length=100) == 100


def test_a_body_above_the_drain_limit_is_left(monkeypatch):
    monkeypatch.setattr("pinghu_points.wsgi.DRAIN_MAX_BYTES", 1000)
    assert call(draining_unread_body(answer_at_once), b"x" * 5000) == 0


# --- Under gunicorn -------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path, django_db_setup):
    """gunicorn (one sync worker, as in production) on the test database."""
    if connection.vendor == "sqlite" or not os.environ.get("DATABASE_URL"):
        database_url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
        with_database = False
    else:
        from tests.worker import worker_database_url

        database_url = worker_database_url(
            os.environ["DATABASE_URL"], connection.settings_dict["NAME"]
        )
        with_database = True
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "IMPORT_MAX_FILE_BYTES": str(1024 * 1024),
        "DJANGO_SETTINGS_MODULE": "pinghu_points.settings",
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pinghu_points.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--timeout", "60"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail((tmp_path / "gunicorn.log").read_text())
                time.sleep(0.2)
        yield port, with_database
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def send_upload(port, path, size, *, cookie=""):
    """POST a file of `size` bytes the way a slow phone does: in pieces, still sending when
    the server has decided. Returns (the first line of the answer, the error if any)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="名册.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(head) + size + len(tail)}\r\n{cookie}\r\n"
    ).encode()
    piece = b"x" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
        try:
            client.sendall(request + head)
            for sent in range(0, size, len(piece)):
                client.sendall(piece[: min(len(piece), size - sent)])
                if sent % (1024 * 1024) == 0:
                    time.sleep(0.02)
            client.sendall(tail)
            answer = b""
            while b"\r\n" not in answer:
                data = client.recv(4096)
                if not data:
                    break
                answer += data
        except OSError as error:
            return None, error
    return answer.split(b"\r\n", 1)[0].decode(), None


def test_an_anonymous_upload_gets_its_login_redirect(gunicorn):
    port, _with_database = gunicorn

    status, error = send_upload(port, "/villages/households/import/", 16 * 1024 * 1024)

    assert error is None
    assert status == "HTTP/1.1 302 Found"


@pytest.mark.django_db(transaction=True)
def test_an_upload_over_the_size_limit_gets_its_413(gunicorn, world, client):
    port, with_database = gunicorn
    if not with_database:
        pytest.skip("the logged-in case needs the test database in gunicorn (PostgreSQL)")
    client.force_login(world.accountant_a)
    cookie = f"Cookie: sessionid={client.cookies['sessionid'].value}\r\n"

    status, error = send_upload(
        port, "/villages/households/import/", 16 * 1024 * 1024, cookie=cookie
    )

    assert error is None
    assert status == "HTTP/1.1 413 Request Entity Too Large"
