"""Issue 20, point 6: every date a person reads is the local (Asia/Shanghai) date, and the
share classes of a line keep the classes' own order, on SQLite and on PostgreSQL.

The run is approved at 01:00 Beijing time on 1 February 2027, which is 17:00 UTC on
31 January: the bank list, the notice (file and page), the run page and the statement
all say 1 February, the first day of the 公示.
"""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from dividends import exports, notice
from dividends.exports import export_run
from dividends.models import DividendLine
from tests import factories
from tests.appeals.conftest import APPROVED_ON, approved_run, line

pytestmark = pytest.mark.django_db

ONE_AM = timezone.make_aware(datetime(2027, 2, 1, 1, 0))  # Asia/Shanghai


def preamble(content, file_format):
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    return "\n".join(str(row[0]) for row in rows if row and row[0])


@pytest.fixture
def run(world, monkeypatch):
    assert ONE_AM.astimezone(UTC) == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    monkeypatch.setattr(notice, "today", lambda: APPROVED_ON)
    run = approved_run(world, world.coop_a)
    run.approved_at = ONE_AM
    type(run).objects.filter(pk=run.pk).update(approved_at=ONE_AM)
    line(run, world.a_east)
    return run


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_bank_list_dates_the_approval_on_the_local_day(world, run, file_format):
    bank = preamble(export_run(run=run, kind="bank", file_format=file_format)[0], file_format)
    notice_file = preamble(
        export_run(run=run, kind="notice", file_format=file_format)[0], file_format
    )

    assert "（2027年2月1日）" in bank and "2027年1月31日" not in bank
    assert "公示期：2027年2月1日至2027年2月7日" in notice_file


def test_pages_show_the_local_approval_day(world, run, login):
    client = login(world.admin)
    detail = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    statement = client.get(
        reverse("dividends:statement", args=[run.pk, world.a_east.pk])
    ).content.decode()
    notice_page = client.get(reverse("dividends:notice", args=[run.pk])).content.decode()

    assert "2027-02-01 01:00" in detail and "2027-01-31" not in detail
    assert "2027-02-01 01:00" in statement and "2027-01-31" not in statement
    assert "公示期：2027年2月1日至2027年2月7日" in notice_page
    assert notice.notice_window(run)[0] == APPROVED_ON


# --- Share classes in their own order ----------------------------------------------------


@pytest.fixture
def long_name_first(world, monkeypatch):
    """A cooperative whose first class has the longer name: PostgreSQL's jsonb keeps the
    keys shortest first (人口股 before 农龄股份), SQLite as written."""
    monkeypatch.setattr(notice, "today", lambda: APPROVED_ON)
    coop = factories.cooperative(
        code="ORDER",
        name="丙村股份经济合作社",
        share_classes=(("NL", "农龄股份", "0.5"), ("RK", "人口股", "1")),
    )
    household = factories.household(
        cooperative_=coop, community_=world.east, number="C001", shares={"NL": "2", "RK": "3"}
    )
    run = approved_run(world, coop)
    DividendLine.objects.create(
        run=run,
        household=household,
        household_number=household.number,
        head_name=household.head_name,
        head_id_number_masked="330482********1234",
        community_name=household.community.name,
        bank_name="农商银行",
        bank_account="6228480011112222333",
        shares={"农龄股份": "2", "人口股": "3"},  # as the computation writes it
        weighted_shares=Decimal("4"),
        score=Decimal("90"),
        base_amount=Decimal("800.00"),
        incentive_amount=Decimal("150.00"),
        total_amount=Decimal("950.00"),
    )
    return run, household


def test_the_notice_lists_share_classes_in_their_own_order(world, long_name_first, login):
    run, household = long_name_first
    content = export_run(run=run, kind="notice", file_format="csv")[0].decode("utf-8-sig")
    page = login(world.admin).get(reverse("dividends:notice", args=[run.pk])).content.decode()

    assert "农龄股份2；人口股3" in content
    assert "农龄股份2；人口股3" in page


def test_the_statement_lists_share_classes_in_their_own_order(world, long_name_first, login):
    run, household = long_name_first
    body = (
        login(world.admin)
        .get(reverse("dividends:statement", args=[run.pk, household.pk]))
        .content.decode()
    )
    shares = body[body.index('id="statement-shares"') :]
    assert shares.index("农龄股份") < shares.index("人口股")


def test_unknown_classes_come_last_by_name():
    names = ["农龄股份", "人口股"]
    shares = {"人口股": "3", "旧股": "1", "农龄股份": "2", "A股": "1"}
    assert [name for name, _ in exports.in_class_order(shares, names)] == [
        "农龄股份",
        "人口股",
        "A股",
        "旧股",
    ]
