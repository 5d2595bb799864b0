"""Shareholder register import: the service, the command, the task, the page and the admin."""

import base64
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import AuditRecord, User
from communities.models import Community
from pinghu_points.celery import app as celery_app
from tests import factories
from villages.importing import RegisterImportError, household_register_import
from villages.models import Household, ImportJob, Member, ShareClass, ShareMovement
from villages.tasks import import_households

HEADER = ["户号", "户主姓名", "身份证号", "联系电话", "居住社区", "微网格", "人口股", "农龄股"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def valid_id(first_17):
    """Append the GB 11643 check character (written out here, not taken from the code under test)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS, strict=True))
    return first_17 + "10X98765432"[total % 11]


ID_1 = valid_id("33048219620315001")
ID_2 = valid_id("33048219680722002")
ID_3 = valid_id("33048219550109003")


def xlsx(rows, header=HEADER, name="名册.xlsx"):
    """An in-memory .xlsx: the header in row 1, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
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
        ["A101", "沈建明", ID_1, "13805730001", "东湖社区", "东一网格", 4, "3.5"],
        ["A102", "陆美华", ID_2, None, "WEST", "W1", "2", None],
        ["A103", "顾国强", ID_3, "", "东湖社区", "", 0, 1.25],
    ]


def row(**changes):
    """One good row with some cells changed, by header."""
    cells = dict(zip(HEADER, good_rows()[0], strict=True))
    cells.update(changes)
    return [cells[column] for column in HEADER]


@pytest.fixture
def register(world):
    """Cooperative A with the two share classes of the format: 人口股 (RK) and 农龄股 (NL)."""
    ShareClass.objects.create(cooperative=world.coop_a, code="NL", name="农龄股", weight="0.5")
    return world


def counts():
    return (
        Household.objects.count(),
        Member.objects.count(),
        ShareMovement.objects.count(),
        AuditRecord.objects.count(),
    )


def refused(world, file, **kwargs):
    """Run an import that must fail; check nothing was saved; return the error lines."""
    before = counts()
    with pytest.raises(RegisterImportError) as raised:
        household_register_import(
            cooperative=world.coop_a, file=file, actor=world.accountant_a, **kwargs
        )
    assert counts() == before
    return [str(error) for error in raised.value.errors]


# --- success ---------------------------------------------------------------------------------


def test_import_creates_households_members_shares_and_one_audit_record(register):
    before = AuditRecord.objects.count()
    result = household_register_import(
        cooperative=register.coop_a,
        file=xlsx(good_rows()),
        actor=register.accountant_a,
        effective_on=date(2024, 1, 1),
    )

    assert (result.households, result.members, result.share_movements) == (3, 3, 4)
    first = Household.objects.get(cooperative=register.coop_a, number="A101")
    assert (first.head_name, first.head_id_number, first.phone) == ("沈建明", ID_1, "13805730001")
    assert (first.community, first.micro_grid) == (register.east, register.grid_east)
    # Community and micro-grid matched by code as well as by name.
    second = Household.objects.get(cooperative=register.coop_a, number="A102")
    assert (second.community, second.micro_grid) == (register.west, register.grid_west)
    assert second.phone == ""
    assert Household.objects.get(cooperative=register.coop_a, number="A103").micro_grid is None

    head = Member.objects.get(household=first)
    assert (head.name, head.id_number, head.relation, head.is_head) == (
        "沈建明",
        ID_1,
        "户主",
        True,
    )

    movements = ShareMovement.objects.filter(reason="名册导入").select_related(
        "household", "share_class"
    )
    # Empty and zero share cells make no ledger line; quantities are exact decimals.
    assert {(m.household.number, m.share_class.name): m.quantity for m in movements} == {
        ("A101", "人口股"): Decimal("4.00"),
        ("A101", "农龄股"): Decimal("3.50"),
        ("A102", "人口股"): Decimal("2.00"),
        ("A103", "农龄股"): Decimal("1.25"),
    }
    for movement in movements:
        assert movement.kind == ShareMovement.Kind.ISSUE
        assert movement.effective_on == date(2024, 1, 1)
        assert movement.recorded_by == register.accountant_a

    assert AuditRecord.objects.count() == before + 1
    audit = AuditRecord.objects.latest("id")
    assert (audit.action, audit.actor, audit.actor_username) == (
        "household.import",
        register.accountant_a,
        "acc_a",
    )
    assert audit.object_repr == str(register.coop_a)
    assert audit.details == {
        "file": "名册.xlsx",
        "effective_on": "2024-01-01",
        "households": 3,
        "members": 3,
        "share_movements": 4,
    }


