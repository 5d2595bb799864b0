"""Load bench for batch entry (积分批量录入) against PostgreSQL.

    .venv/bin/python bench/batch_entry_load.py [--requests 200] [--seconds 60] [--grids 100]

What it does, all on this machine and 127.0.0.1 only:

1. creates its own database `pinghu_bench` (dropped first if a previous run left it),
   migrates it, and builds one community with `--grids` micro-grids of 10 households,
   a published standard for this year with 5 uncapped items (3 add, 2 deduct) and a
   staff login for the community;
2. times `score_events_record` in-process: one call = one grid's batch of
   10 households × 5 items = 50 events;
3. starts the app with gunicorn (DEBUG off, collected static files; `--server runserver`
   uses `manage.py runserver --noreload` instead), logs in as the staff member and
   measures over HTTP:
   - POST of the batch page (/communities/scoring/batch/, the form a person submits),
     50 cells per request, one client, then `--clients` clients at once;
   - POST /api/score-events/ (JSON, the same 50 entries per request);
   - GET of a household's points ledger (/communities/scoring/households/<id>/);
   - GET of the batch page for one grid and the current month;
4. prints requests/s, events/s and p50/p95 latency for each, then stops the server and
   drops the database, also when interrupted.

Every loop stops after `--requests` requests or `--seconds` seconds, whichever comes
first. Each request uses the next grid, so concurrent clients never lock the same
households. The figures are written down in docs/performance.md.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

import bench_database  # bench/ is on sys.path when a bench runs as a script

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "pinghu_bench"
SERVER_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
HOST = "127.0.0.1"
USERNAME = "bench_staff"
PASSWORD = "bench-" + secrets.token_hex(8)
HOUSEHOLDS_PER_GRID = 10
ITEMS = 5
TEMPORARY_DIRECTORIES = []


# --------------------------------------------------------------------------- database


def create_database():
    return bench_database.create_database(SERVER_DATABASE_URL, DB_NAME)


def drop_database():
    bench_database.drop_database(SERVER_DATABASE_URL, DB_NAME)


def setup_django():
    os.environ["DATABASE_URL"] = DATABASE_URL
    # Building 100,000 households takes statements longer than a page's 30 s limit.
    os.environ.setdefault("DB_STATEMENT_TIMEOUT", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(grid_count):
    """One community, `grid_count` grids of 10 households, a standard, a staff login."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from communities.models import (
        Community,
        MicroGrid,
        ScoringItem,
        ScoringStandard,
        StaffMembership,
        StandardAdoption,
    )
    from villages.models import Cooperative, Household, Town, Village

    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.localdate()
    town = Town.objects.create(code="BENCH", name="基准镇")
    village = Village.objects.create(
        town=town, code="BENCH", name="基准村", dissolved_on=date(2020, 1, 1)
    )
    cooperative = Cooperative.objects.create(
        code="BENCH", name="基准村股份经济合作社", village=village
    )
    community = Community.objects.create(town=town, code="BENCH", name="基准社区")
    grids = MicroGrid.objects.bulk_create(
        MicroGrid(community=community, code=f"G{n:03d}", name=f"第{n}微网格")
        for n in range(1, grid_count + 1)
    )
    households = Household.objects.bulk_create(
        Household(
            cooperative=cooperative,
            community=community,
            micro_grid=grid,
            number=f"{g * HOUSEHOLDS_PER_GRID + k + 1:05d}",
            head_name=f"户主{g * HOUSEHOLDS_PER_GRID + k + 1}",
        )
        for g, grid in enumerate(grids)
        for k in range(HOUSEHOLDS_PER_GRID)
    )
    standard = ScoringStandard.objects.create(
        town=town, name="基准测试标准", year=today.year, status=ScoringStandard.Status.PUBLISHED
    )
    StandardAdoption.objects.create(
        standard=standard,
        cooperative=cooperative,
        meeting_date=date(today.year, 1, 10),
        votes_for=40,
    )
    items = ScoringItem.objects.bulk_create(
        ScoringItem(
            standard=standard,
            code=f"B{k:02d}",
            name=f"基准项{k}",
            category=ScoringItem.Category.ENVIRONMENT,
            direction=ScoringItem.Direction.ADD if k < 3 else ScoringItem.Direction.DEDUCT,
            default_points=1,
            min_points=1,
            max_points=10,
        )
        for k in range(ITEMS)
    )
    staff = User.objects.create_user(
        username=USERNAME, password=PASSWORD, role=User.Role.COMMUNITY_STAFF
    )
    StaffMembership.objects.create(user=staff, community=community)
    by_grid = {}
    for household in households:
        by_grid.setdefault(household.micro_grid_id, []).append(household.pk)
    return {
        "today": today,
        "grids": [grid.pk for grid in grids],
        "households": by_grid,
        "items": [item.pk for item in items],
        "staff": staff,
    }


