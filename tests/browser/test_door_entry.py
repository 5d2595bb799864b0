"""A grid leader scores at the door on a phone without signal (Playwright, chromium, 360 px):
entries with photos wait on the phone, survive a reload offline, are sent once online, and
sending the same queue again changes nothing; an entry the server refuses comes back with
its reason. Screenshots of each step go to test-artifacts/."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from communities import services
from communities.models import ScoreEvent, ScoringItem, ScoringStandard, StandardAdoption
from tests import factories
from tests.browser.conftest import watch_csp
from tests.conftest import PASSWORD, fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def door_standard(world):
    """This year's published standard (the phone dates entries with its own clock)."""
    year = timezone.localdate().year
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name="撤建制村统一标准",
        year=year,
        base_points=Decimal("80"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    for cooperative in (world.coop_a, world.coop_b):
        StandardAdoption.objects.create(
            standard=standard, cooperative=cooperative, meeting_date=date(year, 1, 15), votes_for=45
        )
    add, deduct = ScoringItem.Direction.ADD, ScoringItem.Direction.DEDUCT

    def item(code, name, direction, default, low, high, **extra):
        return ScoringItem.objects.create(
            standard=standard,
            code=code,
            name=name,
            category=extra.pop("category", ScoringItem.Category.ENVIRONMENT),
            direction=direction,
            default_points=Decimal(default),
            min_points=Decimal(low),
            max_points=Decimal(high),
            **extra,
        )

    return {
        "clean": item("HJ01", "庭院整洁", add, "5", "1", "10", cap_per_month=Decimal("10")),
        "volunteer": item(
            "CY01", "志愿服务", add, "2", "1", "5", category=ScoringItem.Category.PARTICIPATION
        ),
        "litter": item("HJ11", "乱堆乱放", deduct, "5", "1", "10"),
    }


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        yield context, page
    finally:
        context.close()
    assert violations == [], violations


def jpeg_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), "#3a7").save(buffer, format="JPEG")
    return buffer.getvalue()


