"""Inspection sheet import (积分检查表导入): the service, the command and the page."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import AuditRecord
from communities.importing import ScoreEventImportError, score_event_import
from communities.models import ScoreEvent
from communities.services import month_close
from tests import factories

HEADER = ["户号", "合作社", "积分项编码", "分值", "日期", "备注"]
URL = reverse("communities:score_event_import")


def xlsx(rows, header=HEADER, name="检查表.xlsx"):
    """An in-memory .xlsx: the header in row 1, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def good_rows():
    return [
        ["A001", "COOPA", "HJ01", None, datetime(2026, 3, 5), "3月检查：庭院整洁"],
        ["B001", "乙村股份经济合作社", "HJ11", 3, "2026-03-06", "楼道堆放杂物"],
        ["A001", "", "CY01", "1.5", date(2026, 4, 2), ""],
    ]


def row(**changes):
    """One good row with some cells changed, by header."""
    cells = dict(zip(HEADER, good_rows()[0], strict=True))
    cells.update(changes)
    return [cells[column] for column in HEADER]


def counts():
    return ScoreEvent.objects.count(), AuditRecord.objects.count()


def refused(world, file, *, community=None, actor=None):
    """Run an import that must fail; check nothing was saved; return the error lines."""
    before = counts()
    with pytest.raises(ScoreEventImportError) as raised:
        score_event_import(
            community=community or world.east, file=file, actor=actor or world.staff_east
        )
    assert counts() == before
    return [str(error) for error in raised.value.errors]


# --- success ---------------------------------------------------------------------------------


def test_import_records_every_row_with_one_audit_record(world, items):
    before = AuditRecord.objects.count()
    result = score_event_import(
        community=world.east, file=xlsx(good_rows()), actor=world.staff_east
    )

    assert (result.events, result.households, result.points) == (3, 2, Decimal("3.5"))
    events = list(ScoreEvent.objects.order_by("id"))
    assert [(e.household, e.item, e.points, e.occurred_on, e.note) for e in events] == [
        (world.a_east, items["clean"], Decimal("5.0"), date(2026, 3, 5), "3月检查：庭院整洁"),
        (world.b_east, items["litter"], Decimal("-3.0"), date(2026, 3, 6), "楼道堆放杂物"),
        (world.a_east, items["volunteer"], Decimal("1.5"), date(2026, 4, 2), ""),
    ]
    assert {(e.community, e.entered_by) for e in events} == {(world.east, world.staff_east)}
    assert len({e.batch for e in events}) == 1
    assert str(events[0].batch) == result.batch

    assert AuditRecord.objects.count() == before + 1
    audit = AuditRecord.objects.latest("id")
    assert (audit.action, audit.actor) == ("score_event.create", world.staff_east)
    assert audit.details["source"] == "import"
    assert audit.details["count"] == 3
    assert sorted(audit.details["events"]) == [e.pk for e in events]


def test_items_by_name_and_optional_columns(world, items):
    """Item name instead of code; no 合作社, 分值 or 备注 column when numbers are unique."""
    file = xlsx(
        [["A001", "志愿服务", datetime(2026, 5, 1)], ["B001", "乱堆乱放", "2026-05-02"]],
        header=["户号", "积分项", "日期"],
    )
    result = score_event_import(community=world.east, file=file, actor=world.staff_east)
    assert result.events == 2
    assert sorted(ScoreEvent.objects.values_list("item__code", "points")) == [
        ("CY01", Decimal("2.0")),
        ("HJ11", Decimal("-5.0")),
    ]


def test_code_and_name_may_both_be_given_when_they_agree(world, items):
    file = xlsx(
        [["A001", "HJ01", "庭院整洁", 2, "2026-05-01"]],
        header=["户号", "积分项编码", "积分项", "分值", "日期"],
    )
    assert score_event_import(community=world.east, file=file, actor=world.staff_east).events == 1


def test_subdistrict_admin_imports_for_any_community(world, items):
    result = score_event_import(
        community=world.west, file=xlsx([row(户号="B002", 合作社="COOPB")]), actor=world.admin
    )
    assert result.events == 1
    assert ScoreEvent.objects.get().entered_by == world.admin


