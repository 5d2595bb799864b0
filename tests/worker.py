"""A real Celery worker for the tests marked `worker`.

`running_worker()` starts `python -m tests.worker`, which is `celery worker` on the
project's app with one change: it listens on a queue of its own and sends the tasks it
starts itself to that queue too. A developer's `make worker` on the same broker can
then never pick up a test's task and run it against the wrong database.

The worker gets DATABASE_URL pointing at pytest-django's test database, so the
tests that use it must commit their rows (`django_db(transaction=True)`).
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60  # seconds for the worker to import Django and answer a ping
STOP_TIMEOUT = 20  # seconds for a warm shutdown before the worker is killed


@dataclass
class Worker:
    name: str
    queue: str
    log_path: Path
    process: subprocess.Popen

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text, timeout=10):
        """True once `text` appears in the worker's log (it writes lines as it goes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.1)
        return text in self.log()


def worker_database_url(base_url, test_database_name):
    """DATABASE_URL with the database name replaced by pytest-django's test database."""
    from urllib.parse import quote, urlsplit

    return urlsplit(base_url)._replace(path="/" + quote(test_database_name)).geturl()


@contextlib.contextmanager
def running_worker(*, app, database_url, ready_timeout=READY_TIMEOUT, queue=None, env=None):
    """Start a worker, wait until it answers a ping, stop it on exit.

    While it runs, `app` (the test process's Celery app) sends to the worker's queue.
    `queue`: listen on this queue (e.g. the one of a worker a test has killed) instead of
    a new one; `env`: extra environment variables (e.g. short timeouts) for the worker.
    """
    token = uuid.uuid4().hex[:12]
    queue = queue or f"pytest-{token}"
    name = f"pytest-{token}@{socket.gethostname()}"
    log_dir = Path(tempfile.mkdtemp(prefix="pinghu-worker-"))
    log_path = log_dir / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "pinghu_points.settings",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [sys.executable, "-m", "tests.worker", "--queue", queue, "--name", name]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    worker = Worker(name=name, queue=queue, log_path=log_path, process=process)
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        _wait_until_ready(app, worker, ready_timeout)
        yield worker
    finally:
        app.conf.task_default_queue = previous_queue
        _stop(process)


def _wait_until_ready(app, worker, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(
                f"Celery worker exited with code {worker.process.returncode}:\n{worker.log()}"
            )
        if app.control.ping(destination=[worker.name], timeout=1.0):
            return
        time.sleep(0.2)
    raise RuntimeError(f"Celery worker did not answer a ping within {timeout}s:\n{worker.log()}")


def _stop(process):
    if process.poll() is not None:
        return
    process.terminate()  # SIGTERM: warm shutdown, the current task finishes first
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def main(argv=None):
    """`python -m tests.worker --queue Q --name N`: celery worker on queue Q only."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--loglevel", default="info")
    options = parser.parse_args(argv)

    sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")
    from pinghu_points.celery import app

    app.conf.task_default_queue = options.queue
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--concurrency=1",
            f"--loglevel={options.loglevel}",
            f"--hostname={options.name}",
            f"--queues={options.queue}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


if __name__ == "__main__":
    main()
