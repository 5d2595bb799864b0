"""Issue 25, point 4, in a real browser (chromium, 360 px, context.set_offline): without
signal the grid leader records a matter at a household, a re-inspection of its
rectification, a visit and a progress note on the grid's matter in hand; they survive a
reload offline, go once the signal is back, and sending the same queue again records
nothing new. Screenshots to test-artifacts/door-records-*.png."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import (
    DoorRecord,
    HouseholdVisit,
    RectificationInspection,
    ScoreEvent,
    ScoringItem,
)
from communities.services import Entry, score_events_record
from matters import services as matter_services
from matters.models import Matter, MatterStep
from tests.browser import test_door_entry as door_entry
from tests.browser.test_door_entry import PHONE, jpeg_bytes, login, open_door

# The door entry's fixtures: this year's standard, the 360 px phone.
door_standard = door_entry.door_standard
phone = door_entry.phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def records_waiting(page):
    return int(page.get_attribute("#door-records-counts", "data-waiting"))


def take_photo(page):
    page.set_input_files(
        "#door-record-photo",
        files=[{"name": "bank.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    page.wait_for_selector("#door-record[data-photo='ready']")


def save_record(page):
    page.click("#door-record-save")
    page.wait_for_selector("#door-record-dialog", state="hidden")


def assert_fits(page, *selectors):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for selector in selectors:
        locator = page.locator(selector)
        for i in range(locator.count()):
            box = locator.nth(i).bounding_box()
            if box:
                assert box["height"] >= 44 and box["width"] >= 44, selector


def test_a_matter_a_re_inspection_a_visit_and_a_progress_note_offline_sync_once(
    live_server,
    transactional_db,
    world,
    door_standard,
    phone,
    artifacts,
):
    context, page = phone
    a = world.a_east
    litter = door_standard["litter"]
    ScoringItem.objects.filter(pk=litter.pk).update(rectify_days=7, rectify_refund_percent=100)
    today = timezone.localdate()
    score_events_record(
        actor=world.staff_east,
        entries=[Entry(a.pk, litter.pk, today, Decimal("3"), note="门前堆放杂物")],
    )
    in_hand = matter_services.matter_record(
        actor=world.staff_east, text="村口路灯不亮", micro_grid=world.grid_east
    )
    matter_services.matter_assess(actor=world.staff_east, matter=in_hand, decision="accepted")
    matter_services.matter_assign(
        actor=world.staff_east, matter=in_hand, office="镇城建办", due_on=today + timedelta(days=5)
    )

    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    open_door(page, live_server.url, world.grid_east)  # kept by the service worker now
    page.wait_for_selector("#door-records[data-ready='1']", state="attached")
    assert page.locator(f"#door-records-matters [data-matter='{in_hand.pk}']").count() == 1

    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    page.click(f"#door-row-{a.pk}")
    page.wait_for_selector("#door-household:not([hidden])")
    page.wait_for_selector("#door-records-rectification:not([hidden])")
    assert_fits(page, "#door-record-matter", "#door-record-visit", ".door-record-inspect")
    page.screenshot(path=str(artifacts / "door-records-1-household-offline.png"), full_page=True)

    # 议事 at the door: what, where, a photo; for this household.
    page.click("#door-record-matter")
    page.wait_for_selector("#door-record-dialog[open]")
    page.click("#door-record-save")  # nothing written yet: not taken
    assert "请写下是什么事" in page.inner_text("#door-record-errors")
    page.fill("#door-record-text", "坟浜河岸杂草丛生，岸坡塌了")
    page.fill("#door-record-place", "坟浜河边")
    take_photo(page)
    assert_fits(page, "#door-record-save", "#door-record-cancel")
    page.screenshot(path=str(artifacts / "door-records-2-matter-form.png"), full_page=True)
    save_record(page)
    assert records_waiting(page) == 1

    # 整改复查: rectified on time, with a photo.
    page.click(".door-record-inspect")
    page.wait_for_selector("#door-record-dialog[open]")
    page.check("#door-record-results input[value='on_time']")
    page.fill("#door-record-note", "杂物已清走")
    take_photo(page)
    assert_fits(page, "#door-record-results label")
    page.screenshot(path=str(artifacts / "door-records-3-re-inspection-form.png"), full_page=True)
    save_record(page)
    assert page.locator(".door-record-inspect").count() == 0  # done, waiting to be sent

    page.click("#door-record-visit")
    page.wait_for_selector("#door-record-dialog[open]")
    save_record(page)

    # 办理 on the grid's matter in hand, from the grid's list (the 议站).
    page.click("#door-household .door-back")
    page.wait_for_selector("#door-list:not([hidden])")
    page.click(f"#door-records-matters [data-matter='{in_hand.pk}'] .door-record-progress")
    page.fill("#door-record-note", "已报镇城建办，周五来修")
    save_record(page)
    assert records_waiting(page) == 4
    assert_fits(page, "#door-record-grid-matter", ".door-record-progress")
    page.screenshot(path=str(artifacts / "door-records-4-queued-offline.png"), full_page=True)

    # Reload without signal: the records are still on the phone, nothing has gone.
    page.reload()
    page.wait_for_selector("#door-records-counts[data-waiting='4']", state="attached")
    assert DoorRecord.objects.count() == 0 and Matter.objects.count() == 1
    kept = page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("pinghu-door-records");
          open.onsuccess = () => {
            const get = open.result.transaction("queue").objectStore("queue").getAll();
            get.onsuccess = () => { window.sentRecords = get.result; resolve(get.result.length); };
          };
        })"""
    )
    assert kept == 4

    context.set_offline(False)
    page.wait_for_selector("#door-records-counts[data-waiting='0']", state="attached")
    page.wait_for_function("() => document.getElementById('door-records').dataset.lastSync")
    raised = Matter.objects.exclude(pk=in_hand.pk).get()
    assert (raised.household, raised.place, raised.text) == (
        a,
        "坟浜河边",
        "坟浜河岸杂草丛生，岸坡塌了",
    )
    assert raised.photo
    inspection = RectificationInspection.objects.get()
    assert inspection.result == "on_time" and inspection.photo and inspection.note == "杂物已清走"
    assert inspection.earn_back.points == Decimal("3")
    assert HouseholdVisit.objects.get().household == a
    assert MatterStep.objects.get(step=MatterStep.Step.HANDLE).note == "已报镇城建办，周五来修"
    assert DoorRecord.objects.count() == 4
    # The grid's data comes again: the row's 待整改 badge is gone, the return is counted.
    page.wait_for_selector(f"#door-row-{a.pk} .door-rectify", state="detached")
    page.click(f"#door-row-{a.pk}")
    page.wait_for_selector("#door-household:not([hidden])")
    page.wait_for_selector("#door-records-rectification", state="hidden")
    assert page.inner_text("#door-month-points") == "0"
    page.screenshot(path=str(artifacts / "door-records-5-synced.png"), full_page=True)

    # The same queue sent again (a retry after a lost answer): nothing new is recorded.
    statuses = page.evaluate(
        """() => {
          const form = new FormData();
          form.append("records", JSON.stringify(window.sentRecords));
          window.sentRecords.forEach((r) => {
            if (r.photo) form.append("photo-" + r.clientId, r.photo, "photo.jpg");
          });
          return fetch("/matters/door/records/sync/", { method: "POST", body: form,
              headers: { "X-CSRFToken": document.getElementById("door").dataset.csrf } })
            .then((response) => response.json())
            .then((answer) => answer.results.map((result) => result.status));
        }"""
    )
    assert statuses == ["existing"] * 4
    assert DoorRecord.objects.count() == 4 and Matter.objects.count() == 2
    assert RectificationInspection.objects.count() == 1
    assert ScoreEvent.objects.filter(points__gt=0).count() == 1


