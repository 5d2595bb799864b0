"""Bench of the subdistrict overview pages (街道总览) against PostgreSQL.

    .venv/bin/python bench/overview_pages.py [--households 100000] [--events 2000000]
                                             [--repeat 3] [--keep] [--json FILE]

The data is the dividend bench's (bench/dividend_run.py, same generator, same sizes by
default): one cooperative of a dissolved village, 10 communities, `--households`
households and `--events` score events of the year, with reviews and reversals. It is
built in its own database `pinghu_bench_overview` (dropped first and at the end unless
`--keep`), so it never touches the dividend bench's.

Then, through Django's test client in this process (no HTTP server; the time is the
view's: queries, Python, template), it requests each overview page as the subdistrict
admin (all 100,000 households) and as a community staff member of one community
(about a tenth of them): `--repeat` times each, and prints the best and the median wall
time and the number of queries. The year is the bench's year (2025), the "today" of the
to-do lists is 15 June of that year. Figures: docs/performance.md ("Overview pages").
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dividend_run  # noqa: E402  (bench/ is on sys.path)

dividend_run.DB_NAME = "pinghu_bench_overview"
dividend_run.DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{dividend_run.DB_NAME}"


def pages(year, community_id):
    return [
        ("matrix", "/overview/", {"year": year}),
        ("statistics", "/overview/statistics/", {"year": year, "month_from": 1, "month_to": 12}),
        (
            "statistics xlsx",
            "/overview/statistics/",
            {"year": year, "month_from": 1, "month_to": 12, "format": "xlsx"},
        ),
        (
            "honor roll",
            "/overview/honor-roll/",
            {"year": year, "month": 6, "community": community_id},
        ),
        ("cooperatives", "/overview/cooperatives/", {"year": year}),
        ("home (to-do)", "/", {}),
    ]


def time_page(client, url, params, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds, queries = [], None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return {
        "best_s": round(min(seconds), 2),
        "median_s": round(statistics.median(seconds), 2),
        "queries": queries,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="time the pages on the database a --keep run left"
    )
    parser.add_argument("--only", help="time only the pages whose name contains this")
    parser.add_argument("--json")
    options = parser.parse_args()

    server_version = None if options.reuse else dividend_run.create_database()
    dividend_run.setup_django()
    results = {
        "households": options.households,
        "events": options.events,
        "postgresql": server_version,
        "cpus": os.cpu_count(),
        "load_at_start": dividend_run.load(),
        "pages": {},
    }
    try:
        from django.core.management import call_command
        from django.test import Client

        from accounts.models import User
        from communities.models import Community, StaffMembership
        from overview import views as overview_views

        if options.reuse:
            world = {
                "admin": User.objects.get(username="bench_admin"),
                "staff": User.objects.get(username="bench_staff").pk,
            }
            community_id = Community.objects.order_by("code").values_list("pk", flat=True)[0]
        else:
            steps = dividend_run.Steps()
            steps("migrate", call_command, "migrate", verbosity=0, interactive=False)
            world = steps("register", dividend_run.build_register, options.year)
            dividend_run.generate(world, options.households, options.events, options.year, steps)
            results["generation_s"] = steps.seconds
            community_id = world["communities"][0]
            StaffMembership.objects.create(user_id=world["staff"], community_id=community_id)
        today = date(options.year, 6, 15)
        overview_views.today = lambda: today
        # The home page's to-do lists read the local date: pin it to the bench's year.
        from django.utils import timezone

        timezone.localdate = lambda *args, **kwargs: today

        for role, user in (
            ("admin", world["admin"]),
            ("staff", User.objects.get(pk=world["staff"])),
        ):
            client = Client()
            client.force_login(user)
            for name, url, params in pages(options.year, community_id):
                if options.only and options.only not in name:
                    continue
                if role == "staff" and name == "cooperatives":
                    continue  # staff do not read dividend runs (403)
                report = time_page(client, url, params, options.repeat)
                results["pages"][f"{role}: {name}"] = report
                print(f"  {role:5} {name:16} {json.dumps(report)}", flush=True)
        results["load_at_end"] = dividend_run.load()
        if options.json:
            Path(options.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    finally:
        if options.keep or options.reuse:
            print(f"\nKept database {dividend_run.DB_NAME}.")
        else:
            dividend_run.drop_database()


if __name__ == "__main__":
    main()