def test_same_number_in_two_cooperatives_needs_the_cooperative(world, items):
    twin = factories.household(cooperative_=world.coop_b, community_=world.east, number="A001")
    errors = refused(world, xlsx([row(合作社=None)]))
    assert errors == [
        "第2行 户号（A列）：东湖社区有2户户号为“A001”（乙村股份经济合作社、甲村股份经济合作社），"
        "请在“合作社”列填写合作社编码或名称"
    ]
    score_event_import(
        community=world.east, file=xlsx([row(合作社="COOPB")]), actor=world.staff_east
    )
    assert ScoreEvent.objects.get().household == twin


# --- refused files: exact messages, nothing saved ---------------------------------------------


def test_not_an_xlsx_file(world, items):
    file = io.BytesIO(b"\xd0\xcf\x11\xe0 an old .xls or anything else")
    assert refused(world, file) == ["文件：无法读取，请上传 Excel 2007 及以上版本的 .xlsx 文件"]


@pytest.mark.parametrize(
    "file",
    [xlsx([], header=None), xlsx([]), xlsx([[None, None], ["", " "]])],
    ids=["empty", "header-only", "blank-rows"],
)
def test_empty_file(world, items, file):
    assert refused(world, file) == ["文件：没有数据行（第1行为表头，数据从第2行开始）"]


@pytest.mark.parametrize(
    "header, expected",
    [
        (["户号", "积分项编码", "分值"], ["第1行：缺少必填列“日期”"]),
        (["户号", "分值", "日期"], ["第1行：缺少必填列“积分项编码”（或“积分项”）"]),
        (["积分项编码", "日期"], ["第1行：缺少必填列“户号”"]),
        (
            [*HEADER, "户主姓名"],
            [
                "第1行 户主姓名（G列）：未知的列，积分检查表的列为："
                "户号、合作社、积分项编码、积分项、分值、日期、备注"
            ],
        ),
        ([*HEADER, "日期"], ["第1行 日期（G列）：列名重复，与E列相同"]),
    ],
    ids=["no-date", "no-item", "no-number", "unknown", "duplicate"],
)
def test_header_problems(world, items, header, expected):
    assert refused(world, xlsx([row()], header=header)) == expected


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"户号": ""}, "第2行 户号（A列）：户号不能为空"),
        ({"户号": "A999"}, "第2行 户号（A列）：东湖社区没有甲村股份经济合作社户号为“A999”的股东户"),
        # A household of the cooperative that lives in another community.
        ({"户号": "A002"}, "第2行 户号（A列）：东湖社区没有甲村股份经济合作社户号为“A002”的股东户"),
        ({"户号": "B002", "合作社": ""}, "第2行 户号（A列）：东湖社区没有户号为“B002”的股东户"),
        ({"合作社": "COOPX"}, "第2行 合作社（B列）：没有名称或编码为“COOPX”的合作社"),
        (
            {"积分项编码": "XX99"},
            "第2行 积分项编码（C列）：甲村股份经济合作社 2026 年采用的积分标准“撤建制村统一标准”"
            "中没有编码为“XX99”的积分项",
        ),
        ({"积分项编码": ""}, "第2行 积分项编码（C列）：积分项编码不能为空"),
        (
            {"积分项编码": "HJ02"},
            "第2行 积分项编码（C列）：“垃圾分类示范户”须上传照片，不能通过 Excel 导入，"
            "请在批量录入页面录入并上传照片",
        ),
        ({"分值": "五"}, "第2行 分值（D列）：分值应为数字，“五”不是数字"),
        ({"分值": -5}, "第2行 分值（D列）：分值应填正数，加分还是扣分由积分项决定"),
        ({"分值": 0}, "第2行 分值（D列）：分值应填正数，加分还是扣分由积分项决定"),
        ({"日期": None}, "第2行 日期（E列）：日期不能为空"),
        (
            {"日期": "2026/03/05"},
            "第2行 日期（E列）：日期“2026/03/05”不正确，应为日期格式的单元格或 YYYY-MM-DD 文本（如 2026-03-05）",
        ),
        (
            {"日期": "2026-02-30"},
            "第2行 日期（E列）：日期“2026-02-30”不正确，应为日期格式的单元格或 YYYY-MM-DD 文本（如 2026-03-05）",
        ),
        (
            {"日期": 46000},
            "第2行 日期（E列）：日期“46000”不正确，应为日期格式的单元格或 YYYY-MM-DD 文本（如 2026-03-05）",
        ),
        ({"日期": "2099-01-01"}, "第2行 日期（E列）：发生日期 2099-01-01 晚于今天"),
        (
            {"日期": "2025-06-01"},
            "第2行 积分项编码（C列）：甲村股份经济合作社 在 2025 年没有已发布的积分标准",
        ),
        ({"备注": "很长" * 128}, "第2行 备注（F列）：备注不能超过255个字符"),
        # Found by score_events_record, mapped back to the cell.
        ({"分值": 11}, "第2行 分值（D列）：分值 11 超出“庭院整洁”允许的范围 1.0–10.0"),
        ({"分值": "2.25"}, "第2行 分值（D列）：分值应为数字，最多一位小数"),
    ],
)
def test_row_problems(world, items, changes, expected):
    good = good_rows()[1]
    assert refused(world, xlsx([good, row(**changes)])) == [expected.replace("第2行", "第3行")]


