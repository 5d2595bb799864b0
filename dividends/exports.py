"""The two lists a dividend run is exported as (format in docs/import-formats.md, 分红导出格式).

- 银行代发清单 (`BankTransferResource`): what the bank imports to pay. It is for the
  accountant and the bank only, so it carries the FULL bank account. One row per
  household and nothing else: no totals row, because banks import every row. The
  number of households and the total go into the file name instead.
- 分红公示 (`PublicNoticeResource`): what is posted in the village. Names and ID
  numbers are masked, no bank data; it ends with one 合计 row.

Both read only the line's snapshot (what was paid on), never the live household, and
export over one queryset with no query per line. Amounts are text with two decimals
("1234.50"), so Excel shows and keeps them exactly. Column headers are a file format
(like the import headers), so they are fixed Chinese, not translated.

`export_run` does not write the audit trail: its callers know who exported and call
`services.dividend_run_exported`.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources

from villages.models import mask_name

from .models import DividendLine, DividendRun

KINDS = ("bank", "notice")
FORMATS = ("xlsx", "csv")
EXPORTABLE_STATUSES = (DividendRun.Status.COMPUTED, DividendRun.Status.APPROVED)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
TOTAL_LABEL = "合计"


def plain_number(value):
    """Decimal as plain text without trailing zeros: 3.0000 -> "3", 2.50 -> "2.5"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def money_text(value):
    return f"{Decimal(value):.2f}"


def shares_summary(shares):
    """{"人口股": "3", "农龄股": "2.50"} -> "人口股3；农龄股2.5" (in the snapshot's order)."""
    return "；".join(f"{name}{plain_number(quantity)}" for name, quantity in (shares or {}).items())


def annual_summary(year):
    return f"{year}年度分红"


class _LineResource(resources.ModelResource):
    """Export-only resources over DividendLine; `year` fills the bank list's 摘要."""

    def __init__(self, *, year=None, **kwargs):
        super().__init__(**kwargs)
        self.year = year


class BankTransferResource(_LineResource):
    """银行代发清单: one row per household, full account, amount as exact text."""

    household_number = fields.Field(attribute="household_number", column_name="户号")
    head_name = fields.Field(attribute="head_name", column_name="户主姓名")
    bank_name = fields.Field(attribute="bank_name", column_name="开户行")
    # Full on purpose: the bank pays into it. This list is for the accountant only.
    bank_account = fields.Field(attribute="bank_account", column_name="银行账号")
    amount = fields.Field(column_name="金额")
    summary = fields.Field(column_name="摘要")

    class Meta:
        model = DividendLine
        fields = export_order = [
            "household_number",
            "head_name",
            "bank_name",
            "bank_account",
            "amount",
            "summary",
        ]

    def dehydrate_amount(self, line):
        return money_text(line.total_amount)

    def dehydrate_summary(self, line):
        # `year` is given by export_run; without it the run is read (select_related it).
        return annual_summary(self.year if self.year is not None else line.run.year)


class PublicNoticeResource(_LineResource):
    """分红公示: masked names and ID numbers, the figures of the computation, a 合计 row."""

    household_number = fields.Field(attribute="household_number", column_name="户号")
    head_name = fields.Field(column_name="户主姓名")
    id_number = fields.Field(attribute="head_id_number_masked", column_name="身份证号")
    shares = fields.Field(column_name="持股")
    weighted_shares = fields.Field(column_name="折算股数")
    score = fields.Field(column_name="年度积分")
    vetoed = fields.Field(column_name="一票否决")
    base_amount = fields.Field(column_name="基本股分红")
    incentive_amount = fields.Field(column_name="积分激励")
    total_amount = fields.Field(column_name="合计")

    class Meta:
        model = DividendLine
        fields = export_order = [
            "household_number",
            "head_name",
            "id_number",
            "shares",
            "weighted_shares",
            "score",
            "vetoed",
            "base_amount",
            "incentive_amount",
            "total_amount",
        ]

    def dehydrate_head_name(self, line):
        return mask_name(line.head_name)

    def dehydrate_shares(self, line):
        return shares_summary(line.shares)

    def dehydrate_weighted_shares(self, line):
        return plain_number(line.weighted_shares)

    def dehydrate_score(self, line):
        return f"{line.score:.1f}"

    def dehydrate_vetoed(self, line):
        return "是" if line.vetoed else "否"

    def dehydrate_base_amount(self, line):
        return money_text(line.base_amount)

    def dehydrate_incentive_amount(self, line):
        return money_text(line.incentive_amount)

    def dehydrate_total_amount(self, line):
        return money_text(line.total_amount)

    def after_export(self, queryset, dataset, **kwargs):
        """One closing 合计 row: households, weighted shares and the three amounts."""
        columns = {header: index for index, header in enumerate(dataset.headers)}

        def column_sum(header):
            return sum((Decimal(row[columns[header]]) for row in dataset), Decimal("0"))

        row = [""] * len(dataset.headers)
        row[columns["户号"]] = TOTAL_LABEL
        row[columns["户主姓名"]] = f"{dataset.height}户"
        row[columns["折算股数"]] = plain_number(column_sum("折算股数"))
        for header in ("基本股分红", "积分激励", "合计"):
            row[columns[header]] = money_text(column_sum(header))
        dataset.append(row)


RESOURCES = {"bank": BankTransferResource, "notice": PublicNoticeResource}


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


def export_filename(*, run, kind, file_format, households, total):
    stem = f"{run.cooperative.code}_{run.year}年度分红_v{run.version}"
    if kind == "bank":
        return f"{stem}_银行代发_{households}户_{money_text(total)}元.{file_format}"
    return f"{stem}_公示.{file_format}"


def export_run(*, run, kind, file_format):
    """(content bytes, file name, content type) of a run's bank list or public notice.

    Only computed or approved runs are exported. The caller checks the user's scope
    and records the export (`services.dividend_run_exported`).
    """
    if kind not in KINDS:
        raise ValidationError(_("未知的导出类型：%(kind)s") % {"kind": kind})
    if file_format not in FORMATS:
        raise ValidationError(_("未知的导出格式：%(format)s") % {"format": file_format})
    run = DividendRun.objects.select_related("cooperative").get(pk=run.pk)
    if run.status not in EXPORTABLE_STATUSES:
        raise ValidationError(
            _("只有已计算或已审批的方案才能导出（当前状态：%(status)s）")
            % {"status": run.get_status_display()}
        )
    resource = RESOURCES[kind](year=run.year)
    dataset = resource.export(queryset=run_lines(run))
    households = dataset.height - (1 if kind == "notice" else 0)
    total = sum(
        (Decimal(value) for value in dataset["金额" if kind == "bank" else "合计"][:households]),
        Decimal("0"),
    )
    dataset.title = f"{run.year}年度分红" + ("银行代发" if kind == "bank" else "公示")
    if file_format == "xlsx":
        # escape: a cell starting with "=" must never become a formula.
        content = dataset.export("xlsx", escape=True)
    else:
        # UTF-8 with a byte order mark: Excel then opens the Chinese text correctly.
        content = dataset.export("csv").encode("utf-8-sig")
    filename = export_filename(
        run=run, kind=kind, file_format=file_format, households=households, total=total
    )
    return content, filename, CONTENT_TYPES[file_format]
