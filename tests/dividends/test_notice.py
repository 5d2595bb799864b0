"""The online 公示 (issue 13): who reads it, what the QR link shows and for how long, and
that a run under notice cannot be marked paid."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditRecord
from appeals import services as appeal_services
from dividends import notice, services
from dividends.models import DividendPayment
from tests.appeals.conftest import APPROVED_ON, approved_run, line

pytestmark = pytest.mark.django_db

DURING = APPROVED_ON + timedelta(days=3)
LAST_DAY = APPROVED_ON + timedelta(days=6)  # notice_days = 7
AFTER = LAST_DAY + timedelta(days=1)


@pytest.fixture
def on(monkeypatch):
    def pin(day):
        monkeypatch.setattr(notice, "today", lambda: day)

    pin(DURING)
    return pin


@pytest.fixture
def run(world):
    run = approved_run(world, world.coop_a)
    line(run, world.a_east)
    line(run, world.a_west, base="300.00", incentive="50.00")
    return run


def test_period_starts_at_approval(world, run):
    assert notice.notice_window(run) == (APPROVED_ON, LAST_DAY)
    assert notice.under_notice(run, on=LAST_DAY)
    assert not notice.under_notice(run, on=AFTER)


def test_households_of_the_cooperative_read_the_notice(world, run, on, login):
    response = login(world.villager_a).get(reverse("dividends:notice", args=[run.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "王*国" in body and "李*英" in body  # every household, masked
    assert "王建国" not in body.replace(world.villager_a.get_full_name() or "\0", "")
    assert "330482********1234" in body
    assert "6228480011112222333" not in body
    assert "公示期：2027年2月1日至2027年2月7日（7天）" in body
    assert "联系人" in body


def test_another_cooperatives_villager_gets_404(world, run, on, login):
    assert (
        login(world.villager_b).get(reverse("dividends:notice", args=[run.pk])).status_code == 404
    )


def test_the_notice_stays_readable_after_the_period(world, run, on, login):
    on(AFTER)
    response = login(world.villager_a).get(reverse("dividends:notice", args=[run.pk]))
    assert response.status_code == 200
    assert "公示已结束" in response.content.decode()


def test_the_board_copy_has_a_qr_to_the_signed_link(world, run, on, login):
    body = (
        login(world.accountant_a).get(reverse("dividends:notice", args=[run.pk])).content.decode()
    )

    assert "notice-qr-svg" in body
    assert "/dividends/notice/" in body


def test_signed_link_shows_only_the_paper_notice_during_the_period(world, run, on, client):
    token = notice.public_token(run)
    url = reverse("dividends:notice_public", args=[token])

    response = client.get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert "王*国" in body
    assert "王建国" not in body and "李秀英" not in body
    assert "6228480011112222333" not in body and "农商银行" not in body
    assert world.a_east.card_number not in body
    assert "/card/" not in body and "打印公示" not in body


def test_signed_link_stops_after_the_period(world, run, on, client):
    url = reverse("dividends:notice_public", args=[notice.public_token(run)])
    on(LAST_DAY)
    assert client.get(url).status_code == 200
    on(AFTER)
    assert client.get(url).status_code == 404


def test_forged_or_other_token_is_404(world, run, on, client):
    token = notice.public_token(run)
    assert (
        client.get(reverse("dividends:notice_public", args=[token[:-2] + "xx"])).status_code == 404
    )
    from django.core import signing

    forged = signing.dumps({"run": run.pk, "until": "2099-01-01"}, salt="other")
    assert client.get(reverse("dividends:notice_public", args=[forged])).status_code == 404


def test_cannot_mark_paid_under_notice(world, run, on, login):
    with pytest.raises(ValidationError):
        services.dividend_run_mark_paid(actor=world.accountant_a, run=run, paid_on=LAST_DAY)
    client = login(world.accountant_a)
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert 'id="run-under-notice"' in page and 'id="run-mark-paid"' not in page
    client.post(reverse("dividends:run_mark_paid", args=[run.pk]), {"paid_on": DURING.isoformat()})
    assert not DividendPayment.objects.exists()

    on(AFTER)
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert 'id="run-mark-paid"' in page
    client.post(reverse("dividends:run_mark_paid", args=[run.pk]), {"paid_on": AFTER.isoformat()})
    assert DividendPayment.objects.get(run=run).paid_on == AFTER
    assert AuditRecord.objects.filter(action="dividend_run.paid").exists()


def test_run_page_flags_an_appeal_under_notice(world, run, on, login):
    mine = run.lines.get(household=world.a_east)
    appeal_services.appeal_file(actor=world.villager_a, line=mine, text="激励算少了")

    body = (
        login(world.accountant_a)
        .get(reverse("dividends:run_detail", args=[run.pk]))
        .content.decode()
    )

    assert 'id="run-appeals-flag"' in body
    assert "（公示期内）" in body


# --- Issue 20, point 5: no payment before the period has ended, whatever date is typed ---


def _pay(client, run, day):
    return client.post(reverse("dividends:run_mark_paid", args=[run.pk]), {"paid_on": day})


def test_a_payment_dated_after_the_period_is_refused_while_the_period_runs(world, run, on, login):
    """The typed date is after the period's last day, but today is inside it: refused."""
    on(APPROVED_ON)  # the first day of the period
    with pytest.raises(ValidationError, match="公示期结束后才能登记发放"):
        services.dividend_run_mark_paid(actor=world.accountant_a, run=run, paid_on=AFTER)
    client = login(world.accountant_a)
    response = _pay(client, run, AFTER.isoformat())
    assert response.status_code == 302
    assert not DividendPayment.objects.exists()
    assert not AuditRecord.objects.filter(action="dividend_run.paid").exists()
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert "公示期结束后才能登记发放" in page