def test_household_number_typed_as_a_number_gets_a_hint(world, items):
    factories.household(cooperative_=world.coop_a, community_=world.east, number="0017")
    assert refused(world, xlsx([row(户号=17)])) == [
        "第2行 户号（A列）：东湖社区没有甲村股份经济合作社户号为“17”的股东户"
        "（户号单元格是数字格式，开头的0会丢失，请设置为文本格式）"
    ]


def test_code_and_name_that_disagree(world, items):
    file = xlsx(
        [["A001", "HJ01", "志愿服务", "2026-05-01"]],
        header=["户号", "积分项编码", "积分项", "日期"],
    )
    assert refused(world, file) == [
        "第2行 积分项（C列）：积分项编码“HJ01”是“庭院整洁”，与本列的“志愿服务”不一致"
    ]


def test_item_name_not_in_the_standard_and_both_item_cells_empty(world, items):
    file = xlsx(
        [["A001", None, "扫雪", "2026-05-01"], ["A001", None, None, "2026-05-01"]],
        header=["户号", "积分项编码", "积分项", "日期"],
    )
    assert refused(world, file) == [
        "第2行 积分项（C列）：甲村股份经济合作社 2026 年采用的积分标准“撤建制村统一标准”中没有名为“扫雪”的积分项",
        "第3行 积分项编码（B列）：积分项编码和积分项不能都为空",
    ]


def test_cap_over_several_rows_is_reported_on_the_row_that_crosses_it(world, items):
    rows = [row(分值=6), row(分值=3), row(分值=2)]  # 庭院整洁: at most 10 a month
    assert refused(world, xlsx(rows)) == [
        "第4行 分值（D列）：“庭院整洁”本月累计将达 11 分，超过每月上限 10.0"
    ]


def test_cap_with_the_default_points_and_no_points_column(world, items):
    file = xlsx(
        [["A001", "HJ01", f"2026-03-0{day}"] for day in (1, 2, 3)],
        header=["户号", "积分项编码", "日期"],
    )
    assert refused(world, file) == [
        "第4行 积分项编码（B列）：“庭院整洁”本月累计将达 15.0 分，超过每月上限 10.0"
    ]


def test_closed_month(world, items):
    month_close(actor=world.staff_east, community=world.east, month=date(2026, 3, 1))
    assert refused(world, xlsx([row()])) == [
        "第2行 日期（E列）：东湖社区 2026-03 已关账，不能再录入"
    ]


def test_every_problem_of_every_row_is_listed_in_row_order(world, items):
    rows = [
        row(分值=6),
        row(户号="A999", 日期="soon"),
        row(分值=6),  # with row 2 over the monthly cap: found by the ledger rules
        row(积分项编码="HJ02"),
    ]
    assert refused(world, xlsx(rows)) == [
        "第3行 户号（A列）：东湖社区没有甲村股份经济合作社户号为“A999”的股东户",
        "第3行 日期（E列）：日期“soon”不正确，应为日期格式的单元格或 YYYY-MM-DD 文本（如 2026-03-05）",
        "第4行 分值（D列）：“庭院整洁”本月累计将达 12 分，超过每月上限 10.0",
        "第5行 积分项编码（C列）：“垃圾分类示范户”须上传照片，不能通过 Excel 导入，"
        "请在批量录入页面录入并上传照片",
    ]


