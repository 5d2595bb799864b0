"""Appeals (申诉): a villager questions a deduction or a dividend line; staff or the
accountant answer; the card shows the state and the answer (issue 13)."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import AuditRecord
from appeals import selectors, services
from appeals.models import Appeal
from communities.models import ScoreEvent
from overview import card_views
from tests.appeals.conftest import deduction, line
from tests.communities.conftest import YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(card_views, "today", lambda: date(YEAR, 11, 25))


def _file(world, event, text="这次不是我家堆的，是施工队的材料"):
    return services.appeal_file(actor=world.villager_a, event=event, text=text)


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("IMG_1234.png", buffer.getvalue(), content_type="image/png")


# --- Filing -------------------------------------------------------------------------------


def test_villager_files_an_appeal_from_the_card(world, wrong_deduction, login):
    client = login(world.villager_a)
    card = client.get("/card/").content.decode()
    url = reverse("appeals:file_event", args=[wrong_deduction.pk])
    assert url in card

    response = client.post(url, {"text": "不是我家堆的", "photo": _photo()})

    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.household == world.a_east
    assert appeal.event == wrong_deduction
    assert appeal.state == Appeal.State.OPEN
    assert appeal.photo.name.startswith("appeals/") and appeal.photo.name.endswith(".jpg")
    assert "IMG_1234" not in appeal.photo.name
    record = AuditRecord.objects.get(action="appeal.filed")
    assert record.details["event"] == wrong_deduction.pk
    card = client.get("/card/").content.decode()
    assert "申诉：待答复" in card
    assert url not in card  # one open appeal at a time: no second link


def test_only_counted_deductions_are_appealable(world, items, login):
    addition = deduction(world, world.a_east, items["clean"], points="5")
    pending = deduction(world, world.a_east, items["litter"], needs_review=True)

    for event in (addition, pending):
        with pytest.raises(ValidationError):
            _file(world, event)
        page = login(world.villager_a).get(reverse("appeals:file_event", args=[event.pk]))
        assert page.status_code == 200
        assert 'id="appeal-blocked"' in page.content.decode()
    assert not Appeal.objects.exists()


def test_one_open_appeal_per_event(world, wrong_deduction):
    _file(world, wrong_deduction)

    with pytest.raises(ValidationError):
        _file(world, wrong_deduction)


def test_the_database_refuses_a_second_open_appeal(world, wrong_deduction):
    first = _file(world, wrong_deduction)

    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            household=first.household,
            event=wrong_deduction,
            text="again",
            filed_by=world.villager_a,
        )


def test_a_rejected_appeal_can_be_followed_by_a_new_one(world, wrong_deduction):
    first = _file(world, wrong_deduction)
    services.appeal_answer(
        actor=world.staff_east, appeal=first, upheld=False, answer="网格长拍照为证"
    )

    second = _file(world, wrong_deduction, text="照片上不是我家门口")

    assert second.pk != first.pk


def test_another_households_event_line_and_appeal_are_404(world, items, run_a, login):
    theirs = deduction(world, world.a_west, items["litter"])
    their_line = line(run_a, world.a_west)
    their_appeal = services.appeal_file(
        actor=_villager_of(world, world.a_west), event=theirs, text="不对"
    )
    client = login(world.villager_a)

    assert client.get(reverse("appeals:file_event", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("appeals:file_event", args=[theirs.pk]), {"text": "x"}).status_code
        == 404
    )
    assert client.get(reverse("appeals:file_line", args=[their_line.pk])).status_code == 404
    assert client.get(reverse("appeals:detail", args=[their_appeal.pk])).status_code == 404
    assert client.get(reverse("card:household", args=[world.a_west.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.appeal_file(actor=world.villager_a, event=theirs, text="x")


def _villager_of(world, household):
    from accounts.models import User
    from tests import factories

    return factories.user(
        username=household.card_number, role=User.Role.VILLAGER, household_=household
    )


def test_staff_cannot_file(world, wrong_deduction, login):
    url = reverse("appeals:file_event", args=[wrong_deduction.pk])
    assert login(world.staff_east).get(url).status_code == 404


# --- Answering ----------------------------------------------------------------------------


def test_staff_uphold_reverses_the_event_with_the_appeal_as_reason(world, wrong_deduction, login):
    appeal = _file(world, wrong_deduction)
    client = login(world.staff_east)
    assert (
        reverse("appeals:detail", args=[appeal.pk])
        in client.get(reverse("appeals:list")).content.decode()
    )

    response = client.post(
        reverse("appeals:detail", args=[appeal.pk]),
        {"decision": "upheld", "answer": "核实是施工队材料，已冲正"},
    )

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.UPHELD
    reversal = ScoreEvent.objects.get(reverses=wrong_deduction)
    assert appeal.reversal == reversal
    assert reversal.points == -wrong_deduction.points
    assert f"申诉 #{appeal.pk}" in reversal.note
    assert AuditRecord.objects.filter(action="score_event.reverse").exists()
    assert AuditRecord.objects.get(action="appeal.upheld").details["reversal"] == reversal.pk
    card = login(world.villager_a).get("/card/").content.decode()
    assert "申诉：申诉成立" in card
    assert "核实是施工队材料，已冲正" in card
    assert "已冲正" in card


def test_reject_needs_a_reason_and_keeps_the_event(world, wrong_deduction):
    appeal = _file(world, wrong_deduction)

    with pytest.raises(ValidationError):
        services.appeal_answer(actor=world.staff_east, appeal=appeal, upheld=False, answer=" ")
    services.appeal_answer(actor=world.staff_east, appeal=appeal, upheld=False, answer="有照片为证")

    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.REJECTED
    assert not ScoreEvent.objects.filter(reverses=wrong_deduction).exists()
    assert AuditRecord.objects.filter(action="appeal.rejected").exists()
    with pytest.raises(ValidationError):
        services.appeal_answer(actor=world.staff_east, appeal=appeal, upheld=True, answer="")


def test_only_the_entering_communitys_staff_answer(world, wrong_deduction, login):
    appeal = _file(world, wrong_deduction)

    for user in (world.staff_west, world.accountant_a, world.villager_a):
        with pytest.raises(PermissionDenied):
            services.appeal_answer(actor=user, appeal=appeal, upheld=True, answer="")
    assert (
        login(world.staff_west).get(reverse("appeals:detail", args=[appeal.pk])).status_code == 404
    )
    assert list(selectors.open_appeals_for(world.staff_west)) == []
    assert list(selectors.open_appeals_for(world.staff_east)) == [appeal]


def test_dividend_line_appeal_goes_to_the_accountant(world, run_a, login):
    mine = line(run_a, world.a_east)
    client = login(world.villager_a)
    card = client.get("/card/").content.decode()
    assert reverse("appeals:file_line", args=[mine.pk]) in card

    client.post(reverse("appeals:file_line", args=[mine.pk]), {"text": "积分激励算少了"})

    appeal = Appeal.objects.get(line=mine)
    assert list(selectors.open_appeals_for(world.accountant_a)) == [appeal]
    assert list(selectors.open_appeals_for(world.accountant_b)) == []
    assert list(selectors.open_appeals_for(world.staff_east)) == []
    services.appeal_answer(
        actor=world.accountant_a, appeal=appeal, upheld=False, answer="按积分比例计算无误"
    )
    assert "按积分比例计算无误" in client.get("/card/").content.decode()


def test_open_appeals_list_shows_age(world, wrong_deduction, login):
    appeal = _file(world, wrong_deduction)
    Appeal.objects.filter(pk=appeal.pk).update(filed_at=timezone.now() - timedelta(days=3))

    body = login(world.staff_east).get(reverse("appeals:list")).content.decode()

    assert "已等待 3 天" in body


def test_villager_list_goes_to_the_card(world, login):
    response = login(world.villager_a).get(reverse("appeals:list"))
    assert response.status_code == 302 and response.url == reverse("card:mine")


def test_appeal_photo_is_private(world, wrong_deduction, login):
    appeal = services.appeal_file(
        actor=world.villager_a, event=wrong_deduction, text="看照片", photo=_photo()
    )
    url = appeal.photo.url

    assert login(world.villager_a).get(url).status_code == 200
    assert login(world.staff_east).get(url).status_code == 200
    assert login(world.staff_west).get(url).status_code == 404
    assert login(world.villager_b).get(url).status_code == 404


def test_open_appeals_are_on_the_staff_home_with_their_age(world, wrong_deduction, login):
    """Issue 14's to-do list: the staff who must answer see the open appeals and the oldest's age."""

    from appeals import services as appeal_services
    from overview import selectors as overview_selectors

    appeal = appeal_services.appeal_file(
        actor=world.villager_a, event=wrong_deduction, text="没有乱堆"
    )
    today = timezone.localdate(appeal.filed_at)

    assert overview_selectors.open_appeals(user=world.staff_east, today=today) == {
        "count": 1,
        "oldest_days": 0,
    }
    later = today + timedelta(days=3)
    assert overview_selectors.open_appeals(user=world.staff_east, today=later)["oldest_days"] == 3
    # The other community's staff answers nothing here.
    assert overview_selectors.open_appeals(user=world.staff_west, today=today)["count"] == 0
    body = login(world.staff_east).get(reverse("home")).content.decode()
    assert "待答复的申诉" in body and reverse("appeals:list") in body
