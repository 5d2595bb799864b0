"""The two lists a dividend run is exported as (format in docs/import-formats.md, 分红导出格式).

- 银行代发清单 (bank list): what the bank pays from. It is for the accountant and the bank
  only, so it carries the FULL bank account. It names the cooperative, year, version,
  who made it and who approved it above the header, and ends with a 合计 row.
- 分红公示 (notice): what is posted in the village: title, 公示 period and contact above
  the header; names and ID numbers masked, no bank data; it ends with a 合计 row.

Both read only the line's snapshot (what was paid on), never the live household, with
one query for the run and one for the lines. They are written by `pinghu_points.exports`,
which keeps formulas out (a text starting with = + - @ tab CR gets a `'` in front,
nothing else is changed) and writes amounts and shares as numbers. Headers and the
lines above them are a file format (like the import headers): fixed Chinese.

`export_run` does not write the audit trail: its callers know who exported and call
`services.dividend_run_exported`.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pinghu_points.exports import Column, Sheet, plain_decimal, safe_filename, sheet_bytes
from pinghu_points.formatting import money, person_name
from villages.models import ShareClass, mask_name

from .models import DividendLine, DividendRun

KINDS = ("bank", "notice")
FORMATS = ("xlsx", "csv")
EXPORTABLE_STATUSES = (DividendRun.Status.COMPUTED, DividendRun.Status.APPROVED)
TOTAL_LABEL = "合计"
ZERO = Decimal("0")

BANK_COLUMNS = [
    Column("户号", width=12),
    Column("户主姓名", width=14),
    Column("开户行", width=28),
    Column("银行账号", width=24),
    Column("金额", "money", width=16),
    Column("摘要", width=16),
]
NOTICE_COLUMNS = [
    Column("户号", width=12),
    Column("户主姓名", width=12),
    Column("身份证号", width=22),
    Column("持股", width=24),
    Column("折算股数", "shares", width=14),
    Column("年度积分", "score", width=10),
    Column("一票否决", width=10),
    Column("基本股分红", "money", width=16),
    Column("积分激励", "money", width=14),
    Column("合计", "money", width=16),
]


def plain_number(value):
    """Decimal as plain text without trailing zeros: 3.0000 -> "3", 2.50 -> "2.5"."""
    return plain_decimal(value)


def money_text(value):
    return f"{Decimal(value):.2f}"


# The share classes' own order: the order they were created in.
SHARE_CLASS_ORDER = ("pk",)


def share_class_names(cooperative_id):
    """The names of a cooperative's share classes in their own order: the order they were
    created in (the register sample's columns, the order `compute_lines` writes the
    snapshot in). One query."""
    return list(
        ShareClass.objects.filter(cooperative_id=cooperative_id)
        .order_by(*SHARE_CLASS_ORDER)
        .values_list("name", flat=True)
    )


def in_class_order(shares, names):
    """[(name, quantity)] of a line's shares snapshot in the classes' own order (`names`,
    from `share_class_names`), never in the JSON column's key order: PostgreSQL's jsonb
    keeps keys shortest first, SQLite as written. A class no longer in `names` (renamed
    or removed since) comes last, by name."""
    position = {name: index for index, name in enumerate(names or ())}
    return sorted(
        (shares or {}).items(), key=lambda item: (position.get(item[0], len(position)), item[0])
    )


def shares_summary(shares, names=None):
    """{"人口股": "3", "农龄股": "2.50"} -> "人口股3；农龄股2.5", in the classes' own order
    (`names`; without it, the order given)."""
    pairs = in_class_order(shares, names) if names is not None else (shares or {}).items()
    return "；".join(f"{name}{plain_number(quantity)}" for name, quantity in pairs)


def annual_summary(year):
    return f"{year}年度分红"


def chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def veto_text(line, run):
    """是 only when the household had a veto item AND the run applies the veto."""
    return "是" if line.vetoed and run.veto_applies else "否"


def notice_period(*, run, starts_on):
    """(first day, last day) of the 公示: the cooperative's `notice_days`, from `starts_on`."""
    days = run.cooperative.notice_days or 1
    return starts_on, starts_on + timedelta(days=days - 1)


def run_lines(run):
    """The lines of a run in household-number order, snapshot fields only."""
    return (
        DividendLine.objects.filter(run_id=run.pk)
        .order_by("household_number", "pk")
        .only(
            "pk",
            "run_id",
            "household_number",
            "head_name",
            "head_id_number_masked",
            "bank_name",
            "bank_account",
            "shares",
            "weighted_shares",
            "score",
            "vetoed",
            "base_amount",
            "incentive_amount",
            "total_amount",
        )
    )


def _status_text(run):
    if run.status == DividendRun.Status.APPROVED:
        return "已审批"
    return "已计算，未审批（仅供核对，不能据此发放）"


