"""Four-eyes approval, the approval page, versions of an approved year, and the progress
the run page and its endpoint show (issue 9, findings 10 and 11)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import AuditRecord, User
from communities.models import ScoringStandard, StandardAdoption
from dividends import run_jobs, selectors, services
from dividends.models import DividendRun
from tests import factories
from tests.test_i18n import english_words

YEAR = 2026
Status = DividendRun.Status


@pytest.fixture
def make_run(world, standard, django_capture_on_commit_callbacks):
    """A computed run of cooperative A, created by `actor` (default: its accountant)."""

    def _make(*, actor=None, year=YEAR, total="1200.00", compute=True):
        run = services.dividend_run_create(
            actor=actor or world.accountant_a,
            cooperative=world.coop_a,
            year=year,
            total=Decimal(total),
            incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
            incentive_value=Decimal("0.2"),
            policy=DividendRun.Policy.SCORE,
        )
        if compute:
            with django_capture_on_commit_callbacks(execute=True):
                run_jobs.dividend_run_enqueue(run=run)
            run.refresh_from_db()
            assert run.status == Status.COMPUTED, run.error
        return run

    return _make


def adopt_standard(cooperative, year):
    StandardAdoption.objects.create(
        standard=ScoringStandard.objects.create(
            town=factories.town(),
            name=f"{year}标准",
            year=year,
            status=ScoringStandard.Status.PUBLISHED,
        ),
        cooperative=cooperative,
        meeting_date=date(year, 1, 15),
        votes_for=40,
    )


def approve_url(run):
    return reverse("dividends:run_approve", args=[run.pk])


def detail_url(run):
    return reverse("dividends:run_detail", args=[run.pk])


# --- Four-eyes: the service -----------------------------------------------------------------


def test_the_creator_cannot_approve_their_own_run(world, make_run):
    run = make_run()
    with pytest.raises(ValidationError, match="双人审核"):
        services.dividend_run_approve(actor=world.accountant_a, run=run)
    run.refresh_from_db()
    assert run.status == Status.COMPUTED and run.approved_by is None
    assert not AuditRecord.objects.filter(action="dividend.approve").exists()


def test_a_subdistrict_admin_who_created_the_run_is_refused_too(world, make_run):
    run = make_run(actor=world.admin)
    with pytest.raises(ValidationError, match="双人审核"):
        services.dividend_run_approve(actor=world.admin, run=run)
    assert services.dividend_run_approve(actor=world.accountant_a, run=run).is_frozen


@pytest.mark.parametrize("signer", ["supervisor_a", "colleague", "admin"])
def test_someone_else_of_the_cooperative_approves(world, make_run, signer):
    colleague = factories.user(
        username="acc_a2", role=User.Role.ACCOUNTANT, cooperative_=world.coop_a
    )
    actor = colleague if signer == "colleague" else getattr(world, signer)
    run = services.dividend_run_approve(actor=actor, run=make_run())
    assert run.status == Status.APPROVED
    assert (run.created_by, run.approved_by) == (world.accountant_a, actor)
    record = AuditRecord.objects.get(action="dividend.approve")
    assert record.actor == actor
    assert record.details["created_by"] == "acc_a"
    assert record.details["approved_by"] == actor.username
    assert record.details["households"] == 2


@pytest.mark.parametrize("outsider", ["supervisor_b", "accountant_b", "staff_east", "villager_a"])
def test_nobody_outside_the_cooperative_signs(world, make_run, outsider):
    with pytest.raises(PermissionDenied):
        services.dividend_run_approve(actor=getattr(world, outsider), run=make_run())


def test_four_eyes_is_on_by_default_and_can_be_switched_off_per_cooperative(world, make_run):
    assert world.coop_a.four_eyes_approval and world.coop_b.four_eyes_approval
    world.coop_a.four_eyes_approval = False
    world.coop_a.save()
    run = make_run()
    assert services.approval_refusal(actor=world.accountant_a, run=run) is None
    assert services.dividend_run_approve(actor=world.accountant_a, run=run).is_frozen


def test_a_supervisor_needs_a_cooperative(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="sup_x", role=User.Role.SUPERVISOR)


# --- Versions of an approved year -------------------------------------------------------------


def test_no_new_version_once_the_year_is_approved(world, make_run):
    first = make_run()
    services.dividend_run_approve(actor=world.supervisor_a, run=first)
    for attempt in (
        lambda: make_run(compute=False),
        lambda: services.dividend_run_recompute(actor=world.accountant_a, run=first),
    ):
        with pytest.raises(ValidationError, match="已审批（第 1 版），已冻结，不能再创建新版本"):
            attempt()
    assert DividendRun.objects.count() == 1
    # Another year is not affected.
    adopt_standard(world.coop_a, YEAR + 1)
    assert make_run(year=YEAR + 1).version == 1


def test_the_command_refuses_a_new_version_of_an_approved_year(world, make_run):
    services.dividend_run_approve(actor=world.supervisor_a, run=make_run())
    with pytest.raises(CommandError, match="不能再创建新版本"):
        call_command(
            "run_dividend",
            "--cooperative",
            "COOPA",
            "--year",
            str(YEAR),
            "--total",
            "1000",
            "--incentive-ratio",
            "0.2",
            "--actor",
            "acc_a",
            stdout=io.StringIO(),
        )
    assert DividendRun.objects.count() == 1


def test_the_form_refuses_a_new_version_of_an_approved_year(world, make_run, login):
    services.dividend_run_approve(actor=world.supervisor_a, run=make_run())
    response = login(world.accountant_a).post(
        reverse("dividends:run_create"),
        {
            "cooperative": world.coop_a.pk,
            "year": YEAR,
            "record_date": "",
            "total": "1000.00",
            "incentive_mode": DividendRun.IncentiveMode.RATIO_OF_BASE,
            "incentive_value": "0.2",
            "policy": DividendRun.Policy.SCORE,
            "veto": "on",
        },
    )
    assert response.status_code == 200
    assert "已审批（第 1 版），已冻结，不能再创建新版本" in response.content.decode()
    assert DividendRun.objects.count() == 1


# --- The pages ------------------------------------------------------------------------------


def test_the_creator_is_offered_no_approve_button_and_is_refused(world, make_run, login):
    run = make_run()
    client = login(world.accountant_a)

    body = client.get(detail_url(run)).content.decode()
    assert 'id="approve-button"' not in body
    assert 'id="approval-refusal"' in body and "双人审核" in body
    page = client.get(approve_url(run)).content.decode()
    assert 'id="approve-form"' not in page and "双人审核" in page

    response = client.post(approve_url(run), {"confirm": "on"}, follow=True)
    assert "未能审批" in response.content.decode()
    run.refresh_from_db()
    assert run.status == Status.COMPUTED


def test_the_supervisor_approves_on_the_approval_page_after_confirming(world, make_run, login):
    run = make_run()
    client = login(world.supervisor_a)
    body = client.get(detail_url(run)).content.decode()
    assert 'id="approve-button"' in body
    assert "export-bank" not in body and "recompute-button" not in body  # signs, nothing else

    page = client.get(approve_url(run))
    text = page.content.decode()
    assert page.status_code == 200
    for fragment in (
        'id="approval-summary"',
        "1,200.00",
        "1,000.00",
        "200.00",
        'id="approve-form"',
    ):
        assert fragment in text
    assert page.context["run"].household_count == 2
    assert not english_words(page, "sup", "acc")  # the login names

    # Without the box ticked nothing happens.
    client.post(approve_url(run))
    run.refresh_from_db()
    assert run.status == Status.COMPUTED

    response = client.post(approve_url(run), {"confirm": "on"}, follow=True)
    run.refresh_from_db()
    assert run.status == Status.APPROVED and run.approved_by == world.supervisor_a
    body = response.content.decode()
    assert "已审批，方案已冻结" in body and "acc_a" in body and "sup_a" in body


def test_a_supervisor_reads_and_signs_but_does_not_prepare_or_export(world, make_run, login):
    run = make_run()
    client = login(world.supervisor_a)
    assert client.get(reverse("dividends:run_list")).status_code == 200
    assert 'id="new-run"' not in client.get(reverse("dividends:run_list")).content.decode()
    assert client.get(reverse("dividends:run_lines", args=[run.pk])).status_code == 200
    statement = reverse("dividends:statement", args=[run.pk, world.a_east.pk])
    assert client.get(statement).status_code == 200
    assert client.get(reverse("dividends:run_create")).status_code == 403
    assert (
        client.get(reverse("dividends:run_export", args=[run.pk, "bank", "xlsx"])).status_code
        == 403
    )
    assert client.post(reverse("dividends:run_recompute", args=[run.pk])).status_code == 403
    assert DividendRun.objects.count() == 1
    # The other cooperative's supervisor does not even see the run.
    other = login(world.supervisor_b)
    assert other.get(detail_url(run)).status_code == 404
    assert other.post(approve_url(run), {"confirm": "on"}).status_code == 404


def test_the_approval_page_shows_the_largest_changes_from_last_year(world, make_run, login):
    adopt_standard(world.coop_a, YEAR - 1)
    last = make_run(year=YEAR - 1, total="600.00")
    services.dividend_run_approve(actor=world.supervisor_a, run=last)
    factories.household(
        cooperative_=world.coop_a, community_=world.east, number="A003", shares={"RK": "5"}
    )
    run = make_run(total="1200.00")

    changes = selectors.largest_changes(run, last)
    by_number = {change.line.household_number: change for change in changes}
    # A household new this year is not a "change": it is listed on its own.
    assert set(by_number) == {"A001", "A002"}
    count, new = selectors.new_households(run, last)
    assert count == 1 and [line.household_number for line in new] == ["A003"]
    for number in ("A001", "A002"):
        before = last.lines.get(household_number=number).total_amount
        assert (
            by_number[number].difference
            == run.lines.get(household_number=number).total_amount - before
        )
    differences = [abs(change.difference) for change in changes]
    assert differences == sorted(differences, reverse=True)
    assert selectors.largest_changes(run, last, limit=1) == changes[:1]

    page = login(world.supervisor_a).get(approve_url(run))
    body = page.content.decode()
    assert 'id="largest-changes"' in body and 'id="new-households"' in body
    assert "A003" not in body.split('id="largest-changes"')[1].split("</table>")[0]
    assert page.context["comparison"].previous == last


def test_no_approve_button_on_other_versions_of_an_approved_year(world, make_run, login):
    first, second = make_run(), make_run()
    services.dividend_run_approve(actor=world.supervisor_a, run=first)
    body = login(world.supervisor_a).get(detail_url(second)).content.decode()
    assert 'id="approve-button"' not in body and 'id="year-approved"' in body
    page = login(world.supervisor_a).get(approve_url(second)).content.decode()
    assert 'id="approve-form"' not in page and "已有审批通过的分红方案（第 1 版）" in page


# --- Progress: the text and the status never disagree ---------------------------------------


@pytest.mark.parametrize(
    ("status", "stored", "shown"),
    [
        (Status.QUEUED, 45, 0),  # e.g. sent again after a failure: not "45% 排队中"
        (Status.RUNNING, 0, 1),
        (Status.RUNNING, 100, 99),  # lines not written yet: not "100% 计算中"
        (Status.FAILED, 45, 45),
        (Status.COMPUTED, 70, 100),
    ],
)
def test_progress_and_status_agree_on_the_page_and_the_endpoint(
    world, make_run, login, status, stored, shown
):
    run = make_run(compute=status == Status.COMPUTED)
    DividendRun.objects.filter(pk=run.pk).update(status=status, progress=stored, error="出错")
    client = login(world.accountant_a)

    data = client.get(reverse("dividends:run_progress", args=[run.pk])).json()
    body = client.get(detail_url(run)).content.decode()

    assert data["status"] == status and data["progress"] == shown
    assert data["error"] == ("出错" if status == Status.FAILED else "")
    assert f'<strong id="run-progress-text">{shown}%</strong>' in body
    label = data["status_label"]
    assert f'<span id="run-progress-status">{label}</span>' in body
    assert f'id="run-status-badge">{label}</span>' in body


# --- What else a supervisor may do --------------------------------------------------------


def test_a_supervisor_reads_the_register_of_their_cooperative_only(world, login):
    client = login(world.supervisor_a)
    body = client.get(reverse("villages:household_list")).content.decode()
    assert "A001" in body and "A002" in body and "B001" not in body
    detail = reverse("villages:household_detail", args=[world.a_east.pk])
    assert client.get(detail).status_code == 200
    assert (
        client.get(reverse("villages:household_detail", args=[world.b_east.pk])).status_code == 404
    )
    # Reads, never writes: no share transfer, no register import, no scoring.
    transfer = reverse("villages:share_transfer", args=[world.a_east.pk])
    assert client.get(transfer).status_code in (403, 404)
    assert client.get(reverse("villages:household_import")).status_code == 403
    assert client.get(reverse("communities:batch_entry")).status_code == 403
    assert client.get(reverse("communities:month_list")).status_code == 403
    menu = [str(label) for label, _url in client.get(reverse("home")).context["nav_items"]]
    assert "分红审批" in menu and "股东户" in menu
    assert "导入股东名册" not in menu and "批量录入" not in menu


def test_the_admin_cannot_approve_a_run(world, make_run, rf):
    from django.contrib import admin

    run_admin = admin.site._registry[DividendRun]
    request = rf.get("/")
    request.user = world.admin
    assert "approve" not in " ".join(run_admin.get_actions(request))
    assert not run_admin.has_change_permission(request, make_run())


def test_a_login_becomes_the_cooperatives_supervisor_through_the_audited_service(world):
    from accounts.services import user_set_role

    user = factories.user(username="lishizhang")
    user_set_role(user=user, actor=world.admin, role=User.Role.SUPERVISOR, cooperative=world.coop_a)
    user.refresh_from_db()
    assert (user.is_supervisor, user.cooperative, user.is_staff) == (True, world.coop_a, False)
    record = AuditRecord.objects.get(action="user.role_changed", object_id=str(user.pk))
    assert record.details["after"]["role"] == "supervisor"
