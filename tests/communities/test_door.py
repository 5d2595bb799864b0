"""Scoring at the door: the phone's queued entries (idempotent, refused with reasons),
the door pages in scope, the card's QR code for staff, and the veto as its own act."""

import io
import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from communities import selectors, services
from communities.models import HouseholdVisit, ScoreEvent, ScoringItem
from communities.services import BatchError, Entry
from dividends import run_jobs
from dividends import services as dividend_services
from dividends.models import DividendRun
from tests import factories
from tests.conftest import PASSWORD

from .conftest import YEAR

TODAY = date(YEAR, 10, 20)
DAY = date(YEAR, 10, 12)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def second_staff(world):
    return factories.user(
        username="staff_east_2", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )


def photo(name="door.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def entry(household, item, *, points=None, note="", client_id=None, day=DAY, evidence=None):
    return Entry(
        household_id=household.pk,
        item_id=item.pk,
        occurred_on=day,
        points=points,
        note=note,
        evidence=evidence,
        client_id=client_id or uuid.uuid4(),
    )


# --- Idempotent sync -----------------------------------------------------------------------


def test_sending_the_same_entries_twice_records_each_once(world, items):
    queue = [
        entry(world.a_east, items["volunteer"], points="2"),
        entry(world.b_east, items["litter"], points="3", note="楼道堆放纸箱"),
    ]
    first = services.score_entries_sync(actor=world.staff_east, entries=queue, today=TODAY)
    assert [result.status for result in first] == ["created", "created"]
    assert ScoreEvent.objects.count() == 2
    second = services.score_entries_sync(actor=world.staff_east, entries=queue, today=TODAY)
    assert [result.status for result in second] == ["existing", "existing"]
    assert [result.event.pk for result in second] == [result.event.pk for result in first]
    assert ScoreEvent.objects.count() == 2
    assert {event.client_id for event in ScoreEvent.objects.all()} == {e.client_id for e in queue}


def test_the_same_entry_twice_in_one_send_is_one_event(world, items):
    same = entry(world.a_east, items["volunteer"], points="2")
    results = services.score_entries_sync(actor=world.staff_east, entries=[same, same], today=TODAY)
    assert [result.status for result in results] == ["created", "existing"]
    assert ScoreEvent.objects.count() == 1


def test_the_database_refuses_a_second_event_with_the_same_client_id(world, items):
    client_id = uuid.uuid4()
    services.score_events_record(
        actor=world.staff_east,
        entries=[entry(world.a_east, items["volunteer"], client_id=client_id)],
        today=TODAY,
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        services.score_events_record(
            actor=world.staff_east,
            entries=[entry(world.a_east, items["volunteer"], client_id=client_id)],
            today=TODAY,
        )


def test_a_client_id_used_by_another_staff_member_is_refused(world, items, second_staff):
    client_id = uuid.uuid4()
    services.score_entries_sync(
        actor=world.staff_east,
        entries=[entry(world.a_east, items["volunteer"], client_id=client_id)],
        today=TODAY,
    )
    (result,) = services.score_entries_sync(
        actor=second_staff,
        entries=[entry(world.b_east, items["volunteer"], client_id=client_id)],
        today=TODAY,
    )
    assert result.status == "refused"
    assert ScoreEvent.objects.count() == 1


# --- Refused at sync, with the reason, the others recorded ----------------------------------


def test_refused_entries_come_back_with_their_reasons_and_the_rest_is_recorded(world, items):
    # The month was closed while the leader was offline.
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 9, 1), today=TODAY
    )
    # Another entry already used the month's cap of 庭院整洁 (10) for A001.
    services.score_events_record(
        actor=world.admin,
        entries=[Entry(world.a_east.pk, items["clean"].pk, DAY, points=Decimal("8"))],
        today=TODAY,
    )
    queue = [
        entry(world.a_east, items["volunteer"], points="2"),  # fine
        entry(world.b_east, items["volunteer"], day=date(YEAR, 9, 20)),  # closed month
        entry(world.a_east, items["clean"], points="5"),  # cap: 8 + 5 > 10
        entry(world.a_west, items["volunteer"]),  # not in the leader's communities
        entry(world.b_east, items["litter"], points="3"),  # a deduction without a reason
    ]
    results = services.score_entries_sync(actor=world.staff_east, entries=queue, today=TODAY)
    assert [result.status for result in results] == [
        "created",
        "refused",
        "refused",
        "refused",
        "refused",
    ]
    messages = [[error.message for error in result.errors] for result in results]
    assert "已关账" in messages[1][0]
    assert "超过每月上限" in messages[2][0]
    assert messages[3] == ["该户不在您负责的社区，不能评分"]
    assert messages[4] == ["扣分须填写原因"]
    assert ScoreEvent.objects.filter(entered_by=world.staff_east).count() == 1


