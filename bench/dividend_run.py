"""Bench of the annual dividend run (分红计算) against PostgreSQL.

    .venv/bin/python bench/dividend_run.py [--households 100000] [--events 2000000] [--keep]
                                           [--policy score|score_shares|tiers] [--runs 3]
                                           [--orm-check] [--celery] [--profile FILE]
                                           [--json FILE]

What it does, all on this machine and 127.0.0.1 only:

1. creates its own database `pinghu_bench_dividend` (dropped first if a previous run
   left it), points DATABASE_URL at it before `django.setup()` and migrates it;
2. generates with set-based SQL (`INSERT … SELECT generate_series`, no ORM loop) one
   village + cooperative with the share classes 人口股 (weight 1) and 农龄股 (0.5),
   10 communities, `--households` households with their share movements (issues,
   inheritances, a partial cancellation, and movements after the record date that must
   not count), a published standard adopted for the year with 8 items (one a veto), and
   `--events` score events spread over the year: 10% need review (80% of those confirmed,
   10% rejected, 10% still pending), 1 in 1,000 is a veto, some vetoes are reversed.
   A few households and one community have a tab, a newline, a backslash or quotes in
   their names, for the COPY escaping. Then VACUUM ANALYZE;
3. before each run, times the floor: the one SQL aggregate `SELECT household_id,
   SUM(points) … GROUP BY household_id` over the same events with the same filters as
   the dividend (the cooperative, the year, the counting rule), rows fetched to the
   client, best of 3 (and once more without parallel workers, for comparison); prints
   its EXPLAIN (ANALYZE, BUFFERS) once;
4. creates a run with `dividends.services.dividend_run_create` and computes it as the
   worker does, `dividends.run_jobs.dividend_run_compute(run_id=…)`, in a separate
   process (bench/dividend_worker_child.py) that reports its wall and CPU time and its
   peak resident memory (VmHWM); `--runs` times. `--orm-check` computes one more
   version with bulk_create instead of COPY and checks that its lines are the same,
   value for value and in the same order. `--celery` computes one more version through
   a real `celery worker --pool=solo` on a private redis-server started for the bench,
   and reads the worker's VmHWM after the task;
5. checks every run against plain SQL: one line per household, Σ base = base pool and
   Σ incentive + remainder = incentive pool to the fen, every line's score and veto as
   the ledger's aggregate says, its shares and weighted shares as the share ledger
   says, and its snapshot (number, names, masked ID, bank) as the register says;
6. prints a table, exits non-zero if a check failed, and drops the database unless
   `--keep` (also on error).

Every step is bounded: the child and the Celery task time out after `--timeout` seconds.
The figures are written down in docs/performance.md ("Annual dividend run").
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import bench_database  # bench/ is on sys.path when a bench runs as a script

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "pinghu_bench_dividend"
SERVER_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
CHILD = ROOT / "bench" / "dividend_worker_child.py"
COMMUNITIES = 10
TOTAL = Decimal("12345678.91")  # distributable total, yuan: not a round number on purpose
TIERS = [
    {"min_score": "80", "share_of_base": "0.10"},
    {"min_score": "90", "share_of_base": "0.15"},
    {"min_score": "110", "share_of_base": "0.20"},
]
# (code, name, direction, points magnitude, veto)
ITEMS = [
    ("A01", "垃圾分类", "add", 1, False),
    ("A02", "庭院整洁", "add", 2, False),
    ("A03", "志愿服务", "add", 3, False),
    ("A04", "参加议事", "add", 1, False),
    ("A05", "好人好事", "add", 2, False),
    ("D01", "乱堆乱放", "deduct", 2, False),
    ("D02", "违规养殖", "deduct", 3, False),
    ("V01", "违法建设", "deduct", 10, True),
]
PROCESSES = []  # (name, Popen) started by the bench, stopped at the end


# --------------------------------------------------------------------------- database


def create_database():
    return bench_database.create_database(SERVER_DATABASE_URL, DB_NAME)


def drop_database():
    bench_database.drop_database(SERVER_DATABASE_URL, DB_NAME)


def setup_django(broker_url=None):
    os.environ["DATABASE_URL"] = DATABASE_URL
    # Building 100,000 households takes statements longer than a page's 30 s limit.
    os.environ.setdefault("DB_STATEMENT_TIMEOUT", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "pinghu_points.settings"
    if broker_url:
        os.environ["CELERY_BROKER_URL"] = broker_url
        os.environ["CELERY_RESULT_BACKEND"] = broker_url
    else:
        os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.pop("CELERY_RESULT_BACKEND", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Steps:
    """Prints and keeps how long each generation step took."""

    def __init__(self):
        self.seconds = {}

    def __call__(self, name, function, *args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - started, 2)
        print(f"  {name}: {self.seconds[name]:.1f} s", flush=True)
        return result


# --------------------------------------------------------------------------- data


def community_name(n):
    # The last one has a tab and a backslash in its name: COPY must escape them.
    return f"基准社区{n}" if n < COMMUNITIES else "基准\\社区\t十"


def build_register(year):
    """The small rows, through the ORM: village, cooperative, classes, communities, standard."""
    from accounts.models import User
    from communities.models import Community, ScoringItem, ScoringStandard, StandardAdoption
    from villages.models import Cooperative, ShareClass, Town, Village

    town = Town.objects.create(code="BENCHD", name="基准分红镇")
    village = Village.objects.create(
        town=town, code="BENCHD", name="基准分红村", dissolved_on=date(2018, 6, 30)
    )
    cooperative = Cooperative.objects.create(
        code="BENCHD", name="基准分红村股份经济合作社", village=village
    )
    population = ShareClass.objects.create(
        cooperative=cooperative, code="RK", name="人口股", weight=Decimal("1")
    )
    farming = ShareClass.objects.create(
        cooperative=cooperative, code="NL", name="农龄股", weight=Decimal("0.5")
    )
    communities = Community.objects.bulk_create(
        Community(town=town, code=f"BD{n:02d}", name=community_name(n), review_required=n % 2 == 0)
        for n in range(1, COMMUNITIES + 1)
    )
    admin = User.objects.create_user(
        username="bench_admin", role=User.Role.SUBDISTRICT_ADMIN, town=town, is_staff=True
    )
    staff = User.objects.create_user(username="bench_staff", role=User.Role.COMMUNITY_STAFF)
    reviewer = User.objects.create_user(username="bench_reviewer", role=User.Role.COMMUNITY_STAFF)
    standard = ScoringStandard.objects.create(
        town=town,
        name="基准分红积分标准",
        year=year,
        base_points=100,
        lower_bound=0,
        upper_bound=120,
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=standard, cooperative=cooperative, meeting_date=date(year, 1, 10), votes_for=45
    )
    items = {}
    for code, name, direction, points, veto in ITEMS:
        items[code] = ScoringItem.objects.create(
            standard=standard,
            code=code,
            name=name,
            category=ScoringItem.Category.LAW if veto else ScoringItem.Category.ENVIRONMENT,
            direction=direction,
            default_points=points,
            min_points=points,
            max_points=points,
            is_veto=veto,
        )
    return {
        "cooperative": cooperative,
        "population": population.pk,
        "farming": farming.pk,
        "communities": [community.pk for community in communities],
        "admin": admin,
        "staff": staff.pk,
        "reviewer": reviewer.pk,
        "items": items,
    }


def insert_households(cursor, world, count):
    cursor.execute(
        """
        INSERT INTO villages_household (cooperative_id, number, head_name, head_id_number, phone,
            community_id, micro_grid_id, bank_name, bank_account, created_at)
        SELECT %(cooperative)s, lpad(i::text, 6, '0'), '户主' || i,
               '330482' || (1940 + i %% 60) || '0101' || lpad((i %% 10000)::text, 4, '0'),
               '', (%(communities)s::int[])[1 + i %% %(community_count)s], NULL,
               '农商银行', '6217' || lpad(i::text, 15, '0'), now()
        FROM generate_series(1, %(count)s) AS i
        """,
        {
            "cooperative": world["cooperative"].pk,
            "communities": world["communities"],
            "community_count": len(world["communities"]),
            "count": count,
        },
    )
    cursor.execute(
        "SELECT min(id), max(id), count(*) FROM villages_household WHERE cooperative_id = %s",
        [world["cooperative"].pk],
    )
    first, last, total = cursor.fetchone()
    assert total == count and last - first + 1 == count, "household ids are not consecutive"
    world["first_household"] = first
    # A few registers with characters that COPY must escape (tab, newline, backslash …).
    cursor.execute(
        """
        UPDATE villages_household
        SET head_name = E'张\\t三\\\\四 "五" ''六''\\n七\\r', bank_name = E'农商\\\\银行\\t支行',
            bank_account = E'6217\\\\0001'
        WHERE cooperative_id = %s AND id %% 20000 = 3
        """,
        [world["cooperative"].pk],
    )


def insert_share_movements(cursor, world, year):
    """Every household holds both classes on the record date; some ledgers are more eventful."""
    cursor.execute(
        """
        INSERT INTO villages_sharemovement (household_id, share_class_id, kind, quantity,
            effective_on, reason, counterpart_id, transfer_group, recorded_by_id, recorded_at)
        -- the 2018 reform: 1–5 population shares and 1–40 farming-age shares per household
        SELECT h.id, %(population)s, 'issue', 1 + h.id %% 5, DATE '2018-06-30', '股改配股',
               NULL::bigint, NULL::uuid, %(admin)s, now()
        FROM villages_household h WHERE h.cooperative_id = %(cooperative)s
        UNION ALL
        SELECT h.id, %(farming)s, 'issue', 1 + (h.id * 7) %% 40, DATE '2018-06-30', '股改配股',
               NULL, NULL, %(admin)s, now()
        FROM villages_household h WHERE h.cooperative_id = %(cooperative)s
        UNION ALL
        -- 生不增、死不减、可继承: one population share inherited by the next household (2%%)
        SELECT h.id + d.step, %(population)s, 'inheritance', d.sign, DATE '2021-03-01', '继承',
               h.id + 1 - d.step, md5('bench-' || h.id)::uuid, %(admin)s, now()
        FROM villages_household h
        CROSS JOIN (VALUES (0, -1), (1, 1)) AS d(step, sign)
        WHERE h.cooperative_id = %(cooperative)s AND h.id %% 50 = 1 AND h.id < %(last)s
        UNION ALL
        -- half a farming-age share cancelled before the record date (about 1%%)
        SELECT h.id, %(farming)s, 'cancellation', -0.5, DATE '2023-01-01', '核减农龄',
               NULL, NULL, %(admin)s, now()
        FROM villages_household h WHERE h.cooperative_id = %(cooperative)s AND h.id %% 97 = 0
        UNION ALL
        -- issued after the record date: must not count (1%%)
        SELECT h.id, %(population)s, 'issue', 1, %(after)s, '新增配股', NULL, NULL, %(admin)s,
               now()
        FROM villages_household h WHERE h.cooperative_id = %(cooperative)s AND h.id %% 100 = 7
        """,
        {
            "cooperative": world["cooperative"].pk,
            "population": world["population"],
            "farming": world["farming"],
            "admin": world["admin"].pk,
            "last": world["first_household"] + world["households"] - 1,
            "after": date(year + 1, 2, 1),
        },
    )
    return cursor.rowcount


def insert_score_events(cursor, world, year, count):
    """`count` events in the year, reviews for most of those needing review, a few reversals."""
    items = world["items"]
    adds = [items[code].pk for code in ("A01", "A02", "A03", "A04", "A05")]
    add_points = [int(items[code].default_points) for code in ("A01", "A02", "A03", "A04", "A05")]
    deducts = [items["D01"].pk, items["D02"].pk]
    deduct_points = [-int(items["D01"].default_points), -int(items["D02"].default_points)]
    veto = items["V01"]
    reversals = count // 8000
    main = count - reversals
    # Most households get about events ÷ households events; the last 0.2% get none
    # (their score is the base); 12 of 18 slots add, 6 deduct: about +7 points a year.
    scored = max(1, world["households"] - world["households"] // 500)
    cursor.execute(
        """
        INSERT INTO communities_scoreevent (household_id, item_id, points, occurred_on,
            community_id, entered_by_id, entered_at, note, evidence, reverses_id,
            needs_review, batch)
        SELECT %(first)s + (g::bigint * 7919) %% %(scored)s,
               CASE WHEN g %% 2000 IN (0, 1003) THEN %(veto)s
                    WHEN k < 12 THEN (%(adds)s::int[])[1 + k %% 5]
                    ELSE (%(deducts)s::int[])[1 + k %% 2] END,
               CASE WHEN g %% 2000 IN (0, 1003) THEN %(veto_points)s
                    WHEN k < 12 THEN (%(add_points)s::int[])[1 + k %% 5]
                    ELSE (%(deduct_points)s::int[])[1 + k %% 2] END,
               %(start)s::date + (g * 13) %% %(days)s,
               (%(communities)s::int[])[1 + g %% %(community_count)s],
               %(staff)s, now(), '', '', NULL, g %% 10 = 3, NULL
        FROM (SELECT g, (g * 31 + g / 7) %% 18 AS k FROM generate_series(1, %(main)s) AS g) s
        """,
        {
            "first": world["first_household"],
            "scored": scored,
            "veto": veto.pk,
            "veto_points": -int(veto.default_points),
            "adds": adds,
            "add_points": add_points,
            "deducts": deducts,
            "deduct_points": deduct_points,
            "start": date(year, 1, 1),
            "days": (date(year + 1, 1, 1) - date(year, 1, 1)).days,
            "communities": world["communities"],
            "community_count": len(world["communities"]),
            "staff": world["staff"],
            "main": main,
        },
    )
    # Reviews of the events that need one: 80% confirmed, 10% rejected, 10% still pending.
    cursor.execute(
        """
        INSERT INTO communities_eventreview (event_id, decision, reason, reviewer_id, reviewed_at)
        SELECT id, CASE WHEN (id / 10) %% 10 < 8 THEN 'confirmed' ELSE 'rejected' END,
               CASE WHEN (id / 10) %% 10 < 8 THEN '' ELSE '核实不符' END, %(reviewer)s, now()
        FROM communities_scoreevent
        WHERE needs_review AND (id / 10) %% 10 < 9
        """,
        {"reviewer": world["reviewer"]},
    )
    review_count = cursor.rowcount
    # A quarter of the vetoes that did not need review were entered in error and reversed.
    cursor.execute(
        """
        INSERT INTO communities_scoreevent (household_id, item_id, points, occurred_on,
            community_id, entered_by_id, entered_at, note, evidence, reverses_id,
            needs_review, batch)
        SELECT household_id, item_id, -points, occurred_on, community_id, entered_by_id, now(),
               '误录冲正', '', id, false, NULL
        FROM communities_scoreevent
        WHERE item_id = %(veto)s AND NOT needs_review
        ORDER BY id LIMIT %(reversals)s
        """,
        {"veto": veto.pk, "reversals": reversals},
    )
    return {"events": main + cursor.rowcount, "reviews": review_count, "reversals": cursor.rowcount}


def check_references(cursor):
    """Every foreign key of the generated rows points at an existing row."""
    for table, column, target in [
        ("villages_household", "community_id", "communities_community"),
        ("villages_sharemovement", "household_id", "villages_household"),
        ("villages_sharemovement", "counterpart_id", "villages_household"),
        ("villages_sharemovement", "share_class_id", "villages_shareclass"),
        ("communities_scoreevent", "household_id", "villages_household"),
        ("communities_scoreevent", "item_id", "communities_scoringitem"),
        ("communities_scoreevent", "community_id", "communities_community"),
        ("communities_scoreevent", "entered_by_id", "accounts_user"),
        ("communities_scoreevent", "reverses_id", "communities_scoreevent"),
        ("communities_eventreview", "event_id", "communities_scoreevent"),
    ]:
        cursor.execute(
            f"SELECT count(*) FROM {table} t LEFT JOIN {target} r ON r.id = t.{column} "
            f"WHERE t.{column} IS NOT NULL AND r.id IS NULL"
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise RuntimeError(f"{missing} rows of {table}.{column} point nowhere")


def generate(world, households, events, year, steps):
    from django.db import connection

    world["households"] = households
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
        # Bulk load: the foreign-key triggers would check 2 million events × 5 keys one
        # by one; the rows reference existing ids by construction, and check_references
        # verifies that afterwards with one anti-join per key.
        cursor.execute("SET session_replication_role TO replica")
        try:
            steps("households", insert_households, cursor, world, households)
            world["movements"] = steps(
                "share movements", insert_share_movements, cursor, world, year
            )
            world.update(
                steps("score events + reviews", insert_score_events, cursor, world, year, events)
            )
        finally:
            cursor.execute("RESET session_replication_role")
        steps("check references", check_references, cursor)
        steps(
            "vacuum analyze",
            cursor.execute,
            "VACUUM (ANALYZE) villages_household, villages_sharemovement, "
            "communities_scoreevent, communities_eventreview",
        )


# --------------------------------------------------------------------------- floor


FLOOR_SQL = """
SELECT e.household_id, SUM(e.points)
FROM communities_scoreevent e
JOIN villages_household h ON h.id = e.household_id
LEFT JOIN communities_eventreview r ON r.event_id = e.id
WHERE h.cooperative_id = %(cooperative)s
  AND e.occurred_on BETWEEN %(start)s AND %(end)s
  AND (NOT e.needs_review OR r.decision = 'confirmed')