def test_effective_date_defaults_to_today(register):
    household_register_import(
        cooperative=register.coop_a, file=xlsx(good_rows()), actor=register.accountant_a
    )
    dates = set(
        ShareMovement.objects.filter(reason="名册导入").values_list("effective_on", flat=True)
    )
    assert dates == {timezone.localdate()}


def test_optional_bank_columns_are_imported(register):
    header = [*HEADER, "开户行", "银行账号"]
    file = xlsx([row() + ["平湖农商银行", "6228 4800 0000 0000 011"]], header=header)
    household_register_import(cooperative=register.coop_a, file=file, actor=register.accountant_a)
    household = Household.objects.get(cooperative=register.coop_a, number="A101")
    assert (household.bank_name, household.bank_account) == ("平湖农商银行", "6228480000000000011")


def test_query_count_does_not_grow_with_rows(register):
    def queries_for(count, prefix):
        rows = [row(户号=f"{prefix}{n:03d}", 身份证号=ID_1) for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            household_register_import(
                cooperative=register.coop_a, file=xlsx(rows), actor=register.accountant_a
            )
        return len(captured)

    assert queries_for(2, "S") == queries_for(40, "L")


def test_the_shipped_sample_imports_cleanly(register):
    one = Community.objects.create(town=factories.town(), code="SAMPLE1", name="示例社区一")
    two = Community.objects.create(town=factories.town(), code="SAMPLE2", name="示例社区二")
    for community, names in ((one, ["示例网格一", "示例网格二"]), (two, ["示例网格三"])):
        for name in names:
            factories.micro_grid(community_=community, name=name)
    result = household_register_import(
        cooperative=register.coop_a,
        file=settings.BASE_DIR / "docs" / "samples" / "households.xlsx",
        actor=register.accountant_a,
    )
    assert (result.households, result.members) == (10, 10)


def test_a_valid_file_is_accepted_whatever_its_name(register, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(xlsx(good_rows()).getvalue())
    result = household_register_import(
        cooperative=register.coop_a, file=path, actor=register.accountant_a
    )
    assert result.households == 3


# --- refusals: each with its exact message, and nothing saved -------------------------------


def test_missing_required_columns_are_all_reported(register):
    header = ["户号", "户主姓名", "联系电话", "居住社区", "人口股"]
    file = xlsx([["A101", "沈建明", "", "东湖社区", 1]], header=header)
    assert refused(register, file) == [
        "第1行：缺少必填列“身份证号”",
        "第1行：缺少必填列“微网格”",
        "第1行：缺少必填列“农龄股”",
    ]


def test_unknown_column(register):
    header = [*HEADER, "股金"]
    assert refused(register, xlsx([row() + [5]], header=header)) == [
        "第1行 股金（I列）：未知的列，既不是名册的列，也不是本合作社的股种",
    ]


def test_share_class_of_another_cooperative_is_an_unknown_column(register):
    ShareClass.objects.create(cooperative=register.coop_b, code="JT", name="集体股")
    header = [*HEADER, "集体股"]
    assert refused(register, xlsx([row() + [5]], header=header)) == [
        "第1行 集体股（I列）：未知的列，既不是名册的列，也不是本合作社的股种",
    ]


def test_duplicate_header(register):
    header = [*HEADER, "户号"]
    assert refused(register, xlsx([row() + ["A999"]], header=header)) == [
        "第1行 户号（I列）：列名重复，与A列相同",
    ]


def test_duplicate_household_number_in_the_file_names_the_first_row(register):
    rows = [row(), row(户主姓名="陆美华"), row(户号="A102"), row()]
    assert refused(register, xlsx(rows)) == [
        "第3行 户号（A列）：户号“A101”与第2行重复",
        "第5行 户号（A列）：户号“A101”与第2行重复",
    ]


def test_household_number_already_registered(register):
    assert refused(register, xlsx([row(户号="A001")])) == [
        "第2行 户号（A列）：户号“A001”已在本合作社登记",
    ]


def test_household_number_of_another_cooperative_is_free(register):
    household_register_import(
        cooperative=register.coop_a, file=xlsx([row(户号="B001")]), actor=register.accountant_a
    )
    assert Household.objects.filter(number="B001").count() == 2


def test_missing_household_number(register):
    assert refused(register, xlsx([row(户号=None)])) == ["第2行 户号（A列）：户号不能为空"]


def test_missing_head_name(register):
    assert refused(register, xlsx([row(户主姓名="  ")])) == [
        "第2行 户主姓名（B列）：户主姓名不能为空"
    ]


def test_unknown_community(register):
    assert refused(register, xlsx([row(居住社区="南湖社区", 微网格="")])) == [
        "第2行 居住社区（E列）：没有名称或编码为“南湖社区”的社区",
    ]


def test_missing_community(register):
    assert refused(register, xlsx([row(居住社区=None)])) == [
        "第2行 居住社区（E列）：居住社区不能为空",
    ]


def test_micro_grid_of_another_community(register):
    assert refused(register, xlsx([row(居住社区="西湖社区", 微网格="东一网格")])) == [
        "第2行 微网格（F列）：社区“西湖社区”中没有名称或编码为“东一网格”的微网格",
    ]


def test_ambiguous_micro_grid_name(register):
    factories.micro_grid(community_=register.east, code="E2", name="东一网格")
    assert refused(register, xlsx([row()])) == [
        "第2行 微网格（F列）：社区“东湖社区”中有多个名为“东一网格”的微网格，请填写微网格编码",
    ]


def test_non_numeric_shares(register):
    assert refused(register, xlsx([row(人口股="三")])) == [
        "第2行 人口股（G列）：股数应为数字，“三”不是数字",
    ]


def test_negative_shares(register):
    assert refused(register, xlsx([row(农龄股=-1)])) == ["第2行 农龄股（H列）：股数不能为负数"]


def test_shares_with_more_than_two_decimals(register):
    assert refused(register, xlsx([row(人口股="1.005")])) == [
        "第2行 人口股（G列）：股数最多保留两位小数",
    ]


def test_trailing_zeros_are_not_extra_decimals(register):
    household_register_import(
        cooperative=register.coop_a, file=xlsx([row(人口股="1.500")]), actor=register.accountant_a
    )
    assert ShareMovement.objects.get(reason="名册导入", share_class__code="RK").quantity == Decimal(
        "1.5"
    )


def test_malformed_id_number(register):
    assert refused(register, xlsx([row(身份证号="33048219620315001Y")])) == [
        "第2行 身份证号（C列）：身份证号格式不正确，应为18位：前17位为数字，最后一位为数字或X",
    ]


def test_id_number_with_full_width_digits(register):
    full_width = ID_1.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert refused(register, xlsx([row(身份证号=full_width)])) == [
        "第2行 身份证号（C列）：身份证号格式不正确，应为18位：前17位为数字，最后一位为数字或X",
    ]


def test_id_number_with_a_wrong_check_character(register):
    wrong = ID_1[:17] + ("0" if ID_1[17] != "0" else "1")
    assert refused(register, xlsx([row(身份证号=wrong)])) == [
        "第2行 身份证号（C列）：身份证号校验位不正确",
    ]


def test_id_number_with_an_impossible_birth_date(register):
    assert refused(register, xlsx([row(身份证号=valid_id("33048219620230001"))])) == [
        "第2行 身份证号（C列）：身份证号中的出生日期不正确",
    ]


def test_id_number_typed_as_a_number(register):
    assert refused(register, xlsx([row(身份证号=int(ID_1[:17] + "0"))])) == [
        "第2行 身份证号（C列）：身份证号须设置为文本格式，数字格式会丢失末几位",
    ]


def test_missing_id_number(register):
    assert refused(register, xlsx([row(身份证号="")])) == [
        "第2行 身份证号（C列）：身份证号不能为空"
    ]


def test_lowercase_x_in_id_number_is_stored_as_capital_x(register):
    # The standard's own example number, whose check character is X.
    assert valid_id("11010519491231002") == "11010519491231002X"
    file = xlsx([row(身份证号="11010519491231002x")])
    household_register_import(cooperative=register.coop_a, file=file, actor=register.accountant_a)
    household = Household.objects.get(cooperative=register.coop_a, number="A101")
    assert household.head_id_number == "11010519491231002X"


def test_too_long_text(register):
    assert refused(register, xlsx([row(户号="A" * 33)])) == ["第2行 户号（A列）：不能超过32个字符"]


def test_header_only_file(register):
    assert refused(register, xlsx([])) == ["文件：没有数据行（第1行为表头，数据从第2行开始）"]


def test_blank_workbook(register):
    assert refused(register, xlsx([], header=[])) == [
        "文件：没有数据行（第1行为表头，数据从第2行开始）"
    ]


def test_not_an_xlsx_file_even_with_an_xlsx_name(register):
    file = io.BytesIO("户号,户主姓名\nA101,沈建明\n".encode())
    file.name = "名册.xlsx"
    assert refused(register, file) == ["文件：无法读取，请上传 Excel 2007 及以上版本的 .xlsx 文件"]


def test_a_zip_that_is_not_a_workbook(register):
    file = io.BytesIO()
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert refused(register, file) == ["文件：无法读取，请上传 Excel 2007 及以上版本的 .xlsx 文件"]


def test_every_bad_row_is_reported_in_order(register):
    rows = [
        row(户号="A101", 人口股="x"),
        row(户号="A102", 身份证号=ID_2),  # good row between bad ones
        row(户号=None, 户主姓名=None, 居住社区="无此社区", 农龄股=-2),
    ]
    assert refused(register, xlsx(rows)) == [
        "第2行 人口股（G列）：股数应为数字，“x”不是数字",
        "第4行 户号（A列）：户号不能为空",
        "第4行 户主姓名（B列）：户主姓名不能为空",
        "第4行 居住社区（E列）：没有名称或编码为“无此社区”的社区",
        "第4行 农龄股（H列）：股数不能为负数",
    ]


def test_error_objects_carry_row_column_and_message(register):
    with pytest.raises(RegisterImportError) as raised:
        household_register_import(
            cooperative=register.coop_a,
            file=xlsx([row(人口股=-1)]),
            actor=register.accountant_a,
        )
    error = raised.value.errors[0]
    assert (error.row, error.column, error.column_letter, error.message) == (
        2,
        "人口股",
        "G",
        "股数不能为负数",
    )
    assert str(raised.value) == (
        "股东名册有 1 处错误，未导入任何数据：\n第2行 人口股（G列）：股数不能为负数"
    )


def test_empty_rows_are_skipped(register):
    rows = [row(), [None] * len(HEADER), row(户号="A102")]
    result = household_register_import(
        cooperative=register.coop_a, file=xlsx(rows), actor=register.accountant_a
    )
    assert result.households == 2


# --- management command ----------------------------------------------------------------------


def test_command_imports_and_prints_counts(register, tmp_path, capsys):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx(good_rows()).getvalue())
    call_command(
        "import_households",
        str(path),
        "--cooperative",
        "COOPA",
        "--effective-on",
        "2024-01-01",
        "--actor",
        "acc_a",
    )
    out = capsys.readouterr().out
    assert "已导入 3 户、3 名户主、4 条股权登记（甲村股份经济合作社）" in out
    assert (
        ShareMovement.objects.filter(reason="名册导入", effective_on=date(2024, 1, 1)).count() == 4
    )
    assert (
        AuditRecord.objects.filter(action="household.import", actor=register.accountant_a).count()
        == 1
    )


def test_command_prints_every_error_and_fails(register, tmp_path, capsys):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([row(人口股=-1), row(户号="A001")]).getvalue())
    before = counts()
    with pytest.raises(CommandError, match="股东名册有 2 处错误，未导入任何数据"):
        call_command("import_households", str(path), "--cooperative", "COOPA")
    assert capsys.readouterr().err.splitlines() == [
        "第2行 人口股（G列）：股数不能为负数",
        "第3行 户号（A列）：户号“A001”已在本合作社登记",
    ]
    assert counts() == before


