"""One dividend computation in a process of its own, as the worker runs it.

    DATABASE_URL=… python bench/dividend_worker_child.py RUN_ID [--profile FILE]

Started by bench/dividend_run.py. It imports Django, then calls
`dividends.services.dividend_run_compute(run_id=…)` (the function the Celery task
calls) and prints one JSON line on stdout:

    {"seconds": …, "phases": {"5": …, "20": …}, "rss_before_mb": …, "peak_rss_mb": …}

`phases` are the seconds from the start of the computation to each progress report.
`rss_before_mb` is the resident memory after Django is set up, before the computation;
`peak_rss_mb` is the process's high-water mark (VmHWM), i.e. the worker's peak.
"""

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
    run_id = int(argv[0])
    profile_path = argv[2] if len(argv) > 2 and argv[1] == "--profile" else None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from dividends.models import DividendRun
    from dividends.services import dividend_run_compute

    connection.ensure_connection()  # connecting is not part of the computation
    rss_before = memory_mb("VmRSS")
    phases = {}
    started = time.perf_counter()

    def progress(percent):
        phases[str(percent)] = round(time.perf_counter() - started, 3)

    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    run = dividend_run_compute(run_id=run_id, progress=progress)
    seconds = time.perf_counter() - started
    if profile_path:
        profiler.disable()
        profiler.dump_stats(profile_path)
    print(
        json.dumps(
            {
                "run": run.pk,
                "status": run.status,
                "ok": run.status == DividendRun.Status.COMPUTED,
                "seconds": round(seconds, 3),
                "phases": phases,
                "rss_before_mb": round(rss_before, 1),
                "peak_rss_mb": round(memory_mb("VmHWM"), 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
