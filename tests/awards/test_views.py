"""The award pages from the outside: create, approve (four-eyes), the approval page's
largest changes from the previous period, exports, the online notice, and scope."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditRecord
from awards import services
from awards.models import AwardRun
from tests.awards.test_compute import create_run, event

D = Decimal
Status = AwardRun.Status


@pytest.fixture
def computed(world, items):
    event(world.a_east, items["clean"], "6")
    event(world.a_west, items["clean"], "4")
    return services.award_run_compute(run_id=create_run(world).pk)


def test_the_accountant_creates_a_run_on_the_form_and_it_is_computed(
    client, world, items, django_capture_on_commit_callbacks
):
    event(world.a_east, items["clean"], "5")
    client.force_login(world.accountant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("awards:run_create"),
            {
                "cooperative": world.coop_a.pk,
                "name": "全域秀美月度奖励",
                "period_kind": "month",
                "year": "2026",
                "period_number": "5",
                "pool": "10000.00",
                "categories": ["environment"],
                "recipients": "households",
                "policy": "score",
                "veto": "on",
            },
        )
    run = AwardRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "awards:run_detail", args=[run.pk]
    )
    assert (run.status, run.paid) == (Status.COMPUTED, D("10000.00"))
    page = client.get(response["Location"]).content.decode()
    assert "10,000.00" in page and "环境整治" in page and "核对并审批" not in page
    assert "双人审核" in page


def test_a_pool_rounded_away_is_refused_on_the_form(client, world, items):
    client.force_login(world.accountant_a)
    response = client.post(
        reverse("awards:run_create"),
        {
            "cooperative": world.coop_a.pk,
            "name": "奖励",
            "period_kind": "month",
            "year": "2026",
            "period_number": "5",
            "pool": "100.001",
            "categories": ["environment"],
            "recipients": "households",
            "policy": "score",
        },
    )
    assert response.status_code == 200 and "精确到分" in response.content.decode()
    assert not AwardRun.objects.exists()


def test_the_creator_cannot_approve_on_the_page(client, world, computed):
    client.force_login(world.accountant_a)
    page = client.get(reverse("awards:run_approve", args=[computed.pk])).content.decode()
    assert "双人审核" in page and 'id="approve-form"' not in page
    client.post(reverse("awards:run_approve", args=[computed.pk]), {"confirm": "on"})
    computed.refresh_from_db()
    assert computed.status == Status.COMPUTED


def test_approval_needs_the_confirmation_then_freezes(client, world, computed):
    client.force_login(world.supervisor_a)
    client.post(reverse("awards:run_approve", args=[computed.pk]), {})
    computed.refresh_from_db()
    assert computed.status == Status.COMPUTED
    client.post(reverse("awards:run_approve", args=[computed.pk]), {"confirm": "on"})
    computed.refresh_from_db()
    assert (computed.status, computed.approved_by) == (Status.APPROVED, world.supervisor_a)
    page = client.get(reverse("awards:run_detail", args=[computed.pk])).content.decode()
    assert "方案已冻结" in page and "公示中" in page


def test_the_approval_page_shows_the_largest_changes_from_last_month(world, items, client):
    event(world.a_east, items["clean"], "5", occurred_on=date(2026, 4, 3))
    event(world.a_west, items["clean"], "5", occurred_on=date(2026, 4, 3))
    april = services.award_run_compute(run_id=create_run(world, period_number=4).pk)
    services.award_run_approve(actor=world.supervisor_a, run=april)
    event(world.a_east, items["clean"], "9")
    event(world.a_west, items["clean"], "1")
    may = services.award_run_compute(run_id=create_run(world).pk)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("awards:run_approve", args=[may.pk])).content.decode()
    assert "2026年4月" in page and "largest-changes" in page
    # A001: 50.00 → 90.00 (+40.00), A002: 50.00 → 10.00 (−40.00): both listed.
    assert "+40.00" in page and "-40.00" in page


def test_exports_through_the_one_writer_and_audited(client, world, computed):
    client.force_login(world.accountant_a)
    response = client.get(reverse("awards:run_export", args=[computed.pk, "bank", "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows.index(["户号", "户主姓名", "开户行", "银行账号", "金额", "摘要"])
    assert rows[header + 1][:5] == ["A001", "王建国", "", "6228480011112222333", "60.00"]
    assert rows[-1][0] == "合计" and rows[-1][4] == "100.00"
    response = client.get(reverse("awards:run_export", args=[computed.pk, "notice", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(row[:3] == ["A001", "王*国", "330482********1234"] for row in values)
    assert not any("6228480011112222333" in str(row) for row in values)
    assert AuditRecord.objects.filter(action="award.export").count() == 2


def test_the_supervisor_reads_but_does_not_export(client, world, computed):
    client.force_login(world.supervisor_a)
    assert client.get(reverse("awards:run_detail", args=[computed.pk])).status_code == 200
    assert (
        client.get(reverse("awards:run_export", args=[computed.pk, "bank", "csv"])).status_code
        == 403
    )


@pytest.mark.parametrize("who", ["accountant_b", "supervisor_b"])
def test_another_village_sees_no_run(client, world, computed, who):
    client.force_login(getattr(world, who))
    for name in ("awards:run_detail", "awards:run_approve", "awards:run_progress"):
        assert client.get(reverse(name, args=[computed.pk])).status_code == 404
    assert "王建国" not in client.get(reverse("awards:run_list")).content.decode()


@pytest.mark.parametrize("who", ["staff_east", "villager_a", "bank_officer"])
def test_staff_villagers_and_the_bank_get_no_run_pages(client, world, computed, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("awards:run_list")).status_code == 403
    assert client.get(reverse("awards:run_detail", args=[computed.pk])).status_code == 403


def test_the_online_notice_is_for_the_village_once_approved(client, world, computed):
    client.force_login(world.villager_a)
    url = reverse("awards:notice", args=[computed.pk])
    assert client.get(url).status_code == 404  # not approved yet
    services.award_run_approve(actor=world.supervisor_a, run=computed)
    page = client.get(url).content.decode()
    assert "公示中" in page and "王*国" in page and "6228480011112222333" not in page
    client.force_login(world.villager_b)
    assert client.get(url).status_code == 404


def test_every_step_reads_in_the_audit_trail_with_a_link_to_the_run(client, world, computed):
    run = services.award_run_approve(actor=world.supervisor_a, run=computed)
    client.force_login(world.accountant_a)
    client.get(reverse("awards:run_export", args=[run.pk, "bank", "csv"]))
    client.force_login(world.admin)
    page = client.get(reverse("accounts:audit_list")).content.decode()
    for label in ("创建奖励方案", "计算奖励方案", "审批奖励方案", "导出奖励清单"):
        assert label in page
    assert reverse("awards:run_detail", args=[run.pk]) in page
    assert "award.approve" not in page.split("<tbody>", 1)[1]