GROUP BY e.household_id
"""


def measure_floor(world, year, repeat=3):
    """Best and median of `repeat` executions of the aggregate, rows fetched; and its plan."""
    from django.db import connection

    parameters = {
        "cooperative": world["cooperative"].pk,
        "start": date(year, 1, 1),
        "end": date(year, 12, 31),
    }
    timings = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(FLOOR_SQL, parameters)
            rows = cursor.fetchall()
            timings.append(time.perf_counter() - started)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + FLOOR_SQL, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        # For comparison only: the same aggregate on one core (no parallel workers).
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL, parameters)
        cursor.fetchall()
        serial = time.perf_counter() - started
        cursor.execute("RESET max_parallel_workers_per_gather")
    return {
        "best_s": round(min(timings), 3),
        "median_s": round(statistics.median(timings), 3),
        "all_s": [round(t, 3) for t in timings],
        "serial_s": round(serial, 3),
        "rows": len(rows),
        "plan": plan,
    }


# --------------------------------------------------------------------------- runs


def create_run(world, year, policy):
    from dividends.models import DividendRun
    from dividends.services import dividend_run_create

    parameters = {"veto": True}
    if policy == "tiers":
        parameters["tiers"] = TIERS
    else:
        parameters["min_score"] = "60"
    return dividend_run_create(
        actor=world["admin"],
        cooperative=world["cooperative"],
        year=year,
        total=TOTAL,
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),  # Tongjie: the incentive is 20% of the base dividend
        policy=policy,
        parameters=parameters,
    )


def compute_in_child(run, timeout, profile=None, orm=False):
    """dividend_run_compute in a fresh process; its own report plus the process's wall time."""
    command = [sys.executable, str(CHILD), str(run.pk)]
    if profile:
        command += ["--profile", profile]
    if orm:
        command.append("--orm")
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True
    )
    PROCESSES.append(("child", process))
    try:
        stdout, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"the computation did not finish within {timeout} s") from None
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"the computation failed (exit code {process.returncode})")
    report = json.loads(stdout.strip().splitlines()[-1])
    report["process_wall_s"] = round(wall, 3)
    return report


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis():
    port = free_port()
    directory = tempfile.mkdtemp(prefix="pinghu-bench-redis-")
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            directory,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    PROCESSES.append(("redis", process))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


