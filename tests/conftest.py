"""One world with a user per role and scope (the healthchecks `hc/test.py` pattern):
for every check there is a user who should see and one who should not."""

import contextlib
import subprocess
import threading
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django.utils import translation

from accounts.models import User
from tests import factories

PASSWORD = "pass-word-123"


class OneRequestAtATimeServer(ThreadedWSGIServer):
    """The live server, answering one request at a time when it shares the tests' in-memory
    SQLite connection: two request threads on one sqlite3 connection can deadlock (a page
    that fetches its data while the browser asks for its manifest hung CI once). Connections
    stay threaded, so a browser's keep-alive connection never blocks another one."""

    def set_app(self, application):
        if not self.connections_override:
            return super().set_app(application)
        lock = threading.Lock()

        def one_at_a_time(environ, start_response):
            with lock:
                response = application(environ, start_response)
                try:
                    return [b"".join(response)]  # read while the connection is ours
                finally:
                    if hasattr(response, "close"):
                        response.close()

        return super().set_app(one_at_a_time)


LiveServerThread.server_class = OneRequestAtATimeServer


def seeded_once(seed, *, scope="module", password_hashers=None):
    """A fixture that runs `seed()` once per module (or class) instead of once per test
    (issue 21, point 7): inside one transaction that is rolled back after the module's
    last test. Each test still runs in its own savepoint (pytest-django's `db`), so what a
    test writes is gone before the next one, and the seeded rows are the same for all.

    Only for modules (or classes) whose every database test uses the fixture: a test of
    the same module that does not would see the seeded rows too. `password_hashers`: the
    ones the module's tests set for themselves, so the seeded logins are hashed alike."""

    @pytest.fixture(scope=scope)
    def fixture(django_db_setup, django_db_blocker):
        from django.db import transaction
        from django.test.utils import override_settings

        hashers = password_hashers or django_settings.PASSWORD_HASHERS
        with django_db_blocker.unblock(), transaction.atomic():
            with override_settings(PASSWORD_HASHERS=hashers):
                seeded = seed()
            yield seeded
            transaction.set_rollback(True)

    return fixture


@pytest.fixture
def world(db):
    coop_a = factories.cooperative(code="COOPA", name="甲村股份经济合作社")
    coop_b = factories.cooperative(code="COOPB", name="乙村股份经济合作社")
    east = factories.community(code="EAST", name="东湖社区")
    west = factories.community(code="WEST", name="西湖社区")
    grid_east = factories.micro_grid(community_=east, code="E1", name="东一网格")
    grid_west = factories.micro_grid(community_=west, code="W1", name="西一网格")
    # Households of both cooperatives live in both communities: scope cuts both ways.
    a_east = factories.household(
        cooperative_=coop_a,
        community_=east,
        micro_grid_=grid_east,
        number="A001",
        head_name="王建国",
        head_id_number="330482196501181234",
        phone="13800001111",
        bank_account="6228480011112222333",
        shares={"RK": "3"},
    )
    a_west = factories.household(
        cooperative_=coop_a,
        community_=west,
        micro_grid_=grid_west,
        number="A002",
        head_name="李秀英",
        shares={"RK": "2"},
    )
    b_east = factories.household(
        cooperative_=coop_b,
        community_=east,
        micro_grid_=grid_east,
        number="B001",
        head_name="陈志强",
        shares={"RK": "4"},
    )
    b_west = factories.household(
        cooperative_=coop_b,
        community_=west,
        micro_grid_=grid_west,
        number="B002",
        head_name="赵美兰",
        shares={"RK": "1"},
    )
    return SimpleNamespace(
        coop_a=coop_a,
        coop_b=coop_b,
        east=east,
        west=west,
        grid_east=grid_east,
        grid_west=grid_west,
        a_east=a_east,
        a_west=a_west,
        b_east=b_east,
        b_west=b_west,
        admin=factories.user(username="admin", role=User.Role.SUBDISTRICT_ADMIN, is_staff=True),
        staff_east=factories.user(
            username="staff_east", role=User.Role.COMMUNITY_STAFF, communities=[east]
        ),
        staff_west=factories.user(
            username="staff_west", role=User.Role.COMMUNITY_STAFF, communities=[west]
        ),
        accountant_a=factories.user(
            username="acc_a", role=User.Role.ACCOUNTANT, cooperative_=coop_a
        ),
        accountant_b=factories.user(
            username="acc_b", role=User.Role.ACCOUNTANT, cooperative_=coop_b
        ),
        # 理事长/监事长: sign (approve) the runs their cooperative's accountant prepares.
        supervisor_a=factories.user(
            username="sup_a", role=User.Role.SUPERVISOR, cooperative_=coop_a
        ),
        supervisor_b=factories.user(
            username="sup_b", role=User.Role.SUPERVISOR, cooperative_=coop_b
        ),
        villager_a=factories.user(
            username="villager_a", role=User.Role.VILLAGER, household_=a_east
        ),
        villager_b=factories.user(
            username="villager_b", role=User.Role.VILLAGER, household_=b_west
        ),
        # 农商银行信贷员: sees only households whose head consented to this bank.
        bank_officer=factories.user(
            username="bank_officer", role=User.Role.BANK, bank_=factories.bank()
        ),
    )


