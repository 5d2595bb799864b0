"""Dividend runs in the admin: read only, accounts masked, scope kept, bank list export."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import AuditRecord
from dividends import run_jobs, services
from dividends.models import DividendRun
from tests.dividends.test_exports import read

FULL_ACCOUNT = "6228480011112222333"
MASKED_ACCOUNT = "***************2333"
FULL_ID = "330482196501181234"


def create_run(world):
    return services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("561600.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )


@pytest.fixture
def computed_run(world, standard, django_capture_on_commit_callbacks):
    run = create_run(world)
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return run


@pytest.fixture
def admin_client(world, client):
    # The town's administrator (staff, not superuser): the city admin reads runs but does
    # not hand a bank list to the bank.
    client.force_login(world.admin)
    return client


def export_action(client, run):
    return client.post(
        reverse("admin:dividends_dividendrun_changelist"),
        {"action": "export_bank_list_xlsx", "_selected_action": [run.pk]},
    )


def test_run_changelist_and_change_page_show_the_run(admin_client, computed_run):
    changelist = admin_client.get(reverse("admin:dividends_dividendrun_changelist"))
    page = admin_client.get(reverse("admin:dividends_dividendrun_change", args=[computed_run.pk]))

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [computed_run]
    assert page.status_code == 200
    body = page.content.decode()
    assert "A001" in body
    assert MASKED_ACCOUNT in body
    assert "330482********1234" in body
    assert FULL_ACCOUNT not in body
    assert FULL_ID not in body


@pytest.mark.parametrize("query", [{"q": "COOPA"}, {"status__exact": "computed"}, {"year": "2026"}])
def test_run_changelist_filters_and_search(admin_client, computed_run, query):
    response = admin_client.get(reverse("admin:dividends_dividendrun_changelist"), query)

    assert list(response.context["cl"].result_list) == [computed_run]


def test_line_changelist_and_change_page_mask_the_account(admin_client, computed_run):
    line = computed_run.lines.get(household_number="A001")

    changelist = admin_client.get(reverse("admin:dividends_dividendline_changelist"))
    page = admin_client.get(reverse("admin:dividends_dividendline_change", args=[line.pk]))

    for response in (changelist, page):
        assert response.status_code == 200
        body = response.content.decode()
        assert MASKED_ACCOUNT in body
        assert FULL_ACCOUNT not in body
        assert FULL_ID not in body


def test_runs_and_lines_cannot_be_added_changed_or_deleted(admin_client, computed_run):
    line = computed_run.lines.first()

    assert admin_client.get(reverse("admin:dividends_dividendrun_add")).status_code == 403
    assert admin_client.get(reverse("admin:dividends_dividendline_add")).status_code == 403
    delete = reverse("admin:dividends_dividendrun_delete", args=[computed_run.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:dividends_dividendrun_change", args=[computed_run.pk])
    assert admin_client.post(change, {"total": "1.00"}).status_code == 403
    line_change = reverse("admin:dividends_dividendline_change", args=[line.pk])
    assert admin_client.post(line_change, {"total_amount": "1.00"}).status_code == 403
    computed_run.refresh_from_db()
    assert computed_run.total == Decimal("561600.00")
    assert DividendRun.objects.filter(pk=computed_run.pk).exists()


def test_export_action_downloads_the_bank_list_and_is_audited(world, admin_client, computed_run):
    response = export_action(admin_client, computed_run)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    _preamble, header, rows, total = read(response.content, "xlsx")
    assert header == ["户号", "户主姓名", "开户行", "银行账号", "金额", "摘要"]
    assert rows[0][3] == FULL_ACCOUNT  # the bank needs the full account
    assert sum(Decimal(row[4]) for row in rows) == Decimal("561600.00") == Decimal(total[4])
    (record,) = AuditRecord.objects.filter(action="dividend.export")
    assert record.actor == world.admin
    assert record.details == {"kind": "bank", "format": "xlsx"}


def test_export_action_refuses_a_run_not_computed(world, admin_client, standard):
    run = create_run(world)  # still queued: the job was never sent

    response = export_action(admin_client, run)

    assert response.status_code == 302
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


def test_export_action_takes_one_run_at_a_time(world, admin_client, computed_run):
    second = create_run(world)
    DividendRun.objects.filter(pk=second.pk).update(status=DividendRun.Status.COMPUTED)

    response = admin_client.post(
        reverse("admin:dividends_dividendrun_changelist"),
        {"action": "export_bank_list_xlsx", "_selected_action": [computed_run.pk, second.pk]},
    )

    assert response.status_code == 302
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


@pytest.fixture
def accountant_b_in_admin(world, client):
    """The other cooperative's accountant, given admin access and view rights."""
    accountant = world.accountant_b
    accountant.is_staff = True
    accountant.save()
    accountant.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_dividendrun", "view_dividendline"])
    )
    client.force_login(accountant)
    return client


def test_admin_keeps_the_scope_of_another_cooperatives_accountant(
    accountant_b_in_admin, computed_run
):
    runs = accountant_b_in_admin.get(reverse("admin:dividends_dividendrun_changelist"))
    lines = accountant_b_in_admin.get(reverse("admin:dividends_dividendline_changelist"))
    page = accountant_b_in_admin.get(
        reverse("admin:dividends_dividendrun_change", args=[computed_run.pk])
    )

    assert list(runs.context["cl"].result_list) == []
    assert list(lines.context["cl"].result_list) == []
    assert page.status_code == 404  # not theirs (accounts.admin_scope.ScopedAdmin)


def test_export_action_keeps_the_scope(accountant_b_in_admin, computed_run):
    response = export_action(accountant_b_in_admin, computed_run)

    assert not response.has_header("Content-Disposition")
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


@pytest.mark.parametrize("user_name", ["accountant_a", "villager_a", "staff_east"])
def test_admin_is_closed_to_users_who_are_not_staff(world, client, computed_run, user_name):
    client.force_login(getattr(world, user_name))

    response = client.get(reverse("admin:dividends_dividendrun_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response.url
