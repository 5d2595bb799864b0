"""The bank list and the public notice of an award run, written by the one writer
(`pinghu_points.exports`: formulas kept out, amounts as numbers). Same layout as the
dividend's lists (docs/awards.md, "Notice (公示), exports, audit"); from the lines'
snapshots only.
The callers check scope and record the export (`services.award_run_exported`)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dividends.exports import chinese_date, notice_period, notice_starts_on
from pinghu_points.exports import Column, Sheet, safe_filename, sheet_bytes
from pinghu_points.formatting import money, person_name
from villages.models import mask_name

from . import selectors
from .models import AwardLine, AwardRun

KINDS = ("bank", "notice")
FORMATS = ("xlsx", "csv")
TOTAL_LABEL = "合计"
ZERO = Decimal("0")

BANK_COLUMNS = [
    Column("户号", width=12),
    Column("户主姓名", width=14),
    Column("开户行", width=28),
    Column("银行账号", width=24),
    Column("金额", "money", width=16),
    Column("摘要", width=24),
]
NOTICE_COLUMNS = [
    Column("户号", width=12),
    Column("户主姓名", width=12),
    Column("身份证号", width=22),
    Column("本期计分", "score", width=10),
    Column("一票否决", width=10),
    Column("奖励金额", "money", width=16),
]


def run_lines(run):
    return list(AwardLine.objects.filter(run_id=run.pk).order_by("household_number", "pk"))


def _status_text(run):
    if run.status == AwardRun.Status.APPROVED:
        return "已审批"
    return "已计算，未审批（仅供核对，不能据此发放）"


def _title(run):
    return f"{run.cooperative.village.name}{run.period_label}{run.name}"


def bank_sheet(run, lines):
    approved = (
        f"{person_name(run.approved_by)}（{chinese_date(run.approved_at.date())}）"
        if run.approved_by_id and run.approved_at
        else "未审批"
    )
    summary = f"{run.period_label}{run.name}"
    total = sum((line.amount for line in lines), ZERO)
    paid_lines = [line for line in lines if line.amount > 0]
    return Sheet(
        title=f"{run.period_label}奖励银行代发",
        preamble=[
            f"{_title(run)}银行代发清单",
            f"合作社：{run.cooperative.name}（{run.cooperative.code}）；"
            f"奖励方案第{run.version}版；状态：{_status_text(run)}",
            f"制表：{person_name(run.created_by, empty='—')}；审批：{approved}",
            f"共{len(paid_lines)}户，合计{money(total)}元（奖励为0的户不列入）。"
            "最后一行“合计”是核对用的汇总，不是收款户。",
        ],
        columns=BANK_COLUMNS,
        rows=[
            [
                line.household_number,
                line.head_name,
                line.bank_name,
                line.bank_account,
                line.amount,
                summary,
            ]
            for line in paid_lines
        ],
        total=[TOTAL_LABEL, f"{len(paid_lines)}户", None, None, total, None],
    ), total


def notice_sheet(run, lines, *, starts_on):
    first, last = notice_period(run=run, starts_on=starts_on)
    cooperative = run.cooperative
    contact = cooperative.notice_contact or person_name(run.created_by, empty=cooperative.name)
    rules = "有一票否决项的户不发奖励" if run.veto_applies else "本次奖励未启用一票否决"
    total = sum((line.amount for line in lines), ZERO)
    return Sheet(
        title=f"{run.period_label}奖励公示",
        preamble=[
            f"{_title(run)}公示",
            f"公示期：{chinese_date(first)}至{chinese_date(last)}（{cooperative.notice_days}天）",
            f"奖励方案第{run.version}版；奖励金{money(run.pool)}元，按{run.period_label}"
            f"{selectors.counted_text(run)}类积分{run.get_policy_display()}分配；{rules}；"
            f"未分配留存{money(run.remainder or ZERO)}元留在奖励基金",
            f"如有异议，请在公示期内向{cooperative.village.name}反映。联系人：{contact}",
        ],
        columns=NOTICE_COLUMNS,
        rows=[
            [
                line.household_number,
                mask_name(line.head_name),
                line.head_id_number_masked,
                line.score,
                "是" if line.vetoed and run.veto_applies else "否",
                line.amount,
            ]
            for line in lines
        ],
        total=[TOTAL_LABEL, f"{len(lines)}户", None, None, None, total],
    ), total


def export_run(*, run, kind, file_format, notice_from=None):
    """(content bytes, file name, content type) of a computed or approved run's list."""
    if kind not in KINDS or file_format not in FORMATS:
        raise ValidationError(_("未知的导出类型或格式"))
    run = AwardRun.objects.select_related("cooperative__village", "created_by", "approved_by").get(
        pk=run.pk
    )
    if run.status not in selectors.HAS_LINES:
        raise ValidationError(
            _("只有已计算或已审批的方案才能导出（当前状态：%(status)s）")
            % {"status": run.get_status_display()}
        )
    lines = run_lines(run)
    if kind == "bank":
        sheet, total = bank_sheet(run, lines)
    else:
        sheet, total = notice_sheet(run, lines, starts_on=notice_from or notice_starts_on(run))
    content, content_type = sheet_bytes(sheet, file_format)
    stem = f"{run.cooperative.code}_{run.period_label}奖励_v{run.version}"
    name = f"{stem}_银行代发_{total:.2f}元" if kind == "bank" else f"{stem}_公示"
    return content, safe_filename(f"{name}.{file_format}"), content_type