@pytest.fixture
def login(client):
    """Log the test client in as the given user and return it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- Test infrastructure: fast hashing, eager Celery, the real worker, browser skips ---

import os  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Skip what this machine cannot run. Extend this hook; a second one would replace it.

    - `worker`: needs a broker (CELERY_BROKER_URL) and a database another process can
      open; .ci/run provides both (PostgreSQL + Redis).
    - `browser`: needs Debian's chromium; .ci/run installs it, locally the tests skip.
    """
    no_broker = pytest.mark.skip(reason="needs CELERY_BROKER_URL and a real Celery worker")
    no_chromium = pytest.mark.skip(reason="needs chromium (apt-get install chromium)")
    run_worker_tests = any(map(os.environ.get, ("CELERY_BROKER_URL", "PINGHU_REQUIRE_WORKER")))
    has_chromium = bool(chromium_path())
    for item in items:
        if "worker" in item.keywords and not run_worker_tests:
            item.add_marker(no_broker)
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(no_chromium)


def chromium_path():
    """The chromium binary for browser tests: $CHROMIUM_PATH, /usr/bin/chromium or $PATH."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _chinese_first():
    """A request in English leaves `en` active in the thread; every test starts in Chinese."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The default hasher costs ~0.2 s a user; the world fixture alone makes nine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker(request, settings):
    """Every test runs its tasks in-process, as without a broker, except `worker` tests.

    With CELERY_BROKER_URL set (CI) the settings turn eager mode off; only the tests
    that start a real worker may then send tasks to the broker, the others would wait
    for a worker that is not there.
    """
    from pinghu_points.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup):
    """A real `celery worker` subprocess on the test database, for the whole session.

    Use it with `@pytest.mark.worker` and `@pytest.mark.django_db(transaction=True)`:
    the worker is another process and sees only committed rows.
    """
    from django.db import connection

    from pinghu_points.celery import app
    from tests.worker import running_worker, worker_database_url

    # .ci/run sets PINGHU_REQUIRE_WORKER: there a worker test must run, never skip.
    give_up = pytest.fail if os.environ.get("PINGHU_REQUIRE_WORKER") else pytest.skip
    if not os.environ.get("CELERY_BROKER_URL"):
        give_up("needs CELERY_BROKER_URL and a real Celery worker")
    if connection.vendor == "sqlite" or not os.environ.get("DATABASE_URL"):
        give_up("the worker needs a server database (DATABASE_URL=postgres://...)")
    database_url = worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])
    with running_worker(app=app, database_url=database_url) as worker:
        yield worker


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Uploaded photos of a test go to its own temporary folder, never to ./media."""
    settings.MEDIA_ROOT = tmp_path / "media"


# --- Real small file systems for MEDIA_ROOT (disk full, read-only) ----------------------


@contextlib.contextmanager
def mounted_tmpfs(mount_point, options):
    """A real tmpfs at `mount_point` (needs root and mount; the test is skipped otherwise)."""
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def small_disk(settings, tmp_path):
    """MEDIA_ROOT on a real 256 KB tmpfs."""
    with mounted_tmpfs(tmp_path / "small-disk", "size=256k,mode=0755") as disk:
        settings.MEDIA_ROOT = disk
        yield disk


@pytest.fixture
def read_only_disk(settings, tmp_path):
    """MEDIA_ROOT on a real tmpfs remounted read-only, as the kernel does after disk errors."""
    with mounted_tmpfs(tmp_path / "read-only-disk", "size=1m,mode=0755") as disk:
        remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remounted.stderr.decode().strip()}")
        settings.MEDIA_ROOT = disk
        yield disk


def fill(disk, leave):
    """Fill the disk but `leave` bytes."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler.bin").write_bytes(b"\0" * max(0, free - leave))
