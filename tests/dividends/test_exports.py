"""The bank transfer list and the public notice: columns, snapshot values, masking,
amounts that add up exactly, the csv byte order mark, and no query per line."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities import services as scoring
from communities.services import Entry
from dividends import run_jobs, services
from dividends.exports import export_run, shares_summary
from dividends.models import DividendRun
from tests import factories
from villages.models import mask_name

YEAR = 2026
FULL_ID = "330482196501181234"
MASKED_ID = "330482********1234"
FULL_ACCOUNT = "6228480011112222333"
BANK_HEADERS = ["户号", "户主姓名", "开户行", "银行账号", "金额", "摘要"]
NOTICE_HEADERS = [
    "户号",
    "户主姓名",
    "身份证号",
    "持股",
    "折算股数",
    "年度积分",
    "一票否决",
    "基本股分红",
    "积分激励",
    "合计",
]


def create_run(world, *, total="1000.00"):
    return services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=YEAR,
        total=Decimal(total),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )


def compute(run, capture):
    with capture(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return run


@pytest.fixture
def computed_run(world, items, django_capture_on_commit_callbacks):
    """A001 (3 shares) scores 85; A002 (2 shares) has a veto item, so no incentive.

    Total 1000.00: base 833.33 (500.00 / 333.33), incentive 166.67 all to A001.
    """
    world.a_east.bank_name = "平湖农商银行当湖支行"
    world.a_east.save()
    day, today = date(YEAR, 3, 10), date(YEAR, 12, 31)
    scoring.score_events_record(
        actor=world.staff_east,
        entries=[Entry(household_id=world.a_east.pk, item_id=items["clean"].pk, occurred_on=day)],
        today=today,
    )
    factories.confirmed_veto(
        actor=world.staff_west,
        confirmer=world.admin,
        household=world.a_west,
        item=items["crime"],
        occurred_on=day,
        today=today,
    )
    return compute(create_run(world), django_capture_on_commit_callbacks)


def read_xlsx(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv(content):
    assert content.startswith(b"\xef\xbb\xbf")
    return [row for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))]


def as_text(value):
    """A cell as text: xlsx numbers come back as floats, csv cells are already text."""
    if value is None:
        return ""
    if isinstance(value, float | int):
        return str(Decimal(str(value)))
    return value


def read(content, file_format):
    """(lines above the header, header, data rows, closing 合计 row or None), as text."""
    rows = read_xlsx(content) if file_format == "xlsx" else read_csv(content)
    rows = [[as_text(value) for value in row] for row in rows]
    header_at = next(index for index, row in enumerate(rows) if row[0] == "户号")
    preamble = [row[0] for row in rows[:header_at]]
    header, *data = rows[header_at:]
    total = data.pop() if data and data[-1][0] == "合计" else None
    return preamble, header, data, total


def money_cells(rows, index):
    return [Decimal(row[index]) for row in rows]


# The bank transfer list


def numbers(row, *indexes):
    """The row with the cells at `indexes` as Decimals (xlsx gives floats, csv text)."""
    return [Decimal(value) if index in indexes else value for index, value in enumerate(row)]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_bank_list_has_full_accounts_and_exact_amounts(computed_run, file_format):
    content, _filename, _content_type = export_run(
        run=computed_run, kind="bank", file_format=file_format
    )

    _preamble, header, rows, total = read(content, file_format)
    assert header == BANK_HEADERS
    assert [numbers(row, 4) for row in rows] == [
        ["A001", "王建国", "平湖农商银行当湖支行", FULL_ACCOUNT, Decimal("666.67"), "2026年度分红"],
        ["A002", "李秀英", "", "", Decimal("333.33"), "2026年度分红"],
    ]
    assert numbers(total, 4) == ["合计", "2户", "", "", Decimal("1000.00"), ""]
    assert sum(money_cells(rows, 4)) == computed_run.total
    if file_format == "csv":  # the fen as computed, the 19-digit account as text
        assert [row[4] for row in rows] == ["666.67", "333.33"]


def test_bank_list_names_cooperative_year_version_creator_and_approver(world, computed_run):
    world.accountant_a.first_name, world.accountant_a.last_name = "会计", "王"
    world.accountant_a.save()
    world.admin.first_name, world.admin.last_name = "主任", "李"
    world.admin.save()
    computed = read(export_run(run=computed_run, kind="bank", file_format="csv")[0], "csv")[0]
    services.dividend_run_approve(actor=world.admin, run=computed_run)

    for file_format in ("xlsx", "csv"):
        preamble = read(
            export_run(run=computed_run, kind="bank", file_format=file_format)[0], file_format
        )[0]
        text = "\n".join(preamble)
        assert preamble[0] == "甲村股份经济合作社2026年度分红银行代发清单"
        assert (
            "合作社：甲村股份经济合作社（COOPA）；年度：2026；分红方案第1版；状态：已审批" in text
        )
        assert (
            f"制表：{world.accountant_a.get_full_name()}；审批：{world.admin.get_full_name()}（"
            in text
        )
        assert "共2户，合计1,000.00元" in text
    assert "审批：未审批" in "\n".join(computed)
    assert "未审批（仅供核对" in "\n".join(computed)


def test_bank_list_xlsx_is_fit_for_the_bank(computed_run):
    content, filename, content_type = export_run(run=computed_run, kind="bank", file_format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value == "户号")

    assert filename == "COOPA_2026年度分红_v1_银行代发_2户_1000.00元.xlsx"
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sheet.freeze_panes == f"A{header_row + 1}"  # the header stays in view
    assert all(cell.font.bold for cell in sheet[header_row])
    amounts = [sheet.cell(row=row, column=5) for row in range(header_row + 1, sheet.max_row + 1)]
    assert [cell.data_type for cell in amounts] == ["n", "n", "n"]  # Excel can sum them
    assert {cell.number_format for cell in amounts} == {"#,##0.00"}
    accounts = sheet.cell(row=header_row + 1, column=4)
    assert (accounts.data_type, accounts.value) == ("s", FULL_ACCOUNT)
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEF"}
    assert widths["C"] >= 20 and widths["D"] >= len(FULL_ACCOUNT)  # bank and account readable
    assert min(widths.values()) >= 8


def test_csv_export_is_utf8_with_bom(computed_run):
    content, filename, content_type = export_run(run=computed_run, kind="bank", file_format="csv")

    assert content[:3] == b"\xef\xbb\xbf"
    assert "王建国" in content.decode("utf-8-sig")
    assert b"\r\n" in content
    assert filename.endswith(".csv")
    assert content_type == "text/csv; charset=utf-8"


@pytest.mark.parametrize("kind", ["bank", "notice"])
def test_export_reads_the_snapshot_not_the_live_household(world, computed_run, kind):
    day = date(YEAR, 12, 1)
    before = export_run(run=computed_run, kind=kind, file_format="csv", notice_from=day)[0]
    world.a_east.head_name = "王新名"
    world.a_east.head_id_number = "330482198001011236"
    world.a_east.bank_name = "别的银行"
    world.a_east.bank_account = "6200000000000000001"
    world.a_east.save()

    after = export_run(run=computed_run, kind=kind, file_format="csv", notice_from=day)[0]

    assert after == before
    assert "王新名" not in after.decode("utf-8-sig")
    assert "6200000000000000001" not in after.decode("utf-8-sig")


def test_sum_of_a_larger_bank_list_is_exactly_the_total(
    world, standard, django_capture_on_commit_callbacks
):
    for number in range(3, 10):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            number=f"A{number:03d}",
            head_name=f"测试户{number}",
            bank_account=f"62284800000000{number:05d}",
            shares={"RK": str(number % 4 + 1)},
        )
    run = compute(create_run(world, total="561600.00"), django_capture_on_commit_callbacks)

    for file_format in ("xlsx", "csv"):
        _preamble, _header, rows, total = read(
            export_run(run=run, kind="bank", file_format=file_format)[0], file_format
        )
        assert len(rows) == 9
        assert sum(money_cells(rows, 4)) == Decimal("561600.00") == Decimal(total[4])


# The public notice


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_public_notice_masks_names_and_id_numbers(computed_run, file_format):
    content, filename, _content_type = export_run(
        run=computed_run, kind="notice", file_format=file_format
    )

    _preamble, header, rows, totals = read(content, file_format)
    assert header == NOTICE_HEADERS
    numeric = (4, 5, 7, 8, 9)
    assert [numbers(row, *numeric) for row in rows] == [
        numbers(
            ["A001", "王*国", MASKED_ID, "人口股3", "3", "85", "否", "500", "166.67", "666.67"],
            *numeric,
        ),
        numbers(
            ["A002", "李*英", "", "人口股2", "2", "60", "是", "333.33", "0", "333.33"], *numeric
        ),
    ]
    assert numbers(totals, *(4, 7, 8, 9)) == numbers(
        ["合计", "2户", "", "", "5", "", "", "833.33", "166.67", "1000.00"], 4, 7, 8, 9
    )
    if file_format == "csv":  # amounts with two decimals, the score with one
        assert rows[0][5:] == ["85.0", "否", "500.00", "166.67", "666.67"]
    assert filename == f"COOPA_2026年度分红_v1_公示.{file_format}"


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_public_notice_has_title_period_and_contact(world, computed_run, file_format):
    world.coop_a.notice_contact = "王会计 0573-85000000"
    world.coop_a.notice_days = 10
    world.coop_a.save()

    content = export_run(
        run=computed_run, kind="notice", file_format=file_format, notice_from=date(2027, 1, 25)
    )[0]

    preamble = read(content, file_format)[0]
    assert preamble[0] == "甲村股份经济合作社2026年度股权分红+善治积分公示"
    assert preamble[1] == "公示期：2027年1月25日至2027年2月3日（10天）"
    assert "可分配总额1,000.00元" in preamble[2]
    assert "有一票否决项的户不发积分激励" in preamble[2]
    assert (
        preamble[3]
        == "如有异议，请在公示期内向甲村股份经济合作社反映。联系人：王会计 0573-85000000"
    )


def test_public_notice_contact_defaults_to_the_accountant_and_period_to_today(
    world, computed_run, monkeypatch
):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda: date(2027, 3, 1))
    preamble = read(export_run(run=computed_run, kind="notice", file_format="csv")[0], "csv")[0]

    assert preamble[1] == "公示期：2027年3月1日至2027年3月7日（7天）"
    assert preamble[3].endswith(f"联系人：{world.accountant_a.get_username()}")


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_public_notice_shows_no_veto_when_the_run_did_not_apply_it(
    world, items, django_capture_on_commit_callbacks, file_format
):
    """Finding 7: A002 has a veto item, but the run was computed with the veto off."""
    factories.confirmed_veto(  # a reason, a photo and a second person, as the ledger takes it
        actor=world.staff_west,
        confirmer=world.admin,
        household=world.a_west,
        item=items["crime"],
        occurred_on=date(YEAR, 3, 10),
        today=date(YEAR, 12, 31),
    )
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=YEAR,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
        parameters={"veto": False},
    )
    run = compute(run, django_capture_on_commit_callbacks)
    assert run.lines.get(household=world.a_west).incentive_amount > 0

    preamble, _header, rows, _total = read(
        export_run(run=run, kind="notice", file_format=file_format)[0], file_format
    )

    assert [row[6] for row in rows] == ["否", "否"]
    assert "本次分红未启用一票否决" in preamble[2]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_weighted_shares_are_exact_and_the_total_is_their_sum(
    world, standard, django_capture_on_commit_callbacks, file_format
):
    """Finding 7: 1.5 shares × weight 0.3333 = 0.49995, not 0.5000 (half even to 4 places)."""
    from villages.models import ShareClass

    ShareClass.objects.create(
        cooperative=world.coop_a, code="NL", name="农龄股", weight=Decimal("0.3333")
    )
    for number, quantity in (("A003", "1.5"), ("A004", "0.15")):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            number=number,
            shares={"NL": quantity},
        )
    run = compute(create_run(world), django_capture_on_commit_callbacks)

    _preamble, _header, rows, total = read(
        export_run(run=run, kind="notice", file_format=file_format)[0], file_format
    )

    shown = {row[0]: Decimal(row[4]) for row in rows}
    assert shown == {
        "A001": Decimal("3"),
        "A002": Decimal("2"),
        "A003": Decimal("0.49995"),
        "A004": Decimal("0.049995"),
    }
    assert Decimal(total[4]) == sum(shown.values()) == Decimal("5.549945")
    if file_format == "xlsx":
        sheet = openpyxl.load_workbook(
            io.BytesIO(export_run(run=run, kind="notice", file_format="xlsx")[0])
        ).active
        formats = {cell.number_format for cell in sheet["E"] if isinstance(cell.value, float | int)}
        assert formats == {"#,##0.00####"}


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_public_notice_never_shows_full_personal_data(computed_run, file_format):
    content = export_run(run=computed_run, kind="notice", file_format=file_format)[0]
    preamble, header, rows, total = read(content, file_format)
    text = "\n".join([*preamble, *(",".join(row) for row in [header, *rows, total])])

    assert FULL_ID not in text
    assert FULL_ACCOUNT not in text
    assert "2333" not in text  # not even the masked account: the notice has no bank data
    assert "王建国" not in text
    assert "李秀英" not in text


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王建国", "王*国"),
        ("王五", "王*"),
        ("欧阳建国", "欧*国"),
        ("王", "*"),
        ("", ""),
        (" 李秀英 ", "李*英"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_shares_summary_drops_trailing_zeros():
    assert shares_summary({"人口股": "3.00", "农龄股": "2.50"}) == "人口股3；农龄股2.5"


# Which runs, and how many queries


@pytest.mark.parametrize("status", ["queued", "running", "failed", "draft"])
def test_only_computed_or_approved_runs_are_exported(world, standard, status):
    run = create_run(world)
    DividendRun.objects.filter(pk=run.pk).update(status=status)

    with pytest.raises(ValidationError):
        export_run(run=run, kind="bank", file_format="xlsx")


def test_an_approved_run_is_exported(world, computed_run):
    services.dividend_run_approve(actor=world.supervisor_a, run=computed_run)

    content = export_run(run=computed_run, kind="bank", file_format="csv")[0]

    assert "666.67" in content.decode("utf-8-sig")


@pytest.mark.parametrize(("kind", "file_format"), [("bank", "pdf"), ("payroll", "csv")])
def test_unknown_kind_or_format_is_refused(computed_run, kind, file_format):
    with pytest.raises(ValidationError):
        export_run(run=computed_run, kind=kind, file_format=file_format)


@pytest.mark.parametrize("kind", ["bank", "notice"])
def test_query_count_does_not_grow_with_lines(
    world, standard, django_capture_on_commit_callbacks, kind
):
    small = compute(create_run(world), django_capture_on_commit_callbacks)
    for number in range(3, 23):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.west,
            number=f"A{number:03d}",
            shares={"RK": "1"},
        )
    large = compute(create_run(world), django_capture_on_commit_callbacks)
    assert large.household_count == 22

    counts = []
    for run in (small, large):
        with CaptureQueriesContext(connection) as queries:
            export_run(run=run, kind=kind, file_format="xlsx")
        counts.append(len(queries))

    # The run and the lines; the notice also reads the share classes' order.
    assert counts[0] == counts[1] <= (3 if kind == "notice" else 2)


def test_an_approved_run_s_notice_counts_its_period_from_the_approval_like_the_notice_page(
    world, computed_run, monkeypatch
):
    """Exported weeks later, the file still prints the 公示 period the notice page shows."""
    from django.utils import timezone

    from dividends import notice

    services.dividend_run_approve(actor=world.supervisor_a, run=computed_run)
    computed_run.refresh_from_db()
    first, last = notice.notice_window(computed_run)
    real_localdate = timezone.localdate
    later = real_localdate() + timedelta(days=40)
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None: later if value is None else real_localdate(value)
    )
    preamble = read(export_run(run=computed_run, kind="notice", file_format="csv")[0], "csv")[0]

    assert preamble[1].startswith(f"公示期：{first.year}年{first.month}月{first.day}日至")
    assert f"{last.year}年{last.month}月{last.day}日" in preamble[1]