# --------------------------------------------------------------------------- measuring


class Timings:
    def __init__(self, name, events_per_request=0):
        self.name = name
        self.events_per_request = events_per_request
        self.latencies = []
        self.failures = 0
        self.first_failure = ""
        self.elapsed = 0.0

    def row(self):
        done = len(self.latencies)
        ordered = sorted(self.latencies)

        def percentile(p):
            return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] * 1000

        rate = done / self.elapsed if self.elapsed else 0
        return {
            "scenario": self.name,
            "requests": done,
            "failures": self.failures,
            "seconds": round(self.elapsed, 1),
            "requests_per_s": round(rate, 1),
            "events_per_s": round(rate * self.events_per_request)
            if self.events_per_request
            else None,
            "p50_ms": round(percentile(0.50), 1) if ordered else None,
            "p95_ms": round(percentile(0.95), 1) if ordered else None,
            "mean_ms": round(statistics.mean(ordered) * 1000, 1) if ordered else None,
            "events_per_request": self.events_per_request,
            "first_failure": self.first_failure,
        }


def bounded(timings, count, seconds, work, *, clients=1):
    """Call work(i) until `count` calls or `seconds` have passed, from `clients` threads."""
    lock = threading.Lock()
    next_index = [0]
    deadline = time.perf_counter() + seconds

    def worker(client_number):
        while True:
            with lock:
                index = next_index[0]
                if index >= count or time.perf_counter() >= deadline:
                    return
                next_index[0] += 1
            started = time.perf_counter()
            try:
                ok, detail = work(index, client_number)
            except Exception as error:  # a failed request is a result too
                ok, detail = False, repr(error)
            duration = time.perf_counter() - started
            with lock:
                if ok:
                    timings.latencies.append(duration)
                else:
                    timings.failures += 1
                    timings.first_failure = timings.first_failure or detail

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings.elapsed = time.perf_counter() - started
    return timings


def entries_for(world, index, points=None):
    from communities.services import Entry

    grid = world["grids"][index % len(world["grids"])]
    return [
        Entry(
            household_id=household_id,
            item_id=item_id,
            occurred_on=world["today"],
            points=points,
        )
        for household_id in world["households"][grid]
        for item_id in world["items"]
    ]


def measure_service(world, count, seconds):
    from communities.services import score_events_record

    def work(index, _client):
        events = score_events_record(
            actor=world["staff"], entries=entries_for(world, index), source="bench"
        )
        return len(events) == HOUSEHOLDS_PER_GRID * ITEMS, f"{len(events)} events"

    timings = Timings("score_events_record in-process (50 events)", HOUSEHOLDS_PER_GRID * ITEMS)
    return bounded(timings, count, seconds, work)