def test_a_household_moved_out_of_scope_is_refused_at_sync(world, items):
    queued = entry(world.b_east, items["volunteer"])
    world.b_east.community = world.west
    world.b_east.save()
    (result,) = services.score_entries_sync(actor=world.staff_east, entries=[queued], today=TODAY)
    assert result.status == "refused"
    assert result.errors[0].field == "household"


def test_the_sync_endpoint_answers_per_entry(world, items, login, pinned_today):
    client = login(world.staff_east)
    ok, closed_id = str(uuid.uuid4()), str(uuid.uuid4())
    services.month_close(
        actor=world.staff_east, community=world.east, month=date(YEAR, 9, 1), today=TODAY
    )
    payload = [
        {
            "clientId": ok,
            "household": world.a_east.pk,
            "item": items["photo"].pk,
            "points": "3",
            "note": "分类到位",
            "occurredOn": DAY.isoformat(),
        },
        {
            "clientId": closed_id,
            "household": world.b_east.pk,
            "item": items["volunteer"].pk,
            "points": "2",
            "occurredOn": "2026-09-30",
        },
    ]
    url = reverse("communities:door_sync")
    for _attempt in range(2):
        response = client.post(
            url, {"entries": json.dumps(payload), f"photo-{ok}": photo(), "photo-x": photo()}
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert results[1]["status"] == "refused"
        assert "已关账" in results[1]["errors"][0]["message"]
    assert results[0]["status"] == "existing"
    event = ScoreEvent.objects.get()
    assert str(event.client_id) == ok and event.note == "分类到位"
    assert event.evidence.name.endswith(".jpg")


def test_the_sync_endpoint_is_for_staff_only(world, items, login):
    for user in (world.villager_a, world.accountant_a):
        response = login(user).post(reverse("communities:door_sync"), {"entries": "[]"})
        assert response.status_code == 403
    response = login(world.staff_east).post(reverse("communities:door_sync"), {"entries": "{"})
    assert response.status_code == 400


# --- The door pages ---------------------------------------------------------------------------


def test_the_grid_data_lists_the_households_standard_and_month(world, items, login, pinned_today):
    services.score_events_record(
        actor=world.staff_east,
        entries=[Entry(world.a_east.pk, items["clean"].pk, DAY, points=Decimal("4"))],
        today=TODAY,
    )
    client = login(world.staff_east)
    response = client.get(reverse("communities:door_data"), {"grid": world.grid_east.pk})
    assert response.status_code == 200
    data = response.json()
    by_id = {household["id"]: household for household in data["households"]}
    assert set(by_id) == {world.a_east.pk, world.b_east.pk}
    assert by_id[world.a_east.pk]["visited"] and not by_id[world.b_east.pk]["visited"]
    assert by_id[world.a_east.pk]["monthPoints"] == "+4"
    assert by_id[world.a_east.pk]["yearScore"] == "84"
    assert data["capUsed"][f"{world.a_east.pk}-{items['clean'].pk}"] == ["4", "4"]
    (standard,) = data["standards"].values()
    names = {item["name"] for category in standard["categories"] for item in category["items"]}
    assert "违法犯罪" in names
    assert data["events"][0]["points"] == "+4"


def test_the_door_pages_keep_to_the_scope(world, items, login):
    west = login(world.staff_west)
    assert (
        west.get(reverse("communities:door_data"), {"grid": world.grid_east.pk}).status_code == 404
    )
    response = west.get(reverse("communities:door_household", args=[world.a_east.pk]))
    assert response.status_code == 404
    villager = login(world.villager_a)
    assert villager.get(reverse("communities:door")).status_code == 403
    east = login(world.staff_east)
    response = east.get(reverse("communities:door_household", args=[world.a_east.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"?grid={world.grid_east.pk}#h{world.a_east.pk}")
    page = east.get(reverse("communities:door"))
    assert page.status_code == 200
    assert b'id="door-messages"' in page.content


def test_a_grid_leader_opens_their_own_grid_first(world, items, login):
    grid_two = factories.micro_grid(community_=world.east, code="E2", name="东二网格")
    grid_two.leader = world.staff_east
    grid_two.save()
    page = login(world.staff_east).get(reverse("communities:door"))
    assert page.context["grid"] == grid_two


def test_the_service_worker_and_manifest(world, client, login):
    client = login(world.staff_east)
    worker = client.get(reverse("communities:door_sw"))
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == reverse("communities:door")
    assert b"const SHELL = " in worker.content
    manifest = client.get(reverse("communities:door_manifest")).json()
    assert manifest["start_url"] == reverse("communities:door")
    assert manifest["name"] == "入户评分"


def test_the_card_qr_code_opens_the_scoring_screen_for_staff_in_scope(world, client):
    login_url = f"{reverse('accounts:login')}?card={world.a_east.card_number}"
    response = client.post(login_url, {"username": "staff_east", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("communities:door_household", args=[world.a_east.pk])
    # Already logged in: the QR code goes straight to the household.
    assert client.get(login_url)["Location"] == response["Location"]
    # Staff of another community land on the home page as usual.
    client.logout()
    response = client.post(login_url, {"username": "staff_west", "password": PASSWORD})
    assert response["Location"] == "/"


def test_villagers_still_log_in_with_the_card_qr_code(world, client):
    card = world.a_east.card_number
    login_url = f"{reverse('accounts:login')}?card={card}"
    assert client.get(login_url).status_code == 200
    villager = world.villager_a
    villager.set_password(PASSWORD)
    villager.save()
    response = client.post(login_url, {"username": villager.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- The veto is its own act ------------------------------------------------------------------


def record_veto(actor, household, item, **extra):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[Entry(household.pk, item.pk, DAY, **extra)],
        today=TODAY,
    )
    return event


def test_a_veto_needs_a_reason_and_a_photo(world, items):
    with pytest.raises(BatchError) as refused:
        record_veto(world.staff_east, world.a_east, items["crime"])
    assert [(e.field, e.message) for e in refused.value.errors] == [("note", "一票否决须填写原因")]
    with pytest.raises(BatchError) as refused:
        record_veto(world.staff_east, world.a_east, items["crime"], note="盗窃被判刑")
    assert refused.value.errors[0].field == "evidence"
    assert ScoreEvent.objects.count() == 0


def test_a_veto_counts_only_once_a_second_staff_member_confirms(world, items, second_staff):
    assert not world.east.review_required  # whatever the community's review setting
    veto = record_veto(
        world.staff_east, world.a_east, items["crime"], note="盗窃被判刑", evidence=photo()
    )
    assert veto.needs_review and veto.review_state == "pending"
    ids = [world.a_east.pk]
    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR) == set()
    with pytest.raises(ValidationError):
        services.score_event_review(actor=world.staff_east, event=veto, decision="confirmed")
    services.score_event_review(actor=second_staff, event=veto, decision="confirmed")
    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR) == {world.a_east.pk}


def test_reversing_a_veto_needs_a_photo_and_a_second_confirmation(world, items, second_staff):
    veto = record_veto(
        world.staff_east, world.a_east, items["crime"], note="盗窃被判刑", evidence=photo()
    )
    services.score_event_review(actor=second_staff, event=veto, decision="confirmed")
    with pytest.raises(ValidationError):
        services.score_event_reverse(actor=world.staff_east, event=veto, reason="认定有误")
    reversal = services.score_event_reverse(
        actor=world.staff_east, event=veto, reason="认定有误", evidence=photo()
    )
    assert reversal.needs_review and reversal.evidence
    ids = [world.a_east.pk]
    # Until confirmed the veto stands.
    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR) == {world.a_east.pk}
    services.score_event_review(actor=second_staff, event=reversal, decision="confirmed")
    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR) == set()


def test_the_card_shows_a_veto_as_pending(world, items, login):
    record_veto(world.staff_east, world.a_east, items["crime"], note="盗窃被判刑", evidence=photo())
    page = login(world.staff_east).get(
        reverse("communities:household_points", args=[world.a_east.pk]), {"year": YEAR}
    )
    text = page.content.decode()
    assert "一票否决待复核" in text
    assert "本年有一票否决项" not in text


def test_the_dividend_applies_a_veto_only_once_confirmed(world, items, second_staff):
    veto = record_veto(
        world.staff_east, world.a_east, items["crime"], note="盗窃被判刑", evidence=photo()
    )

    def a001_line():
        run = dividend_services.dividend_run_create(
            actor=world.accountant_a,
            cooperative=world.coop_a,
            year=YEAR,
            total=Decimal("1200.00"),
            incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
            incentive_value=Decimal("0.2"),
            policy=DividendRun.Policy.SCORE,
        )
        run_jobs.dividend_run_compute(run_id=run.pk)
        return run.lines.get(household_number="A001")

    pending = a001_line()
    assert not pending.vetoed and pending.incentive_amount > 0
    services.score_event_review(actor=second_staff, event=veto, decision="confirmed")
    confirmed = a001_line()
    assert confirmed.vetoed and confirmed.incentive_amount == 0


def test_the_point_card_shows_a_veto_as_pending(world, items, login):
    record_veto(world.staff_east, world.a_east, items["crime"], note="盗窃被判刑", evidence=photo())
    page = login(world.villager_a).get(reverse("card:mine"), {"year": YEAR})
    assert "一票否决待复核" in page.content.decode()


def test_reversing_a_veto_on_the_page_needs_a_photo(world, items, login, second_staff):
    veto = record_veto(
        world.staff_east, world.a_east, items["crime"], note="盗窃被判刑", evidence=photo()
    )
    services.score_event_review(actor=second_staff, event=veto, decision="confirmed")
    client = login(world.staff_east)
    url = reverse("communities:event_reverse", args=[veto.pk])
    assert 'name="evidence"' in client.get(url).content.decode()
    refused = client.post(url, {"reason": "认定有误"})
    assert refused.status_code == 400
    assert "撤销一票否决须上传照片" in refused.content.decode()
    response = client.post(url, {"reason": "认定有误", "evidence": photo()})
    assert response.status_code == 302
    reversal = ScoreEvent.objects.get(reverses=veto)
    assert reversal.needs_review and reversal.evidence
    queue = login(second_staff).get(reverse("communities:review_queue")).content.decode()
    assert "撤销一票否决" in queue and reversal.evidence.url in queue
    assert selectors.vetoed_household_ids(household_ids=[world.a_east.pk], year=YEAR) == {
        world.a_east.pk
    }


# --- The grid leader's month ------------------------------------------------------------------


def test_the_month_page_shows_visited_not_visited_and_records_a_visit(
    world, items, login, pinned_today
):
    services.score_events_record(
        actor=world.staff_east,
        entries=[Entry(world.a_east.pk, items["volunteer"].pk, DAY)],
        today=TODAY,
    )
    client = login(world.staff_east)
    url = reverse("communities:door_month")
    page = client.get(url, {"grid": world.grid_east.pk})
    assert [row.household for row in page.context["visited"]] == [world.a_east]
    assert [row.household for row in page.context["not_visited"]] == [world.b_east]
    assert "记录走访（不加减分）" in page.content.decode()

    for _twice in range(2):
        response = client.post(url, {"grid": world.grid_east.pk, "household": world.b_east.pk})
        assert response.status_code == 302
    visit = HouseholdVisit.objects.get()
    assert visit.household == world.b_east and visit.visited_on == TODAY
    assert ScoreEvent.objects.count() == 1  # a visit needs no points
    page = client.get(url, {"grid": world.grid_east.pk})
    assert page.context["not_visited"] == []
    # The phone's list counts the visit too.
    data = client.get(reverse("communities:door_data"), {"grid": world.grid_east.pk}).json()
    assert all(household["visited"] for household in data["households"])


def test_the_month_page_lists_persistently_low_households(world, items, login, pinned_today):
    # -25 in each of August, September and October: 55, 30, 5 — below 60 three months running.
    big = ScoringItem.objects.create(
        standard=items["clean"].standard,
        code="XX99",
        name="严重违规",
        category=ScoringItem.Category.LAW,
        direction=ScoringItem.Direction.DEDUCT,
        default_points=25,
        min_points=1,
        max_points=25,
    )
    for month in (8, 9, 10):
        services.score_events_record(
            actor=world.staff_east,
            entries=[Entry(world.b_east.pk, big.pk, date(YEAR, month, 3), note="违规")],
            today=TODAY,
        )
    page = login(world.staff_east).get(
        reverse("communities:door_month"), {"grid": world.grid_east.pk}
    )
    assert [(row.household, row.streak) for row in page.context["low"]] == [(world.b_east, 3)]


def test_the_month_page_keeps_to_the_scope(world, items, login):
    west = login(world.staff_west)
    url = reverse("communities:door_month")
    assert west.get(url, {"grid": world.grid_east.pk}).status_code == 404
    response = west.post(url, {"grid": world.grid_west.pk, "household": world.a_east.pk})
    assert response.status_code == 404
    assert login(world.accountant_a).get(url).status_code == 403
    assert HouseholdVisit.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_the_same_moment_make_one_event(world, items):
    """The phone retries while its first send is still being written: one event, and both
    sends get it back. Needs a server database (row locks, concurrent connections)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    same = entry(world.a_east, items["clean"], points="4")
    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            barrier.wait()
            results.extend(
                services.score_entries_sync(actor=world.staff_east, entries=[same], today=TODAY)
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.status for result in results) == ["created", "existing"]
    assert len({result.event.pk for result in results}) == 1
    assert ScoreEvent.objects.count() == 1


def test_visits_are_read_only_in_the_admin_and_scoped(world, items, login):
    services.household_visit_record(actor=world.staff_east, household=world.a_east)
    services.household_visit_record(actor=world.staff_west, household=world.a_west)
    visit = HouseholdVisit.objects.get(household=world.a_east)
    with pytest.raises(PermissionError):
        visit.save()
    world.admin.is_superuser = True
    world.admin.save()
    admin = login(world.admin)
    page = admin.get(reverse("admin:communities_householdvisit_changelist"))
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2
    assert admin.get(reverse("admin:communities_householdvisit_add")).status_code == 403
    # A staff member allowed to view visits sees only their own communities' visits.
    from django.contrib.auth.models import Permission

    world.staff_west.is_staff = True
    world.staff_west.save()
    world.staff_west.user_permissions.add(Permission.objects.get(codename="view_householdvisit"))
    page = login(world.staff_west).get(reverse("admin:communities_householdvisit_changelist"))
    assert [visit.household for visit in page.context["cl"].result_list] == [world.a_west]


def test_a_change_between_check_and_write_answers_each_entry_on_its_own(world, items, monkeypatch):
    """The month closes between the sync's check and its write: the batch write is refused,
    and each entry is recorded or refused on its own with its reason."""
    record = services.score_events_record
    calls = []

    def closing_meanwhile(**kwargs):
        calls.append(len(kwargs["entries"]))
        if len(calls) == 1:
            services.month_close(
                actor=world.admin, community=world.west, month=date(YEAR, 10, 1), today=TODAY
            )
        return record(**kwargs)

    monkeypatch.setattr(services, "score_events_record", closing_meanwhile)
    queue = [entry(world.a_east, items["volunteer"]), entry(world.a_west, items["volunteer"])]
    results = services.score_entries_sync(actor=world.admin, entries=queue, today=TODAY)
    assert calls == [2, 1, 1]
    assert [result.status for result in results] == ["created", "refused"]
    assert "已关账" in results[1].errors[0].message
    assert ScoreEvent.objects.count() == 1