def status_memory_mb(pid, field):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return None


def compute_with_celery(run, timeout):
    """Send the real task to a real `celery worker --pool=solo` and wait for the run row."""
    from dividends.models import DividendRun
    from dividends.tasks import compute_dividend_run
    from pinghu_points.celery import app

    name = f"bench-dividend-{os.getpid()}@{socket.gethostname()}"
    log = tempfile.NamedTemporaryFile(prefix="pinghu-bench-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pinghu_points",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=warning",
            f"--hostname={name}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    PROCESSES.append(("celery worker", process))
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"celery worker did not start, see {log.name}")
        time.sleep(0.2)
    rss_before = status_memory_mb(process.pid, "VmRSS")
    started = time.perf_counter()
    compute_dividend_run.delay(run.pk)
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = DividendRun.objects.values_list("status", flat=True).get(pk=run.pk)
        if status in (DividendRun.Status.COMPUTED, DividendRun.Status.FAILED):
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    peak = status_memory_mb(process.pid, "VmHWM")
    stop(process)
    if status != DividendRun.Status.COMPUTED:
        raise RuntimeError(f"celery run ended as {status!r}, see {log.name}")
    return {
        "seconds": round(seconds, 3),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak, 1),
    }


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def verify(run, world, year):
    """Every line adds up, and agrees with plain SQL over the ledgers and the register."""
    from django.db import connection
    from django.db.models import Count, Sum

    run.refresh_from_db()
    sums = run.lines.aggregate(
        lines=Count("id"),
        base=Sum("base_amount"),
        incentive=Sum("incentive_amount"),
        total=Sum("total_amount"),
    )
    problems = []
    if sums["lines"] != world["households"] or run.household_count != world["households"]:
        problems.append(f"{sums['lines']} lines for {world['households']} households")
    if sums["base"] != run.base_pool:
        problems.append(f"Σ base {sums['base']} ≠ base pool {run.base_pool}")
    if sums["incentive"] != run.incentive_paid or run.incentive_paid + run.remainder != (
        run.incentive_pool
    ):
        problems.append(
            f"Σ incentive {sums['incentive']} + remainder {run.remainder} ≠ {run.incentive_pool}"
        )
    if sums["total"] != run.base_pool + run.incentive_paid:
        problems.append(f"Σ total {sums['total']} ≠ base + incentive paid")
    if run.base_pool + run.incentive_pool != run.total:
        problems.append("pools do not add up to the total")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH totals AS ({FLOOR_SQL}),
            vetoes AS (
                SELECT DISTINCT household_id FROM (
                    SELECT e.household_id, e.item_id
                    FROM communities_scoreevent e
                    JOIN communities_scoringitem i ON i.id = e.item_id AND i.is_veto
                    LEFT JOIN communities_eventreview r ON r.event_id = e.id
                    WHERE e.occurred_on BETWEEN %(start)s AND %(end)s
                      AND (NOT e.needs_review OR r.decision = 'confirmed')
                    GROUP BY e.household_id, e.item_id HAVING SUM(e.points) <> 0) v),
            held AS (
                SELECT m.household_id, SUM(m.total * c.weight) AS weighted,
                       jsonb_object_agg(c.name, m.total::text) AS shares
                FROM (SELECT household_id, share_class_id, SUM(quantity) AS total
                      FROM villages_sharemovement WHERE effective_on <= %(record_date)s
                      GROUP BY 1, 2 HAVING SUM(quantity) <> 0) m
                JOIN villages_shareclass c ON c.id = m.share_class_id
                GROUP BY m.household_id)
            SELECT count(*) FILTER (WHERE l.score <> LEAST(GREATEST(
                       100 + COALESCE(t.sum, 0), 0), 120)),
                   count(*) FILTER (WHERE l.vetoed <> (v.household_id IS NOT NULL)),
                   count(*) FILTER (WHERE l.shares <> held.shares
                                       OR l.weighted_shares <> held.weighted),
                   count(*) FILTER (WHERE (l.household_number, l.head_name, l.bank_name,
                                           l.bank_account, l.community_name,
                                           l.head_id_number_masked)
                       IS DISTINCT FROM (h.number, h.head_name, h.bank_name, h.bank_account,
                                         c.name, left(h.head_id_number, 6) || '********'
                                         || right(h.head_id_number, 4))),
                   count(*) FILTER (WHERE v.household_id IS NOT NULL),
                   count(*) FILTER (WHERE l.head_name LIKE E'%%\t%%')
            FROM dividends_dividendline l
            JOIN villages_household h ON h.id = l.household_id
            JOIN communities_community c ON c.id = h.community_id
            LEFT JOIN totals t ON t.household_id = l.household_id
            LEFT JOIN vetoes v ON v.household_id = l.household_id
            LEFT JOIN held ON held.household_id = l.household_id
            WHERE l.run_id = %(run)s
            """,
            {
                "cooperative": world["cooperative"].pk,
                "start": date(year, 1, 1),
                "end": date(year, 12, 31),
                "record_date": run.record_date,
                "run": run.pk,
            },
        )
        wrong_scores, wrong_vetoes, wrong_shares, wrong_snapshot, vetoed, escaped = (
            cursor.fetchone()
        )
    if wrong_scores:
        problems.append(f"{wrong_scores} lines with a score other than the SQL aggregate's")
    if wrong_vetoes:
        problems.append(f"{wrong_vetoes} lines with a wrong veto")
    if wrong_shares:
        problems.append(f"{wrong_shares} lines whose shares differ from the share ledger")
    if wrong_snapshot:
        problems.append(f"{wrong_snapshot} lines whose snapshot differs from the register")
    if not escaped:
        problems.append("the names with a tab did not arrive")
    return {
        "ok": not problems,
        "problems": problems,
        "lines": sums["lines"],
        "vetoed": vetoed,
        "base_pool": str(run.base_pool),
        "incentive_pool": str(run.incentive_pool),
        "incentive_paid": str(run.incentive_paid),
        "remainder": str(run.remainder),
    }


LINE_COLUMNS = (
    "household_id, household_number, head_name, head_id_number_masked, community_name, "
    "bank_name, bank_account, shares, weighted_shares::text, score::text, vetoed, "
    "base_amount::text, incentive_amount::text, total_amount::text"
)


def lines_differ(run_a, run_b):
    """How many lines differ between two runs, values as text and order by id included."""
    from django.db import connection

    lines = (
        f"SELECT row_number() OVER (ORDER BY id), {LINE_COLUMNS} "
        "FROM dividends_dividendline WHERE run_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM ({lines} EXCEPT ALL {lines}) a) "
            f"     + (SELECT count(*) FROM ({lines} EXCEPT ALL {lines}) b)",
            [run_a.pk, run_b.pk, run_b.pk, run_a.pk],
        )
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------- main


def load():
    return round(os.getloadavg()[0], 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--policy", choices=["score", "score_shares", "tiers"], default="tiers")
    parser.add_argument("--runs", type=int, default=3, help="computations (new versions) to time")
    parser.add_argument(
        "--orm-check",
        action="store_true",
        help="also compute once with bulk_create instead of COPY and compare the lines",
    )
    parser.add_argument("--celery", action="store_true", help="also one run on a real worker")
    parser.add_argument("--profile", help="write a cProfile of the first computation here")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per computation")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    options = parser.parse_args()
    if not 1 <= options.households <= 999_999:
        parser.error("--households must be between 1 and 999,999 (6-digit household numbers)")

    server_version = create_database()
    broker_url = start_redis() if options.celery else None
    setup_django(broker_url)
    results = {
        "households": options.households,
        "events": options.events,
        "policy": options.policy,
        "postgresql": server_version,
        "cpus": os.cpu_count(),
        "load_at_start": load(),
    }
    ok = False
    try:
        from django.core.management import call_command

        steps = Steps()
        print(f"Database {DB_NAME} (PostgreSQL {server_version}):", flush=True)
        steps("migrate", call_command, "migrate", verbosity=0, interactive=False)
        world = steps("register", build_register, options.year)
        generate(world, options.households, options.events, options.year, steps)
        results["generation_s"] = steps.seconds
        results["data"] = {
            key: world[key] for key in ("households", "movements", "events", "reviews", "reversals")
        }
        print(
            "  {households:,} households, {movements:,} share movements, {events:,} events, "
            "{reviews:,} reviews, {reversals:,} reversals".format(**results["data"]),
            flush=True,
        )

        # The floor is measured again before each run: the machine's load changes.
        results["runs"], first_run = [], None
        for number in range(options.runs):
            floor = measure_floor(world, options.year)
            if number == 0:
                print(f"\nFloor plan (EXPLAIN ANALYZE, BUFFERS):\n{floor['plan']}", flush=True)
                results["floor_plan"] = floor["plan"]
            del floor["plan"]
            run = create_run(world, options.year, options.policy)
            first_run = first_run or run
            report = compute_in_child(
                run, options.timeout, options.profile if number == 0 else None
            )
            report.update(
                floor=floor,
                load=load(),
                version=run.version,
                check=verify(run, world, options.year),
            )
            results["runs"].append(report)
            print(f"\nRun v{run.version}: {json.dumps(report, ensure_ascii=False)}", flush=True)
        if options.orm_check:
            floor = measure_floor(world, options.year)
            del floor["plan"]
            run = create_run(world, options.year, options.policy)
            report = compute_in_child(run, options.timeout, orm=True)
            report.update(
                floor=floor,
                load=load(),
                version=run.version,
                check=verify(run, world, options.year),
            )
            # The same lines, value for value and in the same order, as the COPY run's.
            report["lines_differ"] = lines_differ(first_run, run) if first_run else None
            results["orm"] = report
            print(f"\nORM v{run.version}: {json.dumps(report, ensure_ascii=False)}", flush=True)
        if options.celery:
            floor = measure_floor(world, options.year)
            del floor["plan"]
            run = create_run(world, options.year, options.policy)
            report = compute_with_celery(run, options.timeout)
            report.update(
                floor=floor,
                load=load(),
                version=run.version,
                check=verify(run, world, options.year),
            )
            results["celery"] = report
            print(f"\nCelery v{run.version}: {json.dumps(report, ensure_ascii=False)}", flush=True)

        print_table(results)
        checks = [run["check"]["ok"] and run.get("ok", True) for run in results["runs"]]
        checks += [results[key]["check"]["ok"] for key in ("orm", "celery") if key in results]
        if "orm" in results and results["orm"]["lines_differ"] is not None:
            checks.append(results["orm"]["lines_differ"] == 0)
        ok = all(checks)
        if options.json:
            Path(options.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    finally:
        for _name, process in reversed(PROCESSES):
            stop(process)
        if options.keep:
            print(f"\nKept database {DB_NAME} ({DATABASE_URL}).")
        else:
            drop_database()
    sys.exit(0 if ok else 1)


def print_table(results):
    print(
        f"\n{results['households']:,} households, {results['events']:,} events, "
        f"policy {results['policy']}, PostgreSQL {results['postgresql']}, "
        f"{results['cpus']} CPUs, load average at start {results['load_at_start']}"
    )
    header = (
        f"{'measure':<46} {'wall s':>7} {'cpu s':>6} {'floor s':>8} {'× floor':>8} "
        f"{'1-core floor':>12} {'peak MB':>8} {'load':>5}  check"
    )
    print(header)
    print("-" * len(header))
    labels = {
        "run": "dividend_run_compute (COPY)",
        "orm": "dividend_run_compute (bulk_create)",
        "celery": "celery worker, enqueue → computed",
    }
    rows = [("run", run) for run in results["runs"]]
    rows += [(key, results[key]) for key in ("orm", "celery") if key in results]
    for kind, run in rows:
        floor, label = run["floor"], f"v{run['version']}: {labels[kind]}"
        print(
            f"{label:<46} {run['seconds']:>7.2f} "
            f"{run.get('cpu_s', float('nan')):>6.2f} {floor['best_s']:>8.2f} "
            f"{run['seconds'] / floor['best_s']:>8.1f} {floor['serial_s']:>12.2f} "
            f"{run['peak_rss_mb']:>8.0f} {run['load']:>5}  "
            f"{'ok' if run['check']['ok'] else run['check']['problems']}"
        )
    seconds = [run["seconds"] for run in results["runs"]]
    ratios = [run["seconds"] / run["floor"]["best_s"] for run in results["runs"]]
    print(
        f"median of {len(seconds)} runs: {statistics.median(seconds):.2f} s "
        f"(range {min(seconds):.2f}–{max(seconds):.2f}), "
        f"{statistics.median(ratios):.1f} × floor (range {min(ratios):.1f}–{max(ratios):.1f}), "
        f"peak {max(run['peak_rss_mb'] for run in results['runs']):.0f} MB"
    )


if __name__ == "__main__":
    main()
