"""`run_dividend` and `export_dividend` (DESIGN.md section 6), and the audit trail of a
run: create, compute, approve and export each leave exactly one record."""

import io
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditRecord
from dividends import run_jobs, services
from dividends.models import DividendRun
from tests.dividends.test_exports import read

TONGJIE = ["--cooperative", "COOPA", "--year", "2026", "--total", "561600"]


def run_command(*args, capture=None):
    out = io.StringIO()
    if capture is None:
        call_command("run_dividend", *args, stdout=out)
    else:
        with capture(execute=True):
            call_command("run_dividend", *args, stdout=out)
    return out.getvalue()


def audit_actions(run):
    return sorted(
        AuditRecord.objects.filter(
            object_type="dividends.DividendRun", object_id=str(run.pk)
        ).values_list("action", flat=True)
    )


@pytest.fixture
def computed_run(world, standard, django_capture_on_commit_callbacks):
    run_command(*TONGJIE, "--incentive-ratio", "0.2", capture=django_capture_on_commit_callbacks)
    run = DividendRun.objects.get()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return run


# run_dividend


def test_run_dividend_prints_the_id_and_tongjie_pools(
    world, standard, django_capture_on_commit_callbacks
):
    output = run_command(
        *TONGJIE, "--incentive-ratio", "0.2", capture=django_capture_on_commit_callbacks
    )

    run = DividendRun.objects.get()
    assert f"分红方案 {run.pk}：甲村股份经济合作社 2026年度 第1版" in output
    assert "可分配总额：561600.00" in output
    assert "基本股分红池：468000.00" in output
    assert "积分激励池：93600.00" in output
    assert run.base_pool == Decimal("468000.00")
    assert run.incentive_pool == Decimal("93600.00")
    assert run.policy == DividendRun.Policy.SCORE
    assert run.parameters == {"veto": True}
    assert run.created_by == world.admin  # the default actor: the subdistrict admin
    # The job ran when the command's transaction committed.
    assert run.status == DividendRun.Status.COMPUTED
    assert run.household_count == 2


@pytest.mark.django_db(transaction=True)
def test_run_dividend_wait_prints_what_was_paid(transactional_db, world, standard):
    output = run_command(*TONGJIE, "--incentive-ratio", "0.2", "--wait", "--actor", "acc_a")

    run = DividendRun.objects.get()
    assert run.created_by == world.accountant_a
    assert "状态：已计算" in output
    assert "基本股分红实发：468000.00" in output
    assert "积分激励实发：93600.00" in output
    assert "未分配留存：0.00" in output
    assert "户数：2" in output


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("wait", [["--wait"], []])
def test_run_dividend_reports_a_failed_computation(
    transactional_db, world, standard, monkeypatch, wait
):
    def broken(**kwargs):
        raise RuntimeError("the register is unreadable")

    monkeypatch.setattr(run_jobs, "compute_lines", broken)

    with pytest.raises(CommandError, match="计算失败：the register is unreadable"):
        run_command(*TONGJIE, "--incentive-ratio", "0.2", *wait)
    assert DividendRun.objects.get().status == DividendRun.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_run_dividend_wait_times_out(transactional_db, world, standard, monkeypatch):
    monkeypatch.setattr(run_jobs, "dividend_run_enqueue", lambda *, run: None)  # no worker

    with pytest.raises(CommandError, match="等待超时"):
        run_command(*TONGJIE, "--incentive-ratio", "0.2", "--wait", "--timeout", "0")


def test_run_dividend_wait_refuses_inside_a_transaction(world, standard):
    # The job starts at commit: waiting inside the transaction would never end.
    with pytest.raises(CommandError, match="--wait"):
        run_command(*TONGJIE, "--incentive-ratio", "0.2", "--wait")
    assert not DividendRun.objects.exists()