def test_actor_who_may_not_score_the_community(world, items):
    before = counts()
    for actor in (world.staff_west, world.accountant_a, world.villager_a):
        with pytest.raises(PermissionDenied):
            score_event_import(community=world.east, file=xlsx(good_rows()), actor=actor)
    assert counts() == before


# --- the command --------------------------------------------------------------------------------


def save(tmp_path, rows, name="检查表.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows).getvalue())
    return str(path)


def test_command_imports(world, items, tmp_path):
    out = io.StringIO()
    call_command(
        "import_score_events",
        save(tmp_path, good_rows()),
        "--community",
        "EAST",
        "--actor",
        "staff_east",
        stdout=out,
    )
    assert out.getvalue().strip() == "已导入 3 条积分记录，涉及 2 户，合计 +3.5 分（东湖社区）"
    assert ScoreEvent.objects.count() == 3
    assert AuditRecord.objects.filter(action="score_event.create").count() == 1


def test_command_lists_errors_on_stderr_and_fails(world, items, tmp_path):
    err = io.StringIO()
    before = counts()
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_score_events",
            save(tmp_path, [row(), row(分值="x"), row(户号="A999")]),
            "--community=EAST",
            "--actor=staff_east",
            stderr=err,
        )
    assert str(raised.value) == "积分检查表有 2 处错误，未导入任何积分记录"
    assert err.getvalue().splitlines() == [
        "第3行 分值（D列）：分值应为数字，“x”不是数字",
        "第4行 户号（A列）：东湖社区没有甲村股份经济合作社户号为“A999”的股东户",
    ]
    assert counts() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--community=NOPE", "--actor=staff_east"], "没有编码为“NOPE”的社区"),
        (["--community=EAST", "--actor=nobody"], "没有用户名为“nobody”的用户"),
        (
            ["--community=EAST", "--actor=staff_west"],
            "只有东湖社区的工作人员或街道管理员可以导入该社区的积分",
        ),
        (
            ["--community=EAST", "--actor=acc_a"],
            "只有东湖社区的工作人员或街道管理员可以导入该社区的积分",
        ),
    ],
)
def test_command_refuses_bad_arguments(world, items, tmp_path, args, message):
    before = counts()
    with pytest.raises(CommandError, match=message):
        call_command("import_score_events", save(tmp_path, good_rows()), *args)
    assert counts() == before


