"""The bank transfer list and the public notice: columns, snapshot values, masking,
amounts that add up exactly, the csv byte order mark, and no query per line."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities import services as scoring
from communities.services import Entry
from dividends import services
from dividends.exports import export_run, shares_summary
from dividends.models import DividendRun
from tests import factories
from villages.models import mask_name

YEAR = 2026
FULL_ID = "330482196501011234"
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
        services.dividend_run_enqueue(run=run)
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


def read(content, file_format):
    rows = read_xlsx(content) if file_format == "xlsx" else read_csv(content)
    # openpyxl reads empty cells as None, csv as "".
    return [["" if value is None else value for value in row] for row in rows]


# The bank transfer list


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_bank_list_has_full_accounts_and_exact_amounts(computed_run, file_format):
    content, _filename, _content_type = export_run(
        run=computed_run, kind="bank", file_format=file_format
    )

    header, *rows = read(content, file_format)
    assert header == BANK_HEADERS
    assert rows == [
        ["A001", "王建国", "平湖农商银行当湖支行", FULL_ACCOUNT, "666.67", "2026年度分红"],
        ["A002", "李秀英", "", "", "333.33", "2026年度分红"],
    ]
    # Text cells: the bank sees the 19-digit account and the fen exactly as computed.
    assert sum(Decimal(row[4]) for row in rows) == computed_run.total


def test_bank_list_has_no_totals_row_and_names_total_in_the_filename(computed_run):
    content, filename, content_type = export_run(run=computed_run, kind="bank", file_format="xlsx")

    assert filename == "COOPA_2026年度分红_v1_银行代发_2户_1000.00元.xlsx"
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert [row[0] for row in read_xlsx(content)] == ["户号", "A001", "A002"]


def test_csv_export_is_utf8_with_bom(computed_run):
    content, filename, content_type = export_run(run=computed_run, kind="bank", file_format="csv")

    assert content[:3] == b"\xef\xbb\xbf"
    assert "王建国" in content.decode("utf-8-sig")
    assert filename.endswith(".csv")
    assert content_type == "text/csv; charset=utf-8"


@pytest.mark.parametrize("kind", ["bank", "notice"])
def test_export_reads_the_snapshot_not_the_live_household(world, computed_run, kind):
    before = export_run(run=computed_run, kind=kind, file_format="csv")[0]
    world.a_east.head_name = "王新名"
    world.a_east.head_id_number = "330482198001011236"
    world.a_east.bank_name = "别的银行"
    world.a_east.bank_account = "6200000000000000001"
    world.a_east.save()

    after = export_run(run=computed_run, kind=kind, file_format="csv")[0]

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
        _header, *rows = read(
            export_run(run=run, kind="bank", file_format=file_format)[0], file_format
        )
        assert len(rows) == 9
        assert sum(Decimal(row[4]) for row in rows) == Decimal("561600.00")


# The public notice


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_public_notice_masks_names_and_id_numbers(computed_run, file_format):
    content, filename, _content_type = export_run(
        run=computed_run, kind="notice", file_format=file_format
    )

    header, *rows, totals = read(content, file_format)
    assert header == NOTICE_HEADERS
    assert rows == [
        ["A001", "王*国", MASKED_ID, "人口股3", "3", "85.0", "否", "500.00", "166.67", "666.67"],
        ["A002", "李*英", "", "人口股2", "2", "60.0", "是", "333.33", "0.00", "333.33"],
    ]
    assert totals == ["合计", "2户", "", "", "5", "", "", "833.33", "166.67", "1000.00"]
    assert filename == f"COOPA_2026年度分红_v1_公示.{file_format}"


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_public_notice_never_shows_full_personal_data(computed_run, file_format):
    content = export_run(run=computed_run, kind="notice", file_format=file_format)[0]
    text = "\n".join(",".join(str(value) for value in row) for row in read(content, file_format))

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
    services.dividend_run_approve(actor=world.accountant_a, run=computed_run)

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

    assert counts[0] == counts[1] <= 2