def bank_sheet(run, lines):
    cooperative = run.cooperative
    approved = (
        f"{person_name(run.approved_by)}（{chinese_date(timezone.localdate(run.approved_at))}）"
        if run.approved_by_id and run.approved_at
        else "未审批"
    )
    rows = [
        [
            line.household_number,
            line.head_name,
            line.bank_name,
            line.bank_account,
            line.total_amount,
            annual_summary(run.year),
        ]
        for line in lines
    ]
    total = sum((line.total_amount for line in lines), ZERO)
    return Sheet(
        title=f"{run.year}年度分红银行代发",
        preamble=[
            f"{cooperative.name}{run.year}年度分红银行代发清单",
            f"合作社：{cooperative.name}（{cooperative.code}）；年度：{run.year}；"
            f"分红方案第{run.version}版；状态：{_status_text(run)}",
            f"制表：{person_name(run.created_by, empty='—')}；审批：{approved}",
            f"共{len(lines)}户，合计{money(total)}元。最后一行“合计”是核对用的汇总，不是收款户。",
        ],
        columns=BANK_COLUMNS,
        rows=rows,
        total=[TOTAL_LABEL, f"{len(lines)}户", None, None, total, None],
    ), total


def notice_sheet(run, lines, *, starts_on):
    cooperative = run.cooperative
    first, last = notice_period(run=run, starts_on=starts_on)
    contact = cooperative.notice_contact or person_name(run.created_by, empty=cooperative.name)
    rules = "有一票否决项的户不发积分激励" if run.veto_applies else "本次分红未启用一票否决"
    class_names = share_class_names(run.cooperative_id)
    rows = [
        [
            line.household_number,
            mask_name(line.head_name),
            line.head_id_number_masked,
            shares_summary(line.shares, class_names),
            line.weighted_shares,
            line.score,
            veto_text(line, run),
            line.base_amount,
            line.incentive_amount,
            line.total_amount,
        ]
        for line in lines
    ]

    def column_sum(attribute):
        return sum((getattr(line, attribute) for line in lines), ZERO)

    total = column_sum("total_amount")
    return Sheet(
        title=f"{run.year}年度分红公示",
        preamble=[
            f"{cooperative.name}{run.year}年度股权分红+善治积分公示",
            f"公示期：{chinese_date(first)}至{chinese_date(last)}（{cooperative.notice_days}天）",
            f"分红方案第{run.version}版；股权登记日：{chinese_date(run.record_date)}；"
            f"可分配总额{money(run.total)}元，其中基本股分红池{money(run.base_pool)}元、"
            f"积分激励池{money(run.incentive_pool)}元；{rules}",
            f"如有异议，请在公示期内向{cooperative.name}反映。联系人：{contact}",
        ],
        columns=NOTICE_COLUMNS,
        rows=rows,
        total=[
            TOTAL_LABEL,
            f"{len(lines)}户",
            None,
            None,
            column_sum("weighted_shares"),
            None,
            None,
            column_sum("base_amount"),
            column_sum("incentive_amount"),
            total,
        ],
    ), total


def export_filename(*, run, kind, file_format, households, total):
    stem = f"{run.cooperative.code}_{run.year}年度分红_v{run.version}"
    if kind == "bank":
        return safe_filename(f"{stem}_银行代发_{households}户_{money_text(total)}元.{file_format}")
    return safe_filename(f"{stem}_公示.{file_format}")


def notice_starts_on(run):
    """The 公示 starts the day the run is approved, as on the notice page (dividends/notice.py);
    a computed run's draft notice counts from today."""
    if run.approved_at is not None:
        return timezone.localdate(run.approved_at)
    return timezone.localdate()


def export_run(*, run, kind, file_format, notice_from=None):
    """(content bytes, file name, content type) of a run's bank list or public notice.

    Only computed or approved runs are exported. `notice_from` is the first day of the
    公示 period (default: today). The caller checks the user's scope and records the
    export (`services.dividend_run_exported`).
    """
    if kind not in KINDS:
        raise ValidationError(_("未知的导出类型：%(kind)s") % {"kind": kind})
    if file_format not in FORMATS:
        raise ValidationError(_("未知的导出格式：%(format)s") % {"format": file_format})
    run = DividendRun.objects.select_related("cooperative", "created_by", "approved_by").get(
        pk=run.pk
    )
    if run.status not in EXPORTABLE_STATUSES:
        raise ValidationError(
            _("只有已计算或已审批的方案才能导出（当前状态：%(status)s）")
            % {"status": run.get_status_display()}
        )
    lines = list(run_lines(run))
    if kind == "bank":
        sheet, total = bank_sheet(run, lines)
    else:
        sheet, total = notice_sheet(run, lines, starts_on=notice_from or notice_starts_on(run))
    content, content_type = sheet_bytes(sheet, file_format)
    filename = export_filename(
        run=run, kind=kind, file_format=file_format, households=len(lines), total=total
    )
    return content, filename, content_type
