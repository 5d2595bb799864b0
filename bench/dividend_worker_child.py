"""One dividend computation in a process of its own, as the worker runs it.

    DATABASE_URL=… python bench/dividend_worker_child.py RUN_ID [--orm] [--profile FILE]

Started by bench/dividend_run.py. It imports Django, then calls
`dividends.run_jobs.dividend_run_compute(run_id=…)` (the function the Celery task
calls) and prints one JSON line on stdout:

    {"seconds": …, "cpu_s": …, "phases": {"20": …}, "rss_before_mb": …, "peak_rss_mb": …}

`seconds` is the wall time of the call and `cpu_s` the CPU time this process spent in
it (the rest is waiting for PostgreSQL). `phases` are the seconds from the start of the
call to each progress report. `rss_before_mb` is the resident memory after Django is set
up, before the computation; `peak_rss_mb` is the process's high-water mark (VmHWM), the
worker's peak. `--orm` writes the lines with bulk_create instead of COPY, to compare the
two paths; `--profile` writes a cProfile of the call.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def memory_mb(field):
    """VmRSS / VmHWM of this process in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return None


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("run_id", type=int)
    parser.add_argument("--orm", action="store_true", help="bulk_create instead of COPY")
    parser.add_argument("--profile", help="write a cProfile of the computation here")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from dividends import run_jobs
    from dividends.models import DividendRun

    if options.orm:
        run_jobs.COPY_MIN_LINES = sys.maxsize
    connection.ensure_connection()  # connecting is not part of the computation
    rss_before = memory_mb("VmRSS")
    phases = {}
    started, cpu_started = time.perf_counter(), time.process_time()

    def progress(percent):
        phases[str(percent)] = round(time.perf_counter() - started, 3)

    if options.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    run = run_jobs.dividend_run_compute(run_id=options.run_id, progress=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if options.profile:
        profiler.disable()
        profiler.dump_stats(options.profile)
    print(
        json.dumps(
            {
                "run": run.pk,
                "status": run.status,
                "ok": run.status == DividendRun.Status.COMPUTED,
                "seconds": round(seconds, 3),
                "cpu_s": round(cpu, 3),
                "phases": phases,
                "rss_before_mb": round(rss_before, 1),
                "peak_rss_mb": round(memory_mb("VmHWM"), 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