def login(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def open_door(page, base_url, grid):
    page.goto(f"{base_url}/communities/door/?grid={grid.pk}")
    page.wait_for_selector("#door[data-ready='1']")


def record(page, household, item_name, *, points=None, note="", photo=True):
    page.click(f"#door-row-{household.pk}")
    page.wait_for_selector("#door-household:not([hidden])")
    page.locator(".door-item", has_text=item_name).click()
    page.wait_for_selector("#door-entry:not([hidden])")
    if points is not None:
        page.fill("#door-points", points)
    if note:
        page.fill("#door-note", note)
    if photo:
        page.set_input_files(
            "#door-photo",
            files=[{"name": "yard.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
        )
        page.wait_for_selector("#door-entry[data-photo='ready']")
    page.click("#door-entry-save")
    page.wait_for_selector("#door-entry", state="hidden")
    page.click("#door-household .door-back")
    page.wait_for_selector("#door-list:not([hidden])")


def waiting(page):
    return int(page.get_attribute("#door-counts", "data-waiting"))


def assert_fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("#door-send:visible").count() == (
        1 if page.evaluate("navigator.onLine") and waiting(page) else 0
    )
    for selector in (".door-row", ".door-item", "#door-entry-save", ".door-back"):
        for box in (
            page.locator(selector).nth(i).bounding_box()
            for i in range(min(3, page.locator(selector).count()))
        ):
            if box:  # visible ones only
                assert box["height"] >= 44, selector


def test_three_entries_offline_are_sent_once(
    live_server, transactional_db, world, door_standard, phone, artifacts
):
    context, page = phone
    a, b = world.a_east, world.b_east
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Once more online, so the app's page is kept by the service worker.
    open_door(page, live_server.url, world.grid_east)
    assert page.locator(".door-row").count() == 2
    assert page.locator(f"#door-row-{a.pk} .is-not-visited").count() == 1
    assert_fits_the_phone(page)
    page.screenshot(path=str(artifacts / "door-1-grid-online.png"), full_page=True)

    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    record(page, a, "庭院整洁", points="4")
    page.click(f"#door-row-{b.pk}")
    page.locator(".door-item", has_text="乱堆乱放").click()
    assert_fits_the_phone(page)
    page.click("#door-entry-save")  # a deduction without its reason is not taken
    assert "扣分须填写原因" in page.inner_text("#door-entry-errors")
    page.screenshot(path=str(artifacts / "door-2-deduction-needs-reason.png"), full_page=True)
    page.click("#door-entry-cancel")
    page.click("#door-household .door-back")
    record(page, b, "乱堆乱放", points="3", note="楼道堆放纸箱")
    page.click(f"#door-row-{a.pk}")
    page.wait_for_selector("#door-household:not([hidden])")
    assert_fits_the_phone(page)
    page.screenshot(path=str(artifacts / "door-3-household-offline.png"), full_page=True)
    page.click("#door-household .door-back")
    record(page, a, "志愿服务", note="帮助邻居")
    assert waiting(page) == 3
    page.screenshot(path=str(artifacts / "door-4-three-queued-offline.png"), full_page=True)

    # Reload without signal: the service worker serves the app, IndexedDB the queue.
    page.reload()
    page.wait_for_selector("#door-counts[data-waiting='3']")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert "没有信号" in page.inner_text("#door-network")
    assert page.locator(f"#door-row-{a.pk} .is-waiting").inner_text().endswith("2")
    assert ScoreEvent.objects.count() == 0
    page.screenshot(path=str(artifacts / "door-5-reloaded-offline.png"), full_page=True)
    # Keep the queue as it is now (with its photos) to send it a second time later.
    page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("pinghu-door");
          open.onsuccess = () => {
            const get = open.result.transaction("queue").objectStore("queue").getAll();
            get.onsuccess = () => { window.sentQueue = get.result; resolve(get.result.length); };
          };
        })"""
    )

    context.set_offline(False)
    page.wait_for_selector("#door-counts[data-waiting='0']")
    page.wait_for_function("() => document.getElementById('door').dataset.lastSync")
    events = list(ScoreEvent.objects.order_by("pk"))
    assert len(events) == 3
    assert all(event.evidence for event in events)
    assert sorted(event.points for event in events) == [Decimal("-3"), Decimal("2"), Decimal("4")]
    assert {event.note for event in events} == {"", "楼道堆放纸箱", "帮助邻居"}
    page.screenshot(path=str(artifacts / "door-6-sent-online.png"), full_page=True)

    # The same queue sent again (a retry after a lost answer): nothing new is recorded.
    statuses = page.evaluate(
        """() => {
          const form = new FormData();
          form.append("entries", JSON.stringify(window.sentQueue.map((e) => ({
            clientId: e.clientId, household: e.household, item: e.item, points: e.points,
            note: e.note, occurredOn: e.occurredOn }))));
          window.sentQueue.forEach((e) => form.append("photo-" + e.clientId, e.photo, "photo.jpg"));
          const token = document.getElementById("door").dataset.csrf;
          return fetch("/communities/door/sync/", { method: "POST", body: form,
              headers: { "X-CSRFToken": token } })
            .then((response) => response.json())
            .then((answer) => answer.results.map((result) => result.status));
        }"""
    )
    assert statuses == ["existing", "existing", "existing"]
    assert ScoreEvent.objects.count() == 3
    assert {str(event.client_id) for event in ScoreEvent.objects.all()} == set(
        page.evaluate("window.sentQueue.map((e) => e.clientId)")
    )


def test_an_entry_refused_at_sync_comes_back_with_its_reason(
    live_server, transactional_db, world, door_standard, phone, artifacts
):
    context, page = phone
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    record(page, world.a_east, "志愿服务", photo=False)
    record(page, world.b_east, "志愿服务", photo=False)
    assert waiting(page) == 2
    # Meanwhile, at the desk, the month is closed.
    services.month_close(
        actor=world.admin, community=world.east, month=timezone.localdate().replace(day=1)
    )
    context.set_offline(False)
    page.wait_for_selector("#door-refused:not([hidden])")
    page.wait_for_selector("#door-counts[data-waiting='0']")
    refused = page.inner_text("#door-refused")
    assert refused.count("已关账") == 2
    assert ScoreEvent.objects.count() == 0
    page.screenshot(path=str(artifacts / "door-7-refused-with-reason.png"), full_page=True)
    # They stay until the leader has read them.
    page.reload()
    page.wait_for_selector("#door-refused:not([hidden])")
    page.locator(".door-dismiss").first.click()
    page.wait_for_function("() => document.querySelectorAll('.door-dismiss').length === 1")


def test_card_qr_opens_the_household_and_the_month_page_records_a_visit(
    live_server, transactional_db, world, door_standard, phone, artifacts
):
    from communities.models import HouseholdVisit

    context, page = phone
    a, b = world.a_east, world.b_east
    # The QR code of A001's printed card, scanned by a staff member of its community.
    page.goto(f"{live_server.url}/accounts/login/?card={a.card_number}")
    page.fill("#id_username", "staff_east")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("#door-household:not([hidden])")
    assert page.inner_text("#door-household-title") == "A001 王建国"
    assert page.locator(".door-item.is-add").count() == 2
    assert page.locator(".door-item.is-deduct").count() == 1
    assert_fits_the_phone(page)
    page.screenshot(path=str(artifacts / "door-8-card-qr-household.png"), full_page=True)

    page.goto(f"{live_server.url}/communities/door/month/?grid={world.grid_east.pk}")
    assert page.locator(f"#month-row-{b.pk} .door-visit").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator(f"#month-row-{b.pk} .door-visit").bounding_box()["height"] >= 44
    page.click(f"#month-row-{b.pk} .door-visit")
    page.wait_for_selector(".message.success")
    assert page.locator(f"#month-row-{b.pk} .door-visit").count() == 0
    assert HouseholdVisit.objects.filter(household=b).count() == 1
    assert ScoreEvent.objects.count() == 0
    page.screenshot(path=str(artifacts / "door-9-month-visit-recorded.png"), full_page=True)


def test_a_session_ended_while_offline_keeps_the_queue_until_the_next_login(
    live_server, transactional_db, world, door_standard, phone, artifacts
):
    context, page = phone
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    record(page, world.a_east, "志愿服务", photo=False)
    context.clear_cookies()  # the staff session ended (idle limit) while out of signal
    context.set_offline(False)
    page.wait_for_selector("#door-login:not([hidden])")
    assert waiting(page) == 1
    assert ScoreEvent.objects.count() == 0
    page.screenshot(path=str(artifacts / "door-10-login-needed.png"), full_page=True)
    page.click("#door-login")
    page.fill("#id_username", "staff_east")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("#door-counts[data-waiting='0']")
    assert ScoreEvent.objects.count() == 1


def test_entries_wait_for_the_login_that_made_them(
    live_server, transactional_db, world, door_standard, phone
):
    from accounts.models import User
    from tests import factories

    factories.user(
        username="staff_east_2", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )
    context, page = phone
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    record(page, world.a_east, "志愿服务", photo=False)
    context.clear_cookies()  # logged out before the signal came back
    context.set_offline(False)
    page.wait_for_selector("#door-login:not([hidden])")
    # Another staff member of the community on the same phone: not theirs to send.
    login(page, live_server.url, "staff_east_2")
    open_door(page, live_server.url, world.grid_east)
    assert waiting(page) == 0
    assert ScoreEvent.objects.count() == 0
    context.clear_cookies()
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    page.wait_for_selector("#door-counts[data-waiting='0']")
    page.wait_for_function("() => document.getElementById('door').dataset.lastSync")
    assert ScoreEvent.objects.get().entered_by.username == "staff_east"


def test_a_full_disk_is_said_on_the_phone_and_the_entry_waits(
    live_server, transactional_db, world, door_standard, phone, small_disk, artifacts
):
    """Issue 20, point 10: on a real full tmpfs the server answers 507 JSON; the app shows
    the reason and keeps the entry, which goes through once the disk has room again."""
    context, page = phone
    fill(small_disk, leave=0)
    login(page, live_server.url, "staff_east")
    open_door(page, live_server.url, world.grid_east)
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    record(page, world.a_east, "庭院整洁", points="4")

    context.set_offline(False)
    page.wait_for_selector("#door-problem:not([hidden])")
    assert "服务器存储空间不足" in page.inner_text("#door-problem")
    assert waiting(page) == 1
    assert ScoreEvent.objects.count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / "door-9-disk-full.png"), full_page=True)

    (small_disk / "filler.bin").unlink()
    page.click("#door-send")
    page.wait_for_selector("#door-counts[data-waiting='0']")
    page.wait_for_selector("#door-problem", state="hidden")
    assert ScoreEvent.objects.get().evidence