def test_a_payment_date_in_the_future_is_refused(world, run, on, login):
    on(AFTER)
    tomorrow = AFTER + timedelta(days=1)
    with pytest.raises(ValidationError, match="晚于今天"):
        services.dividend_run_mark_paid(actor=world.accountant_a, run=run, paid_on=tomorrow)
    _pay(login(world.accountant_a), run, tomorrow.isoformat())
    assert not DividendPayment.objects.exists()


def test_a_payment_date_inside_the_period_is_refused_after_it(world, run, on, login):
    on(AFTER + timedelta(days=10))
    for day in (APPROVED_ON, LAST_DAY):
        with pytest.raises(ValidationError, match="在公示期内"):
            services.dividend_run_mark_paid(actor=world.accountant_a, run=run, paid_on=day)
        _pay(login(world.accountant_a), run, day.isoformat())
    assert not DividendPayment.objects.exists()
    # The first day after the period, and today, are accepted (once).
    services.dividend_run_mark_paid(actor=world.accountant_a, run=run, paid_on=AFTER)
    assert DividendPayment.objects.get(run=run).paid_on == AFTER


def test_the_payment_form_offers_only_dates_after_the_period_up_to_today(world, run, on, login):
    on(AFTER + timedelta(days=2))
    page = (
        login(world.accountant_a)
        .get(reverse("dividends:run_detail", args=[run.pk]))
        .content.decode()
    )
    assert f'min="{AFTER.isoformat()}"' in page
    assert f'max="{(AFTER + timedelta(days=2)).isoformat()}"' in page


def test_the_api_records_no_payment(world, run, on, login):
    """No API route records a payment: the run is read-only there (no update, no action)."""
    on(DURING)
    client = login(world.accountant_a)
    detail = f"/api/dividend-runs/{run.pk}/"
    for method, url in [
        ("post", f"{detail}paid/"),
        ("post", f"{detail}payment/"),
        ("patch", detail),
        ("put", detail),
    ]:
        response = getattr(client, method)(
            url, {"paid_on": AFTER.isoformat()}, content_type="application/json"
        )
        assert response.status_code in (404, 405), (method, url, response.status_code)
    assert not DividendPayment.objects.exists()


def test_the_admin_records_no_payment(world, run, on, login):
    """The admin shows runs read-only and has no page that adds a payment."""
    on(DURING)
    client = login(world.admin)
    assert client.get("/admin/dividends/dividendpayment/add/").status_code == 404
    response = client.post(
        "/admin/dividends/dividendpayment/add/",
        {"run": run.pk, "paid_on": AFTER.isoformat(), "recorded_by": world.admin.pk},
    )
    assert response.status_code == 404
    assert not DividendPayment.objects.exists()


def test_the_look_up_finds_by_number_or_full_name_and_shows_the_masked_name(world, run, on, login):
    client = login(world.villager_a)
    url = reverse("dividends:notice", args=[run.pk])

    by_name = client.get(url, {"q": "李秀英"})
    assert [row["line"].household_number for row in by_name.context["found"]] == ["A002"]
    found = by_name.content.decode().split('id="notice-found"')[1].split("</div>\n      {% ")[0]
    assert "李*英" in found and "李秀英" not in found.replace("“李秀英”", "")
    assert [r["line"].household_number for r in client.get(url, {"q": "a00"}).context["found"]] == [
        "A001",
        "A002",
    ]
    assert client.get(url, {"q": "李"}).context["found"] == []  # one character is no name


def test_the_villagers_own_line_comes_first(world, run, on, login):
    response = login(world.villager_a).get(reverse("dividends:notice", args=[run.pk]))
    assert response.context["mine"]["line"].household == world.villager_a.household
    assert 'id="notice-mine"' in response.content.decode()