def test_command_unknown_cooperative(register, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx(good_rows()).getvalue())
    with pytest.raises(CommandError, match="没有编码为“NOPE”的合作社"):
        call_command("import_households", str(path), "--cooperative", "NOPE")


# --- Celery task (eager) ---------------------------------------------------------------------


@pytest.fixture
def eager(monkeypatch):
    """Run tasks in-process even when a broker is configured for the worker tests."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def test_task_imports_in_eager_mode(register, eager):
    content = base64.b64encode(xlsx(good_rows()).getvalue()).decode()
    outcome = import_households.delay("COOPA", "名册.xlsx", content, register.accountant_a.pk).get()
    assert outcome == {"ok": True, "households": 3, "members": 3, "share_movements": 4}
    assert AuditRecord.objects.get(action="household.import").details["file"] == "名册.xlsx"


def test_task_returns_the_errors(register, eager):
    content = base64.b64encode(xlsx([row(人口股=-1)]).getvalue()).decode()
    before = counts()
    outcome = import_households.delay("COOPA", "名册.xlsx", content, register.accountant_a.pk).get()
    assert outcome == {
        "ok": False,
        "errors": [
            {
                "row": 2,
                "column": "人口股",
                "column_letter": "G",
                "message": "股数不能为负数",
                "text": "第2行 人口股（G列）：股数不能为负数",
            }
        ],
    }
    assert counts() == before


# --- browser page ----------------------------------------------------------------------------


def upload(rows=None):
    return SimpleUploadedFile(
        "名册.xlsx",
        xlsx(good_rows() if rows is None else rows).getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def confirm_preview(client, url, response):
    """The second step of a page import: the preview was shown, nothing was written; the
    confirmation writes it."""
    assert response.status_code == 200, response
    job = response.context["preview_job"]
    assert job.status == ImportJob.Status.PREVIEW
    return client.post(url, {"preview_job": job.pk, "confirm": "on"})


def test_page_imports_for_the_accountant(register, login):
    client = login(register.accountant_a)
    page = client.get(reverse("villages:household_import"))
    assert page.status_code == 200
    assert reverse("villages:household_import_sample") in page.content.decode()

    url = reverse("villages:household_import")
    before = counts()
    response = client.post(
        url, {"cooperative": register.coop_a.pk, "file": upload(), "effective_on": "2024-01-01"}
    )
    assert counts() == before  # the preview writes nothing
    assert not AuditRecord.objects.filter(action="household.import").exists()
    assert 'id="import-preview"' in response.content.decode()
    response = confirm_preview(client, url, response)
    assert response.status_code == 302
    assert response["Location"] == reverse("villages:household_list")
    assert Household.objects.filter(cooperative=register.coop_a, number="A101").exists()
    audit = AuditRecord.objects.get(action="household.import")
    assert audit.actor == register.accountant_a


def test_page_shows_every_error_in_a_table(register, login):
    client = login(register.accountant_a)
    before = counts()
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload([row(人口股=-1), row(户号="A001")])},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "发现 2 处错误，未导入任何数据" in html
    assert "第2行" in html and "人口股（G列）" in html and "股数不能为负数" in html
    assert "户号“A001”已在本合作社登记" in html
    assert counts() == before


def test_accountant_cannot_import_into_another_cooperative(register, login):
    client = login(register.accountant_b)
    before = counts()
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["cooperative"]
    assert counts() == before


@pytest.mark.parametrize("username", ["staff_east", "villager_a"])
def test_page_is_forbidden_to_staff_and_villagers(register, login, username):
    client = login(User.objects.get(username=username))
    assert client.get(reverse("villages:household_import")).status_code == 403
    before = counts()
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload()},
    )
    assert response.status_code == 403
    assert counts() == before


def test_page_requires_login(client):
    response = client.get(reverse("villages:household_import"))
    assert response.status_code == 302


def test_sample_download(register, login):
    response = login(register.accountant_a).get(reverse("villages:household_import_sample"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"PK"


# --- admin -----------------------------------------------------------------------------------


def test_admin_import_view(register, login):
    client = login(register.admin)
    url = reverse("admin:villages_household_import_register")
    assert client.get(url).status_code == 200
    response = client.post(url, {"cooperative": register.coop_a.pk, "file": upload()})
    response = confirm_preview(client, url, response)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:villages_household_changelist")
    assert Household.objects.filter(cooperative=register.coop_a, number="A101").exists()
    assert AuditRecord.objects.filter(action="household.import", actor=register.admin).count() == 1


def test_admin_import_view_shows_errors(register, login):
    client = login(register.admin)
    response = client.post(
        reverse("admin:villages_household_import_register"),
        {"cooperative": register.coop_a.pk, "file": upload([row(户号="A001")])},
    )
    assert response.status_code == 200
    assert "户号“A001”已在本合作社登记" in response.content.decode()


def test_admin_change_list_links_to_the_import(register, login):
    superuser = factories.user(username="root", is_staff=True, is_superuser=True)
    response = login(superuser).get(reverse("admin:villages_household_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:villages_household_import_register") in html
    assert "导入股东名册" in html
    assert 'class="export_link"' in html  # import-export's own tool is kept


# --- paid as written (issue 9, finding 8) ------------------------------------------------------


def xlsx_text_cells(rows, header):
    """Like `xlsx`, but every text cell is a string cell even if it starts with "=" (what
    Excel stores for a cell typed as '=…), so the import sees the text itself."""
    file = xlsx(rows, header=header)
    workbook = openpyxl.load_workbook(file)
    for sheet_row in workbook.active.iter_rows(min_row=2):
        for cell in sheet_row:
            if cell.data_type == "f":
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "名册.xlsx"
    return buffer


FORMULA_NAMES = ['=HYPERLINK("http://x","点我")', "==1+1", "@SUM(A1)", "-2+3", "+SUM(1,2)"]
FORMULA_MESSAGE = "不能以 = + - @、制表符或回车开头（表格软件会把它当成公式）"
BANK_HEADER = [*HEADER, "开户行", "银行账号"]


@pytest.mark.parametrize("name", FORMULA_NAMES)
def test_a_head_name_starting_with_a_formula_character_is_refused(register, name):
    file = xlsx_text_cells([row(户主姓名=name)], BANK_HEADER[: len(HEADER)])

    assert refused(register, file) == [f"第2行 户主姓名（B列）：{FORMULA_MESSAGE}"]


@pytest.mark.parametrize("name", FORMULA_NAMES)
def test_a_bank_name_starting_with_a_formula_character_is_refused(register, name):
    file = xlsx_text_cells([row() + [name, "6228480000000000011"]], BANK_HEADER)

    assert refused(register, file) == [f"第2行 开户行（I列）：{FORMULA_MESSAGE}"]


@pytest.mark.parametrize(
    "account", ["=1+1", "6228-4800-0000", "62284800X", "６２２８４８", "+6228480000"]
)
def test_a_bank_account_that_is_not_all_digits_is_refused(register, account):
    file = xlsx_text_cells([row() + ["平湖农商银行", account]], BANK_HEADER)

    assert refused(register, file) == ["第2行 银行账号（J列）：银行账号只能由数字组成"]


def test_names_with_markup_or_rare_characters_are_kept_as_written(register):
    file = xlsx(
        [row(户主姓名="𠀀王<b>", 户号="A201") + ["农商行=平湖", "6228480000000000011"]], BANK_HEADER
    )

    household_register_import(cooperative=register.coop_a, file=file, actor=register.accountant_a)

    household = Household.objects.get(cooperative=register.coop_a, number="A201")
    assert (household.head_name, household.bank_name) == ("𠀀王<b>", "农商行=平湖")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("head_name", "=1+1", FORMULA_MESSAGE),
        ("bank_name", "@SUM(A1)", FORMULA_MESSAGE),
        ("bank_account", "=1+1", "银行账号只能由数字组成"),
    ],
)
def test_the_admin_form_refuses_what_the_import_refuses(world, rf, field, value, message):
    from django.contrib import admin

    model_admin = admin.site._registry[Household]
    request = rf.get("/")
    request.user = world.admin
    form_class = model_admin.get_form(request, world.a_east)
    data = {
        "cooperative": world.coop_a.pk,
        "number": "A001",
        "head_name": "王建国",
        "head_id_number": world.a_east.head_id_number,
        "community": world.east.pk,
        "bank_account": "6228480011112222333",
        field: value,
    }

    form = form_class(data, instance=world.a_east)

    assert not form.is_valid()
    assert form.errors[field] == [message]