def test_a_refused_re_inspection_comes_back_with_its_reason_and_the_matter_goes(
    live_server, transactional_db, world, door_standard, phone, artifacts
):
    """Meanwhile, at the desk, the deduction is reversed: its re-inspection comes back with
    the service's reason, shown on the phone until dismissed; the matter beside it goes."""
    from communities.services import score_event_reverse

    context, page = phone
    a = world.a_east
    litter = door_standard["litter"]
    ScoringItem.objects.filter(pk=litter.pk).update(rectify_days=7, rectify_refund_percent=50)
    (deduction,) = score_events_record(
        actor=world.staff_east,
        entries=[Entry(a.pk, litter.pk, timezone.localdate(), Decimal("2"), note="乱堆")],
    )
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    page.wait_for_selector("#door-records[data-ready='1']", state="attached")
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    page.click(f"#door-row-{a.pk}")
    page.wait_for_selector("#door-records-rectification:not([hidden])")
    page.click(".door-record-inspect")
    page.check("#door-record-results input[value='on_time']")
    save_record(page)
    page.click("#door-record-matter")
    page.fill("#door-record-text", "楼道灯坏了")
    save_record(page)
    assert records_waiting(page) == 2

    score_event_reverse(actor=world.admin, event=deduction, reason="录错了")
    context.set_offline(False)
    page.wait_for_selector("#door-records-queue .is-refused")
    page.wait_for_selector("#door-records-counts[data-waiting='0']", state="attached")
    refused = page.inner_text("#door-records-queue .is-refused")
    assert "整改复查" in refused and "该扣分已冲正或未计入，无需复查" in refused
    assert Matter.objects.get().text == "楼道灯坏了"
    assert not RectificationInspection.objects.exists()
    assert_fits(page, ".door-dismiss")
    page.screenshot(path=str(artifacts / "door-records-6-refused-with-reason.png"), full_page=True)
    # It stays (a reload keeps it) until the leader has read it.
    page.reload()
    page.wait_for_selector("#door-records-queue .is-refused")
    page.click("#door-records-queue .door-dismiss")
    page.wait_for_selector("#door-records-queue .is-refused", state="detached")
    assert DoorRecord.objects.count() == 1


def test_a_session_ended_offline_keeps_the_records_until_the_next_login(
    live_server, transactional_db, world, door_standard, phone, artifacts
):
    from tests.conftest import PASSWORD

    context, page = phone
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    page.wait_for_selector("#door-records[data-ready='1']", state="attached")
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    page.click("#door-record-grid-matter")
    page.fill("#door-record-text", "健身器材坏了")
    page.fill("#door-record-place", "村文化广场")
    save_record(page)
    context.clear_cookies()  # the staff session ended (idle limit) while out of signal
    context.set_offline(False)
    page.wait_for_selector("#door-records-problem a")
    assert records_waiting(page) == 1 and not Matter.objects.exists()
    page.click("#door-records-problem a")
    page.fill("#id_username", "staff_east")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_function("() => document.getElementById('door-records').dataset.lastSync")
    matter = Matter.objects.get()
    assert (matter.micro_grid, matter.household, matter.place) == (
        world.grid_east,
        None,
        "村文化广场",
    )