class Client:
    """A minimal HTTP client with its own cookies (keep-alive when the server allows it)."""

    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.cookies = {}

    def request(self, method, path, *, body=None, content_type=None, headers=None):
        all_headers = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            all_headers["Content-Type"] = content_type
        try:
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # The server closed an idle connection: one retry on a fresh one.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, response.headers, data

    @property
    def csrf(self):
        return self.cookies.get("csrftoken", "")

    def form(self, path, fields):
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf})
        return self.request(
            "POST",
            path,
            body=body,
            content_type="application/x-www-form-urlencoded",
            headers={"Referer": f"http://{HOST}:{self.port}{path}"},
        )

    def login(self):
        self.request("GET", "/accounts/login/")
        status, headers, _data = self.form(
            "/accounts/login/", {"username": USERNAME, "password": PASSWORD}
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login failed: HTTP {status}")
        return self


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(kind, port, workers):
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DB_CONN_MAX_AGE": "60",
        "PYTHONPATH": str(ROOT),
    }
    if kind == "gunicorn":
        static_root = tempfile.mkdtemp(prefix="pinghu_bench_static_")
        TEMPORARY_DIRECTORIES.append(static_root)
        env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=static_root,
        )
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "pinghu_points.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
    else:
        env["DEBUG"] = "1"
        command = [sys.executable, "manage.py", "runserver", f"{HOST}:{port}", "--noreload"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            status, _headers, _data = Client(port).request("GET", "/accounts/login/")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("server did not start within 60 s")


def stop_server(process):
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_http(world, port, count, seconds, clients):
    month = world["today"].strftime("%Y-%m")
    day = world["today"].isoformat()
    results = []
    # Grids already used in-process are skipped only for readability of the data; any grid
    # works since the bench items have no caps.
    sessions = [Client(port).login() for _ in range(max(clients, 1))]

    def batch_post(index, client_number):
        grid = world["grids"][index % len(world["grids"])]
        fields = {"month": month, "grid": str(grid)}
        for household_id in world["households"][grid]:
            fields[f"d-{household_id}"] = day
            for item_id in world["items"]:
                fields[f"p-{household_id}-{item_id}"] = "2"
        status, headers, data = sessions[client_number].form("/communities/scoring/batch/", fields)
        if status == 302:
            return True, ""
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]{1,120})', data.decode())
        return False, f"HTTP {status} {errors[:3]}"

    def api_post(index, client_number):
        grid = world["grids"][index % len(world["grids"])]
        body = json.dumps(
            {
                "entries": [
                    {"household": h, "item": i, "occurred_on": day, "points": "1"}
                    for h in world["households"][grid]
                    for i in world["items"]
                ]
            }
        )
        client = sessions[client_number]
        status, _headers, data = client.request(
            "POST",
            "/api/score-events/",
            body=body,
            content_type="application/json",
            headers={"X-CSRFToken": client.csrf, "Referer": f"http://{HOST}:{port}/"},
        )
        return status == 201, f"HTTP {status} {data[:200]!r}"

    def ledger_get(index, client_number):
        grid = world["grids"][index % len(world["grids"])]
        household_id = world["households"][grid][index % HOUSEHOLDS_PER_GRID]
        status, _headers, _data = sessions[client_number].request(
            "GET", f"/communities/scoring/households/{household_id}/"
        )
        return status == 200, f"HTTP {status}"

    def batch_get(index, client_number):
        grid = world["grids"][index % len(world["grids"])]
        status, _headers, _data = sessions[client_number].request(
            "GET", f"/communities/scoring/batch/?grid={grid}&month={month}"
        )
        return status == 200, f"HTTP {status}"

    events = HOUSEHOLDS_PER_GRID * ITEMS
    results.append(
        bounded(Timings("POST batch page, 1 client (50 cells)", events), count, seconds, batch_post)
    )
    if clients > 1:
        results.append(
            bounded(
                Timings(f"POST batch page, {clients} clients (50 cells)", events),
                count,
                seconds,
                batch_post,
                clients=clients,
            )
        )
    results.append(
        bounded(
            Timings("POST /api/score-events/, 1 client (50 entries)", events),
            count,
            seconds,
            api_post,
        )
    )
    results.append(
        bounded(Timings("GET household points ledger, 1 client"), count, seconds, ledger_get)
    )
    results.append(
        bounded(Timings("GET batch page (grid, month), 1 client"), count, seconds, batch_get)
    )
    return results


def print_table(rows):
    columns = [
        "scenario",
        "requests",
        "failures",
        "seconds",
        "requests_per_s",
        "events_per_s",
        "p50_ms",
        "p95_ms",
    ]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print(
            "  ".join(str(row[c] if row[c] is not None else "-").ljust(widths[c]) for c in columns)
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario (200)")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per scenario (60)")
    parser.add_argument("--grids", type=int, default=100, help="micro-grids of 10 households (100)")
    parser.add_argument(
        "--clients", type=int, default=4, help="concurrent clients in the concurrent run (4)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers (2 × cores + 1)",
    )
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    server_version = create_database()
    print(f"database: PostgreSQL {server_version}, {DATABASE_URL}")
    process = None
    try:
        setup_django()
        world = build(args.grids)
        households = sum(len(ids) for ids in world["households"].values())
        print(f"data: 1 community, {args.grids} grids, {households} households, {ITEMS} items")
        rows = [measure_service(world, args.requests, args.seconds).row()]
        port = free_port()
        process = start_server(args.server, port, args.workers)
        print(
            f"server: {args.server} on {HOST}:{port}"
            + (f", {args.workers} workers" if args.server == "gunicorn" else "")
        )
        rows += [
            t.row() for t in measure_http(world, port, args.requests, args.seconds, args.clients)
        ]
        from communities.models import ScoreEvent

        expected = sum(row["requests"] * row["events_per_request"] for row in rows)
        saved = ScoreEvent.objects.count()
        failures = [t for t in rows if t["failures"]]
        print()
        print_table(rows)
        for row in failures:
            print(f"first failure of {row['scenario']}: {row['first_failure']}")
        print(f"\nevents saved: {saved} (expected {expected})")
        print(f"load average after: {os.getloadavg()}")
        if args.json:
            Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=2))
        return 1 if failures or saved != expected else 0
    finally:
        stop_server(process)
        for directory in TEMPORARY_DIRECTORIES:
            shutil.rmtree(directory, ignore_errors=True)
        drop_database()
        print(f"dropped database {DB_NAME}")


if __name__ == "__main__":
    sys.exit(main())
