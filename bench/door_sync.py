"""Bench: how long a grid leader's phone takes to send 50 queued entries (入户评分同步).

    .venv/bin/python bench/door_sync.py [--runs 5] [--photo-kb 150]

All on this machine, against PostgreSQL on 127.0.0.1:

1. creates its own database `pinghu_bench_door` (dropped first if a previous run left it),
   migrates it, and builds a community with `--runs` + 1 grids of 10 households, a
   published standard for this year with 5 uncapped items (3 add, 2 deduct) and a staff
   login; uploaded photos go to a temporary folder;
2. for each run, on a fresh grid, sends 50 queued entries (10 households × 5 items, each
   deduction with its reason) the way static/js/door.js does: POST /communities/door/sync/
   in chunks of 10 entries, multipart, through Django's test client in-process (no network,
   no web server: the time is the app's and the database's);
   - without photos;
   - with a photo on every entry (a JPEG of about `--photo-kb` KB, what the phone's
     canvas compression makes of a camera picture), re-encoded by the server;
   - the same 50 with photos sent a second time (a retry): all come back "existing";
3. prints the median and worst of the runs for each case, then drops the database.

The figures are written down in docs/performance.md ("Door entry sync").
"""

import argparse
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import bench_database  # bench/ is on sys.path when a bench runs as a script

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "pinghu_bench_door"
SERVER_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
CHUNK = 10  # what door.js sends per request


def setup_django(media_root):
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["MEDIA_ROOT"] = str(media_root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()


def build(grid_count):
    """The batch bench's world (one community, `grid_count` grids of 10 households, a
    standard of 5 items, a staff login): (staff, grids, items)."""
    import batch_entry_load

    from communities.models import MicroGrid, ScoringItem

    world = batch_entry_load.build(grid_count)
    grids = list(MicroGrid.objects.filter(pk__in=world["grids"]).order_by("code"))
    items = list(ScoringItem.objects.filter(pk__in=world["items"]).order_by("code"))
    return world["staff"], grids, items


def photo_bytes(kilobytes):
    """A noisy 1600×1200 JPEG, about `kilobytes` KB, like the phone's compressed photo."""
    from PIL import Image

    rng = random.Random(7)
    image = Image.new("RGB", (1600, 1200))
    small = Image.frombytes(
        "RGB", (160, 120), bytes(rng.getrandbits(8) for _ in range(160 * 120 * 3))
    )
    image.paste(small.resize((1600, 1200)))
    for quality in range(90, 10, -5):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= kilobytes * 1024:
            break
    return buffer.getvalue()


def queue_for(grid, items, today):
    from villages.models import Household

    queue = []
    for household in Household.objects.filter(micro_grid=grid).order_by("number"):
        for item in items:
            queue.append(
                {
                    "clientId": str(uuid.uuid4()),
                    "household": household.pk,
                    "item": item.pk,
                    "points": "2",
                    "note": "" if item.direction == "add" else "楼道堆放杂物",
                    "occurredOn": today.isoformat(),
                }
            )
    return queue


def send(client, queue, photo):
    """POST the queue in chunks like door.js; returns (seconds, statuses)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    statuses = []
    started = time.perf_counter()
    for start in range(0, len(queue), CHUNK):
        chunk = queue[start : start + CHUNK]
        data = {"entries": json.dumps(chunk)}
        if photo:
            for entry in chunk:
                data[f"photo-{entry['clientId']}"] = SimpleUploadedFile(
                    "photo.jpg", photo, content_type="image/jpeg"
                )
        response = client.post("/communities/door/sync/", data)
        assert response.status_code == 200, response.content[:300]
        statuses += [result["status"] for result in response.json()["results"]]
    return time.perf_counter() - started, statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--photo-kb", type=int, default=150)
    args = parser.parse_args()

    media = Path(tempfile.mkdtemp(prefix="pinghu-door-bench-"))
    version = bench_database.create_database(SERVER_DATABASE_URL, DB_NAME)
    try:
        setup_django(media)
        from django.test import Client
        from django.utils import timezone

        from communities.models import ScoreEvent

        staff, grids, items = build(2 * args.runs + 1)
        client = Client()
        client.force_login(staff)
        today = timezone.localdate()
        photo = photo_bytes(args.photo_kb)
        # Warm up (imports, first connection, Pillow) on a grid of its own.
        send(client, queue_for(grids[-1], items, today), None)

        plain, photos, again = [], [], []
        for run in range(args.runs):
            seconds, statuses = send(client, queue_for(grids[2 * run], items, today), None)
            assert statuses == ["created"] * 50, statuses
            plain.append(seconds)
            queue = queue_for(grids[2 * run + 1], items, today)
            seconds, statuses = send(client, queue, photo)
            assert statuses == ["created"] * 50, statuses
            photos.append(seconds)
            seconds, statuses = send(client, queue, photo)
            assert statuses == ["existing"] * 50, statuses
            again.append(seconds)
        expected = 50 * (2 * args.runs + 1)
        assert ScoreEvent.objects.count() == expected, ScoreEvent.objects.count()

        print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, photo {len(photo) // 1024} KB")
        print(f"{'case (50 entries, 5 requests of 10)':<44} {'median s':>9} {'worst s':>9}")
        for label, times in (
            ("without photos", plain),
            ("with a photo each", photos),
            ("same 50 again (all existing)", again),
        ):
            print(f"{label:<44} {statistics.median(times):>9.2f} {max(times):>9.2f}")
    finally:
        bench_database.drop_database(SERVER_DATABASE_URL, DB_NAME)
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