def test_command_missing_file_and_required_actor(world, items, tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        call_command(
            "import_score_events", str(tmp_path / "nope.xlsx"), "--community=EAST", "--actor=admin"
        )
    with pytest.raises(CommandError, match="--actor"):
        call_command("import_score_events", save(tmp_path, good_rows()), "--community=EAST")


# --- the page -------------------------------------------------------------------------------------


def upload(rows=None, name="检查表.xlsx"):
    return SimpleUploadedFile(name, xlsx(rows if rows is not None else good_rows()).getvalue())


def test_page_offers_only_the_staff_members_communities(world, items, login):
    response = login(world.staff_east).get(URL)
    assert response.status_code == 200
    assert list(response.context["form"].fields["community"].queryset) == [world.east]
    response = login(world.admin).get(URL)
    assert list(response.context["form"].fields["community"].queryset) == [world.east, world.west]


@pytest.mark.parametrize("who", ["accountant_a", "villager_a"])
def test_page_refuses_accountants_and_villagers(world, items, login, who):
    client = login(getattr(world, who))
    assert client.get(URL).status_code == 403
    before = counts()
    response = client.post(URL, {"community": world.east.pk, "file": upload()})
    assert response.status_code == 403
    assert counts() == before


def test_page_needs_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_page_imports_and_reports_success(world, items, login):
    client = login(world.staff_east)
    response = client.post(URL, {"community": world.east.pk, "file": upload()}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "已导入 3 条积分记录，涉及 2 户，合计 +3.5 分（东湖社区）" in response.content.decode()
    assert ScoreEvent.objects.count() == 3
    assert AuditRecord.objects.filter(action="score_event.create").count() == 1


def test_page_shows_every_error_and_saves_nothing(world, items, login):
    client = login(world.staff_east)
    before = counts()
    response = client.post(
        URL, {"community": world.east.pk, "file": upload([row(), row(日期="3月5日")])}
    )
    assert response.status_code == 200
    assert [str(error) for error in response.context["import_errors"]] == [
        "第3行 日期（E列）：日期“3月5日”不正确，应为日期格式的单元格或 YYYY-MM-DD 文本（如 2026-03-05）"
    ]
    page = response.content.decode()
    assert "发现 1 处错误，未导入任何积分记录" in page
    assert "第3行" in page and "（E列）" in page
    assert counts() == before


def test_page_refuses_a_community_outside_the_staff_members_scope(world, items, login):
    """staff_west posts east's id by hand: refused, nothing saved."""
    client = login(world.staff_west)
    before = counts()
    response = client.post(URL, {"community": world.east.pk, "file": upload()})
    assert response.status_code == 200
    assert response.context["form"].errors["community"]
    assert not response.context["import_errors"]
    assert counts() == before


def test_page_not_an_xlsx(world, items, login):
    client = login(world.staff_east)
    response = client.post(
        URL,
        {"community": world.east.pk, "file": SimpleUploadedFile("x.xlsx", b"not a workbook")},
    )
    assert [str(e) for e in response.context["import_errors"]] == [
        "文件：无法读取，请上传 Excel 2007 及以上版本的 .xlsx 文件"
    ]


def test_page_sample_download(world, login):
    response = login(world.staff_east).get(URL, {"sample": "1"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"PK"


# --- the shipped sample ---------------------------------------------------------------------------


def test_the_shipped_sample_imports_after_the_demo(db):
    """docs/samples/score_events.xlsx is DONGHU's first micro-grid in the demo data.

    The demo plans each household's events from its cooperative code and number only,
    so these households get the same events as in the full demo, caps included.
    """
    from django.conf import settings

    from communities.demo import seed_scoring_demo
    from communities.models import Community

    village = factories.village(code="NANHETOU", name="南河头村", dissolved_on=date(2019, 6, 28))
    nanhetou = factories.cooperative(code="NANHETOU", village_=village)
    donghu = Community.objects.create(town=factories.town(), code="DONGHU", name="东湖社区")
    for number in ("0001", "0007", "0008", "0009", "0011", "0018", "0023", "0028"):
        factories.household(cooperative_=nanhetou, community_=donghu, number=number)
    factories.user(username="admin", role="subdistrict_admin")
    staff = factories.user(username="staff_donghu", role="community_staff", communities=[donghu])
    seed_scoring_demo()

    sample = settings.BASE_DIR / "docs" / "samples" / "score_events.xlsx"
    result = score_event_import(community=donghu, file=sample, actor=staff)
    assert (result.events, result.households) == (8, 8)


def test_command_prints_the_total_with_its_decimal_as_documented(world, items, tmp_path):
    """Issue 20, point 11: a whole total prints as docs/import-formats.md shows it (+4.0)."""
    out = io.StringIO()
    rows = [
        ["A001", "COOPA", "CY01", "2", date(2026, 4, 2), ""],
        ["B001", "COOPB", "CY01", "2", date(2026, 4, 3), ""],
    ]
    call_command(
        "import_score_events",
        save(tmp_path, rows),
        "--community",
        "EAST",
        "--actor",
        "staff_east",
        stdout=out,
    )
    assert out.getvalue().strip() == "已导入 2 条积分记录，涉及 2 户，合计 +4.0 分（东湖社区）"


def test_a_veto_needs_a_photo_so_it_cannot_be_imported(world, items):
    # One "needs a photo" rule (issue 21, point 3): a veto always needs one.
    assert refused(world, xlsx([row(积分项编码="ZF01", 分值=None, 备注="判刑")])) == [
        "第2行 积分项编码（C列）：“违法犯罪”须上传照片，不能通过 Excel 导入，"
        "请在批量录入页面录入并上传照片"
    ]