@pytest.mark.parametrize(
    ("option", "value", "mode"),
    [
        ("--incentive-pool", "50000", DividendRun.IncentiveMode.FIXED),
        ("--incentive-share", "0.1", DividendRun.IncentiveMode.SHARE_OF_TOTAL),
    ],
)
def test_run_dividend_other_incentive_options(
    world, standard, django_capture_on_commit_callbacks, option, value, mode
):
    run_command(*TONGJIE, option, value, capture=django_capture_on_commit_callbacks)

    run = DividendRun.objects.get()
    assert run.incentive_mode == mode
    assert run.base_pool + run.incentive_pool == Decimal("561600.00")


def test_run_dividend_tiers_policy(world, standard, django_capture_on_commit_callbacks):
    run_command(
        *TONGJIE,
        "--incentive-ratio",
        "0.2",
        "--policy",
        "tiers",
        "--tiers",
        "90:0.2,80:0.1,60:0.05",
        "--min-score",
        "60",
        "--no-veto",
        "--record-date",
        "2026-06-30",
        capture=django_capture_on_commit_callbacks,
    )

    run = DividendRun.objects.get()
    assert run.parameters == {
        "veto": False,
        "min_score": "60",
        "tiers": [
            {"min_score": "60", "share_of_base": "0.05"},
            {"min_score": "80", "share_of_base": "0.1"},
            {"min_score": "90", "share_of_base": "0.2"},
        ],
    }
    assert str(run.record_date) == "2026-06-30"
    assert run.status == DividendRun.Status.COMPUTED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "--cooperative",
                "NOPE",
                "--year",
                "2026",
                "--total",
                "1000",
                "--incentive-ratio",
                "0.2",
            ],
            "没有编码为“NOPE”的合作社",
        ),
        ([*TONGJIE, "--incentive-ratio", "0.2", "--incentive-pool", "100"], "not allowed with"),
        ([*TONGJIE], "one of the arguments"),
        ([*TONGJIE, "--incentive-share", "0.3"], "20%"),
        ([*TONGJIE, "--total", "abc", "--incentive-ratio", "0.2"], "不是数字"),
        ([*TONGJIE, "--incentive-ratio", "0.2", "--tiers", "90:0.2"], "--policy tiers"),
        ([*TONGJIE, "--incentive-ratio", "0.2", "--policy", "tiers"], "--tiers"),
        (
            [*TONGJIE, "--incentive-ratio", "0.2", "--policy", "tiers", "--tiers", "90-0.2"],
            "格式不正确",
        ),
        (
            [*TONGJIE, "--incentive-ratio", "0.2", "--policy", "tiers", "--tiers", "90:0.1,80:0.2"],
            "分配参数不正确",
        ),
        ([*TONGJIE, "--incentive-ratio", "0.2", "--actor", "nobody"], "没有用户名为“nobody”的用户"),
        ([*TONGJIE, "--incentive-ratio", "0.2", "--actor", "acc_b"], "不能为该合作社分红"),
        ([*TONGJIE, "--year", "2030", "--incentive-ratio", "0.2"], "没有已发布的积分标准"),
    ],
)
def test_run_dividend_refusals(world, standard, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run_command(*args)
    assert not DividendRun.objects.exists()
    assert not AuditRecord.objects.filter(action="dividend.create").exists()


def test_run_dividend_ceiling_can_be_confirmed(world, standard, django_capture_on_commit_callbacks):
    output = run_command(
        *TONGJIE,
        "--incentive-share",
        "0.3",
        "--confirm-ceiling",
        capture=django_capture_on_commit_callbacks,
    )

    run = DividendRun.objects.get()
    assert run.ceiling_confirmed
    assert "积分激励池：168480.00" in output


def test_run_dividend_exits_non_zero_from_the_shell():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "run_dividend",
            *TONGJIE,
            "--incentive-ratio",
            "0.2",
            "--incentive-pool",
            "1",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "--incentive-pool" in result.stderr


# export_dividend


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_dividend_writes_the_bank_list(world, computed_run, tmp_path, file_format):
    target = tmp_path / f"bank.{file_format}"
    out = io.StringIO()

    call_command(
        "export_dividend",
        str(computed_run.pk),
        "--format",
        file_format,
        "--out",
        str(target),
        stdout=out,
    )

    _preamble, header, rows, total = read(target.read_bytes(), file_format)
    assert header == ["户号", "户主姓名", "开户行", "银行账号", "金额", "摘要"]
    assert rows[0][3] == "6228480011112222333"
    assert sum(Decimal(row[4]) for row in rows) == Decimal("561600.00") == Decimal(total[4])
    assert "已导出" in out.getvalue()
    (record,) = AuditRecord.objects.filter(action="dividend.export")
    assert record.object_id == str(computed_run.pk)
    assert record.details == {"kind": "bank", "format": file_format}
    assert record.actor == world.admin


def test_export_dividend_writes_the_notice_into_a_directory(world, computed_run, tmp_path):
    call_command(
        "export_dividend",
        str(computed_run.pk),
        "--format",
        "csv",
        "--kind",
        "notice",
        "--out",
        str(tmp_path),
        "--actor",
        "acc_a",
        stdout=io.StringIO(),
    )

    (written,) = list(tmp_path.iterdir())
    assert written.name == "COOPA_2026年度分红_v1_公示.csv"
    text = written.read_bytes().decode("utf-8-sig")
    assert "王*国" in text
    assert "330482196501181234" not in text
    (record,) = AuditRecord.objects.filter(action="dividend.export")
    assert record.actor == world.accountant_a
    assert record.details == {"kind": "notice", "format": "csv"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", "--format", "csv"], "没有编号为 999999 的分红方案"),
        (["{run}", "--format", "csv", "--actor", "acc_b"], "不能导出"),
        (["{run}", "--format", "csv", "--actor", "villager_a"], "不能导出"),
        (["{run}", "--format", "pdf"], "invalid choice"),
        (["{run}", "--format", "csv", "--kind", "payroll"], "invalid choice"),
    ],
)
def test_export_dividend_refusals(world, computed_run, tmp_path, args, message):
    args = [arg.format(run=computed_run.pk) for arg in args]

    with pytest.raises(CommandError, match=message):
        call_command("export_dividend", *args, "--out", str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


def test_export_dividend_refuses_a_run_not_yet_computed(world, standard, tmp_path):
    run_command(*TONGJIE, "--incentive-ratio", "0.2")  # not committed: still queued
    run = DividendRun.objects.get()

    with pytest.raises(CommandError, match="只有已计算或已审批的方案才能导出"):
        call_command(
            "export_dividend", str(run.pk), "--format", "csv", "--out", str(tmp_path / "x.csv")
        )
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


def test_export_dividend_to_a_missing_directory_fails_cleanly(world, computed_run, tmp_path):
    target = Path(tmp_path / "missing" / "bank.csv")

    with pytest.raises(CommandError, match="无法写入文件"):
        call_command(
            "export_dividend", str(computed_run.pk), "--format", "csv", "--out", str(target)
        )
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


# The audit trail of one run


def test_create_compute_approve_export_each_leave_one_audit_record(
    world, standard, tmp_path, django_capture_on_commit_callbacks
):
    run_command(
        *TONGJIE,
        "--incentive-ratio",
        "0.2",
        "--actor",
        "acc_a",
        capture=django_capture_on_commit_callbacks,
    )
    run = DividendRun.objects.get()
    assert audit_actions(run) == ["dividend.compute", "dividend.create"]

    services.dividend_run_approve(actor=world.supervisor_a, run=run)
    assert audit_actions(run) == ["dividend.approve", "dividend.compute", "dividend.create"]

    call_command(
        "export_dividend",
        str(run.pk),
        "--format",
        "xlsx",
        "--out",
        str(tmp_path / "b.xlsx"),
        "--actor",
        "acc_a",
    )
    assert audit_actions(run) == [
        "dividend.approve",
        "dividend.compute",
        "dividend.create",
        "dividend.export",
    ]
    records = AuditRecord.objects.filter(object_id=str(run.pk), object_type="dividends.DividendRun")
    assert {record.actor for record in records.exclude(action="dividend.approve")} == {
        world.accountant_a
    }
    approve = records.get(action="dividend.approve")
    assert approve.actor == world.supervisor_a
    assert (approve.details["created_by"], approve.details["approved_by"]) == ("acc_a", "sup_a")
    assert approve.details["four_eyes"] is True
    create = records.get(action="dividend.create")
    assert create.details["base_pool"] == "468000.00"
    assert create.details["incentive_pool"] == "93600.00"
    compute = records.get(action="dividend.compute")
    assert compute.details["households"] == 2
    assert compute.details["incentive_paid"] == "93600.00"


def test_computing_twice_leaves_one_compute_record(world, computed_run):
    run_jobs.dividend_run_compute(run_id=computed_run.pk)

    assert audit_actions(computed_run).count("dividend.compute") == 1


# Issue 9 finding 3: the command refuses what the API refuses, with the same message.

SILENTLY_ROUNDED = [
    (
        ["--total", "100.001", "--incentive-ratio", "0.2"],
        {"total": "100.001", "incentive_ratio": "0.2"},
    ),
    (
        ["--total", "1000", "--incentive-pool", "10.005"],
        {"total": "1000", "incentive_pool": "10.005"},
    ),
    (
        ["--total", "1000000", "--incentive-ratio", "0.123456"],
        {"total": "1000000", "incentive_ratio": "0.123456"},
    ),
    (
        ["--total", "1000", "--incentive-share", "0.12345"],
        {"total": "1000", "incentive_share": "0.12345"},
    ),
]


@pytest.mark.parametrize(("options", "payload"), SILENTLY_ROUNDED)
def test_run_dividend_refuses_what_the_api_refuses_with_the_same_message(
    world, standard, login, options, payload
):
    response = login(world.admin).post(
        "/api/dividend-runs/",
        {"cooperative": "COOPA", "year": 2026, **payload},
        content_type="application/json",
    )
    assert response.status_code == 400
    api_messages = [message for messages in response.json().values() for message in messages]
    assert len(api_messages) == 1 and "无效" in api_messages[0]

    with pytest.raises(CommandError) as refused:
        run_command("--cooperative", "COOPA", "--year", "2026", *options)

    assert str(refused.value) == api_messages[0]
    assert not DividendRun.objects.exists()


def test_run_dividend_stores_what_it_computed_with(
    world, standard, django_capture_on_commit_callbacks
):
    run_command(*TONGJIE, "--incentive-ratio", "0.1235", capture=django_capture_on_commit_callbacks)
    run = DividendRun.objects.get()
    assert (run.total, run.incentive_value) == (Decimal("561600.00"), Decimal("0.1235"))
    assert (run.base_pool, run.incentive_pool) == services.pools(
        total=run.total, incentive_mode=run.incentive_mode, incentive_value=run.incentive_value
    )


def test_run_dividend_refuses_a_total_too_large_with_the_size_message(world, standard):
    """Issue 20, point 11: `--total 1000000000000` is refused because of its size, not
    with the message about decimals (it has none)."""
    with pytest.raises(CommandError) as refused:
        run_command(
            "--cooperative", "COOPA", "--year", "2026", "--total", "1000000000000",
            "--incentive-ratio", "0.2",
        )  # fmt: skip
    message = str(refused.value)
    assert "可分配总额“1000000000000”过大：最多 999,999,999,999.99" in message
    assert "小数" not in message
    assert not DividendRun.objects.exists()
    # One more digit is still about the decimals.
    with pytest.raises(CommandError, match="最多两位小数"):
        run_command(
            "--cooperative", "COOPA", "--year", "2026", "--total", "100.001",
            "--incentive-ratio", "0.2",
        )  # fmt: skip