# --- Issue 24.4: a preview that is not confirmed keeps no file ---------------------------


def _previewed(client, register):
    url = reverse("villages:household_import")
    response = client.post(url, {"cooperative": register.coop_a.pk, "file": upload()})
    job = response.context["preview_job"]
    assert job.status == ImportJob.Status.PREVIEW and bytes(job.content) != b""
    return url, job


def test_a_cancelled_preview_writes_nothing_and_removes_its_file(register, login):
    client = login(register.accountant_a)
    before = counts()
    url, job = _previewed(client, register)
    response = client.post(url, {"preview_job": job.pk, "cancel": "1"})
    assert response.status_code == 302 and response["Location"] == url
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and bytes(job.content) == b""
    # A confirmation posted afterwards (a second tab) imports nothing.
    again = client.post(url, {"preview_job": job.pk, "confirm": "on"}, follow=True)
    assert "这份预览已过期或已取消" in again.content.decode()
    assert counts() == before
    assert not AuditRecord.objects.filter(action="household.import").exists()


def test_an_expired_preview_is_cancelled_and_its_file_removed(register, login, settings):
    from villages import import_jobs

    client = login(register.accountant_a)
    before = counts()
    url, job = _previewed(client, register)
    hours = settings.IMPORT_PREVIEW_SECONDS // 3600
    assert (
        f"{hours} 小时后这份预览自动取消"
        in client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    )
    # Not yet expired: the sweep leaves it alone.
    assert import_jobs.import_previews_expire() == 0
    later = timezone.now() + timedelta(seconds=settings.IMPORT_PREVIEW_SECONDS + 1)
    assert import_jobs.import_previews_expire(now=later) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and bytes(job.content) == b""
    assert job.result["households"] == 3  # the counts stay, the file does not
    client.post(url, {"preview_job": job.pk, "confirm": "on"})
    assert counts() == before


def test_a_preview_past_its_time_is_not_confirmed(register, login, settings):
    """Confirmed before the hourly sweep reached it: refused all the same, file removed."""
    client = login(register.accountant_a)
    before = counts()
    url, job = _previewed(client, register)
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.IMPORT_PREVIEW_SECONDS + 5)
    )
    response = client.post(url, {"preview_job": job.pk, "confirm": "on"}, follow=True)
    assert "这份预览已过期或已取消" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and bytes(job.content) == b""
    assert counts() == before


def test_a_new_upload_replaces_the_earlier_preview(register, login):
    client = login(register.accountant_a)
    _url, first = _previewed(client, register)
    _url, second = _previewed(client, register)
    first.refresh_from_db()
    assert first.status == ImportJob.Status.CANCELLED and bytes(first.content) == b""
    assert second.status == ImportJob.Status.PREVIEW


def test_the_expiry_is_on_celery_beat(settings):
    from villages.tasks import import_previews_expire

    entry = settings.CELERY_BEAT_SCHEDULE["expire-import-previews"]
    assert entry["task"] == import_previews_expire.name
