"""The point card, reversal, the review queue and month close, from the outside: the test
client as the right user (it works, one audit record) and as the wrong one (refused, nothing
saved)."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord, User
from communities import selectors, services
from communities.models import EventReview, MonthStatusChange, ScoreEvent
from communities.services import Entry
from pinghu_points.parameters import FIRST_YEAR
from tests import factories
from tests.test_i18n import english_words

from .conftest import YEAR

DAY = date(YEAR, 3, 10)


def record(actor, household, item, points=None, day=DAY, note=""):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[
            Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=day,
                points=points,
                note=note,
            )
        ],
        today=date(YEAR, 12, 31),
    )
    return event


def points_url(household, year=YEAR):
    return f"{reverse('communities:household_points', args=[household.pk])}?year={year}"


def reverse_url(event):
    return reverse("communities:event_reverse", args=[event.pk])


REVIEW_URL = "/communities/scoring/review/"
MONTHS_URL = "/communities/scoring/months/"


@pytest.fixture
def colleague(world):
    return factories.user(
        username="staff_east_2", role=User.Role.COMMUNITY_STAFF, communities=[world.east]
    )


@pytest.fixture
def event(world, items):
    return record(world.staff_east, world.a_east, items["clean"], "5", note="庭院干净")


# --- the household's point card ------------------------------------------------------------


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a", "villager_a"])
def test_point_card_opens_for_everyone_who_may_see_the_household(world, event, login, user_name):
    response = login(getattr(world, user_name)).get(points_url(world.a_east))

    assert response.status_code == 200
    body = response.content.decode()
    assert "庭院整洁" in body
    assert "+5.0" in body
    assert "庭院干净" in body
    assert "85.0" in body  # 80 base + 5


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b", "villager_b"])
def test_point_card_is_not_found_outside_scope(world, event, login, user_name):
    assert login(getattr(world, user_name)).get(points_url(world.a_east)).status_code == 404


def test_villager_does_not_see_who_entered_or_reviewed_the_events(world, items, login, colleague):
    world.east.review_required = True
    world.east.save()
    colleague.first_name = "周复核"
    colleague.save()
    world.staff_east.first_name = "吴录入"
    world.staff_east.save()
    confirmed = record(world.staff_east, world.a_east, items["clean"], "5")
    services.score_event_review(actor=colleague, event=confirmed, decision="confirmed")

    villager = login(world.villager_a).get(points_url(world.a_east)).content.decode()
    staff = login(world.staff_east).get(points_url(world.a_east)).content.decode()

    assert "录入人" not in villager
    assert "吴录入" not in villager and "周复核" not in villager
    assert "已确认" in villager
    assert "录入人" in staff and "吴录入" in staff and "周复核" in staff


def test_point_card_needs_a_login(world, client):
    response = client.get(points_url(world.a_east))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_reverse_button_only_for_staff_in_scope(world, event, login):
    link = reverse_url(event)

    assert link in login(world.staff_east).get(points_url(world.a_east)).content.decode()
    assert link in login(world.admin).get(points_url(world.a_east)).content.decode()
    for user in (world.villager_a, world.accountant_a):
        assert link not in login(user).get(points_url(world.a_east)).content.decode()


def test_point_card_shows_the_reversal_and_marks_the_original(world, event, login):
    reversal = services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    body = login(world.villager_a).get(points_url(world.a_east)).content.decode()

    assert "已冲正" in body
    assert f'href="#event-{reversal.pk}"' in body
    assert f'href="#event-{event.pk}"' in body
    assert "录错户" in body
    assert "-5.0" in body
    assert "80.0" in body
    # Neither row can be reversed again.
    staff_body = login(world.staff_east).get(points_url(world.a_east)).content.decode()
    assert reverse_url(event) not in staff_body
    assert reverse_url(reversal) not in staff_body


def test_point_card_shows_review_state(world, items, login, colleague):
    world.east.review_required = True
    world.east.save()
    pending = record(world.staff_east, world.a_east, items["volunteer"], "2")
    rejected = record(world.staff_east, world.a_east, items["litter"], "3")
    services.score_event_review(
        actor=colleague, event=rejected, decision="rejected", reason="未核实"
    )

    body = login(world.villager_a).get(points_url(world.a_east)).content.decode()

    assert "待复核" in body
    assert "已驳回：未核实" in body
    assert "80.0" in body  # neither counts
    staff_body = login(world.staff_east).get(points_url(world.a_east)).content.decode()
    assert reverse_url(pending) not in staff_body
    assert reverse_url(rejected) not in staff_body


def test_point_card_of_a_year_without_standard_says_so(world, login):
    response = login(world.villager_a).get(points_url(world.a_east, year=YEAR - 1))

    assert response.status_code == 200
    assert "没有已发布的积分标准" in response.content.decode()


def test_point_card_shows_a_veto(world, items, login):
    factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=DAY,
        today=date(YEAR, 12, 31),
    )

    assert "一票否决项" in login(world.villager_a).get(points_url(world.a_east)).content.decode()


# --- reversal ----------------------------------------------------------------------------------


def test_staff_reverses_with_a_reason(world, event, login):
    client = login(world.staff_east)
    assert client.get(reverse_url(event)).status_code == 200

    response = client.post(reverse_url(event), {"reason": "录错户"})

    reversal = ScoreEvent.objects.get(reverses=event)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#event-{reversal.pk}")
    assert reversal.note == "录错户"
    assert AuditRecord.objects.filter(action="score_event.reverse").count() == 1


def test_confirm_page_warns_when_the_event_cannot_be_reversed(world, event, login):
    client = login(world.staff_east)
    assert "这条记录不能冲正" not in client.get(reverse_url(event)).content.decode()

    services.score_event_reverse(actor=world.staff_east, event=event, reason="录错户")

    assert "这条记录不能冲正" in client.get(reverse_url(event)).content.decode()


def test_reversal_without_reason_is_refused(world, event, login):
    response = login(world.staff_east).post(reverse_url(event), {"reason": "  "})

    assert response.status_code == 400
    assert not ScoreEvent.objects.filter(reverses=event).exists()


def test_second_reversal_is_refused_with_the_reason_shown(world, event, login):
    client = login(world.staff_east)
    client.post(reverse_url(event), {"reason": "录错户"})

    response = client.post(reverse_url(event), {"reason": "再冲一次"})

    assert response.status_code == 400
    assert "已冲正" in response.content.decode()
    assert ScoreEvent.objects.count() == 2


@pytest.mark.parametrize("user_name", ["accountant_a", "villager_a"])
def test_who_may_see_but_not_score_cannot_reverse(world, event, login, user_name):
    client = login(getattr(world, user_name))

    assert client.get(reverse_url(event)).status_code == 403
    assert client.post(reverse_url(event), {"reason": "x"}).status_code == 403
    assert ScoreEvent.objects.count() == 1


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b", "villager_b"])
def test_reversal_outside_scope_is_not_found(world, event, login, user_name):
    assert (
        login(getattr(world, user_name)).post(reverse_url(event), {"reason": "x"}).status_code
        == 404
    )
    assert ScoreEvent.objects.count() == 1


# --- review queue --------------------------------------------------------------------------


@pytest.fixture
def pending(world, items):
    world.east.review_required = True
    world.east.save()
    return record(world.staff_east, world.a_east, items["clean"], "5")


@pytest.mark.parametrize("user_name", ["accountant_a", "villager_a"])
def test_review_queue_is_for_staff_only(world, pending, login, user_name):
    client = login(getattr(world, user_name))

    assert client.get(REVIEW_URL).status_code == 403
    assert (
        client.post(REVIEW_URL, {"event": pending.pk, "decision": "confirmed"}).status_code == 403
    )
    assert not EventReview.objects.exists()


def test_review_queue_lists_other_staffs_events_only(world, pending, login, colleague):
    assert f"event-{pending.pk}" in login(colleague).get(REVIEW_URL).content.decode()
    assert f"event-{pending.pk}" not in login(world.staff_east).get(REVIEW_URL).content.decode()
    assert f"event-{pending.pk}" not in login(world.staff_west).get(REVIEW_URL).content.decode()


def test_colleague_confirms_and_the_event_counts(world, pending, login, colleague):
    response = login(colleague).post(REVIEW_URL, {"event": pending.pk, "decision": "confirmed"})

    assert response.status_code == 302
    review = EventReview.objects.get(event=pending)
    assert review.reviewer == colleague
    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == 85
    assert AuditRecord.objects.filter(action="score_event.confirmed").count() == 1


def test_rejection_needs_a_reason(world, pending, login, colleague):
    client = login(colleague)

    client.post(REVIEW_URL, {"event": pending.pk, "decision": "rejected", "reason": ""})
    assert not EventReview.objects.exists()

    client.post(REVIEW_URL, {"event": pending.pk, "decision": "rejected", "reason": "未见整改"})
    assert EventReview.objects.get().reason == "未见整改"
    assert AuditRecord.objects.filter(action="score_event.rejected").count() == 1


def test_self_review_is_refused_with_a_message(world, pending, login):
    response = login(world.staff_east).post(
        REVIEW_URL, {"event": pending.pk, "decision": "confirmed"}, follow=True
    )

    assert "不能复核自己录入的记录" in response.content.decode()
    assert not EventReview.objects.exists()


def test_review_outside_scope_is_not_found(world, pending, login):
    response = login(world.staff_west).post(
        REVIEW_URL, {"event": pending.pk, "decision": "confirmed"}
    )

    assert response.status_code == 404
    assert not EventReview.objects.exists()


# --- month close ------------------------------------------------------------------------------


def this_month():
    return selectors.first_of_month(timezone.localdate())


def month_post(client, community, action, month=None, **extra):
    """Post to the month page; a close comes from the confirmation page (confirm=on)."""
    month = month or this_month()
    if action == "close":
        extra.setdefault("confirm", "on")
    return client.post(
        MONTHS_URL,
        {"community": community.pk, "month": month.strftime("%Y-%m"), "action": action, **extra},
    )


@pytest.mark.parametrize("user_name", ["accountant_a", "villager_a"])
def test_month_list_is_for_staff_only(world, login, user_name):
    client = login(getattr(world, user_name))

    assert client.get(MONTHS_URL).status_code == 403
    assert month_post(client, world.east, "close").status_code == 403
    assert not MonthStatusChange.objects.exists()


def test_month_list_shows_the_users_communities_and_twelve_months(world, login):
    body = login(world.staff_east).get(MONTHS_URL).content.decode()

    assert world.east.name in body
    assert world.west.name not in body
    # Each open month links to its confirmation page; none closes in one click.
    assert body.count("month-close-link") == 12
    assert 'value="close"' not in body
    assert 'value="reopen"' not in body


def test_closing_a_month_asks_for_confirmation_and_says_what_it_means(world, login):
    client = login(world.staff_east)
    label = this_month().strftime("%Y-%m")

    # Without the confirmation nothing closes: the page explains first.
    response = month_post(client, world.east, "close", confirm="")
    assert response.status_code == 302
    assert reverse("communities:month_close") in response["Location"]
    assert not MonthStatusChange.objects.exists()

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "关账意味着什么" in body and f"{label} 不能再录入积分" in body
    assert "重新开放只能由街道管理员操作" in body
    assert 'name="confirm"' in body and "required" in body
    assert not english_words(page, "staff", "east")  # the login name in the header

    month_post(client, world.east, "close")  # confirm=on
    assert selectors.month_is_closed(community=world.east, month=this_month())
    # Another community's month is not even explained.
    other = f"{reverse('communities:month_close')}?community={world.west.pk}&month={label}"
    assert client.get(other).status_code == 404


def test_staff_closes_and_cannot_reopen(world, login):
    client = login(world.staff_east)

    assert month_post(client, world.east, "close").status_code == 302
    assert selectors.month_is_closed(community=world.east, month=this_month())
    assert AuditRecord.objects.filter(action="month.close").count() == 1
    assert "<strong>已关账</strong>" in client.get(MONTHS_URL).content.decode()

    assert month_post(client, world.east, "reopen", reason="补录").status_code == 403
    assert selectors.month_is_closed(community=world.east, month=this_month())


def test_staff_cannot_close_another_communitys_month(world, login):
    assert month_post(login(world.staff_west), world.east, "close").status_code == 404
    assert not MonthStatusChange.objects.exists()


def test_admin_reopens_with_a_reason(world, login):
    services.month_close(actor=world.staff_east, community=world.east, month=this_month())
    client = login(world.admin)
    assert 'value="reopen"' in client.get(MONTHS_URL).content.decode()

    month_post(client, world.east, "reopen", reason="")
    assert selectors.month_is_closed(community=world.east, month=this_month())

    month_post(client, world.east, "reopen", reason="漏录检查表")
    assert not selectors.month_is_closed(community=world.east, month=this_month())
    assert AuditRecord.objects.get(action="month.reopen").details["reason"] == "漏录检查表"


def test_month_closed_on_the_page_refuses_new_events(world, items, login):
    month_post(login(world.staff_east), world.east, "close", month=date(YEAR, 3, 1))

    with pytest.raises(services.BatchError) as caught:
        record(world.staff_east, world.a_east, items["clean"])
    assert [error.field for error in caught.value.errors] == ["occurred_on"]


def test_future_month_cannot_be_closed_through_the_page(world, login):
    month = this_month()
    future = date(month.year + (month.month == 12), month.month % 12 + 1, 1)

    response = month_post(login(world.staff_east), world.east, "close", month=future)

    assert response.status_code == 302
    assert not MonthStatusChange.objects.exists()


def test_malformed_month_is_refused(world, login):
    response = login(world.staff_east).post(
        MONTHS_URL, {"community": world.east.pk, "month": "2026-13", "action": "close"}
    )

    assert response.status_code == 302
    assert not MonthStatusChange.objects.exists()


@pytest.fixture
def waiting_veto(world, items):
    (event,) = services.score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["crime"].pk,
                occurred_on=DAY,
                note="违法建设",
                evidence=factories.photo(),
            )
        ],
    )
    return event


def test_a_veto_is_not_confirmed_in_one_tap(world, waiting_veto, login, colleague):
    client = login(colleague)
    response = client.post(REVIEW_URL, {"event": waiting_veto.pk, "decision": "confirmed"})

    assert response.status_code == 302
    assert response["Location"] == f"/communities/scoring/review/{waiting_veto.pk}/veto/"
    assert not EventReview.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "全年不发积分激励" in page and "由 80 分变为 60 分" in page

    client.post(REVIEW_URL, {"event": waiting_veto.pk, "decision": "confirmed", "confirm": "on"})
    assert EventReview.objects.get(event=waiting_veto).decision == "confirmed"


def test_the_veto_page_is_not_for_its_author_or_another_community(world, waiting_veto, login):
    url = f"/communities/scoring/review/{waiting_veto.pk}/veto/"
    assert login(world.staff_east).get(url).status_code == 404  # one's own entry
    assert login(world.staff_west).get(url).status_code == 404


def test_the_ledger_year_buttons_are_the_years_shown(world, login, monkeypatch):
    """One year range (issue 21, point 3): the staff ledger's buttons are the newest of
    `months.years_shown`, never a year before the first one with points."""
    from communities import ledger_views

    real = timezone.localdate
    monkeypatch.setattr(
        ledger_views.timezone,
        "localdate",
        lambda value=None, **kwargs: date(FIRST_YEAR + 2, 6, 1) if value is None else real(value),
    )
    client = login(world.staff_east)
    response = client.get(reverse("communities:household_points", args=[world.a_east.pk]))
    assert response.context["years"] == [FIRST_YEAR + 2, FIRST_YEAR + 1, FIRST_YEAR]
