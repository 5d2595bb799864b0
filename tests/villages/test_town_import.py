"""The town spreadsheet (issue 22, point 5; docs/towns.md, "The town spreadsheet"): one
.xlsx of four sheets sets up a town, all or nothing, every error with its sheet, row and
column, a preview first; the sample imports unchanged."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.models import AuditRecord, User
from communities.models import Community, MicroGrid, StaffMembership
from tests import factories
from villages.models import Cooperative, ImportJob, Town, Village
from villages.town_import import TOWN_FORMAT, TownImportError, town_import
from villages.town_samples import town_sample

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheets(**changes):
    """The rows of a small valid town, by sheet; `changes` replaces whole sheets."""
    rows = {
        "镇街道": [["编码", "名称", "类型"], ["GUANGCHEN", "广陈镇", "镇"]],
        "村": [
            ["村编码", "村名", "撤建制日期", "合作社编码", "合作社名称"],
            ["SHANTANG", "山塘村", "", "SHANTANG-COOP", "山塘村股份经济合作社"],
            ["LONGMENG", "龙萌村", "2020-01-01", "LONGMENG-COOP", "龙萌村股份经济合作社"],
        ],
        "社区": [
            ["社区编码", "社区名称", "类型", "所属村编码", "社区电话"],
            ["SHANTANG-CW", "山塘村村委会", "村委会", "SHANTANG", ""],
            ["GC-URBAN", "广陈社区", "城市社区", "", "0573-85000000"],
        ],
        "微网格": [
            ["社区编码", "微网格编码", "微网格名称", "网格长", "网格长电话", "网格长账号"],
            ["SHANTANG-CW", "13", "13组", "沈国强", "13900000013", ""],
            ["GC-URBAN", "1", "1组", "", "", ""],
        ],
    }
    rows.update(changes)
    return rows


def xlsx(tables, name="广陈镇.xlsx"):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in tables.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def counts():
    return (
        Town.objects.count(),
        Village.objects.count(),
        Cooperative.objects.count(),
        Community.objects.count(),
        MicroGrid.objects.count(),
        StaffMembership.objects.count(),
    )


def refused(tables):
    before = counts()
    with pytest.raises(TownImportError) as caught:
        town_import(file=xlsx(tables))
    assert counts() == before
    return [str(error) for error in caught.value.errors]


@pytest.fixture
def admin(db):
    """Towns are set up by the city (`may_set_up_towns`)."""
    return factories.user(
        username="cityadmin", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True
    )


def test_a_valid_file_sets_up_the_town_with_everything_in_it(admin):
    preview = town_import(file=xlsx(sheets()), actor=admin)

    town = Town.objects.get(code="GUANGCHEN")
    assert (town.name, town.kind) == ("广陈镇", Town.Kind.TOWN)
    shantang = Village.objects.get(code="SHANTANG", town=town)
    assert shantang.dissolved_on is None and shantang.cooperative.name == "山塘村股份经济合作社"
    assert str(Village.objects.get(code="LONGMENG").dissolved_on) == "2020-01-01"
    committee = Community.objects.get(code="SHANTANG-CW")
    assert (committee.town, committee.kind, committee.village) == (
        town,
        Community.Kind.VILLAGE_COMMITTEE,
        shantang,
    )
    urban = Community.objects.get(code="GC-URBAN")
    assert (urban.kind, urban.village, urban.phone) == (Community.Kind.URBAN, None, "0573-85000000")
    grid = MicroGrid.objects.get(community=committee, code="13")
    assert (grid.name, grid.leader_name, grid.leader_phone) == ("13组", "沈国强", "13900000013")
    assert (preview.villages, preview.cooperatives, preview.communities, preview.micro_grids) == (
        2,
        2,
        2,
        2,
    )
    record = AuditRecord.objects.get(action="town.import")
    assert record.object_id == str(town.pk) and record.details["micro_grids"] == 2


def test_the_sample_imports_unchanged_and_again_as_a_second_sample_town(admin):
    for expected in ("示例镇", "示例镇2"):
        _name, content = town_sample()
        file = io.BytesIO(content)
        file.name = "sample.xlsx"
        town_import(file=file, actor=admin)
        assert Town.objects.filter(name=expected).exists()
    town = Town.objects.get(name="示例镇")
    assert town.villages.count() == 3 and town.communities.count() == 2
    assert MicroGrid.objects.filter(community__town=town).count() == 4
    assert sorted(TOWN_FORMAT) == sorted(load_workbook(io.BytesIO(content)).sheetnames)


def test_an_error_in_the_last_row_writes_nothing(admin):
    tables = sheets()
    tables["微网格"].append(["GC-URBAN", "2", "", "", "", ""])
    errors = refused(tables)
    assert errors == ["第4行 工作表“微网格” 微网格名称（C列）：微网格名称不能为空"]
    assert not Town.objects.filter(code="GUANGCHEN").exists()


@pytest.mark.parametrize(
    ("sheet", "row", "expected"),
    [
        # a code or name that another town holds (a conflict)
        (
            "社区",
            ["EXISTING", "新社区", "城市社区", "", ""],
            "第4行 工作表“社区” 社区编码（A列）：“EXISTING”已被当湖街道使用（编码和名称全市唯一）",
        ),
        (
            "村",
            ["NEW", "老村", "", "NEW-COOP", "新合作社"],
            "第4行 工作表“村” 村名（B列）：“老村”已被当湖街道使用（编码和名称全市唯一）",
        ),
        # twice in the file
        (
            "村",
            ["SHANTANG", "另一村", "", "X-COOP", "另一合作社"],
            "第4行 工作表“村” 村编码（A列）：“SHANTANG”与第2行重复",
        ),
        (
            "村",
            ["NEW", "新村", "2019-02-30", "NEW-COOP", "新合作社"],
            "第4行 工作表“村” 撤建制日期（C列）：日期不正确，请写成 YYYY-MM-DD，如 2019-06-30",
        ),
        (
            "社区",
            ["X", "某社区", "街道社区", "", ""],
            "第4行 工作表“社区” 类型（C列）：类型只能是“城市社区”或“村委会”",
        ),
        (
            "社区",
            ["X", "某村委会", "村委会", "LONGMENG", ""],
            "第4行 工作表“社区” 所属村编码（D列）：村“龙萌村”已撤建制，没有村委会；其农户住在城市社区",
        ),
        (
            "社区",
            ["X", "某村委会", "村委会", "NOWHERE", ""],
            "第4行 工作表“社区” 所属村编码（D列）：“村”表中没有村编码为“NOWHERE”的村",
        ),
        (
            "社区",
            ["X", "某社区", "城市社区", "SHANTANG", ""],
            "第4行 工作表“社区” 所属村编码（D列）：城市社区不属于某个村，请留空",
        ),
        (
            "微网格",
            ["NOWHERE", "1", "1组", "", "", ""],
            "第4行 工作表“微网格” 社区编码（A列）：“社区”表中没有社区编码为“NOWHERE”的社区",
        ),
        (
            "微网格",
            ["GC-URBAN", "1", "又一个1组", "", "", ""],
            "第4行 工作表“微网格” 微网格编码（B列）：社区“GC-URBAN”的微网格编码“1”与第3行重复",
        ),
        (
            "微网格",
            ["GC-URBAN", "2", "2组", "", "12345", ""],
            "第4行 工作表“微网格” 网格长电话（E列）：电话应为11位手机号，或带区号的固定电话，"
            "如0573-85000000",
        ),
        (
            "微网格",
            ["GC-URBAN", "2", "+HYPERLINK(1)", "", "", ""],
            "第4行 工作表“微网格” 微网格名称（C列）：不能以 = + - @、制表符或回车开头"
            "（表格软件会把它当成公式）",
        ),
        (
            "微网格",
            ["GC-URBAN", "2", "2组", "", "", "nobody"],
            "第4行 工作表“微网格” 网格长账号（F列）：没有用户名为“nobody”的有效账号",
        ),
        (
            "微网格",
            ["GC-URBAN", "2", "2组", "", "", "acc"],
            "第4行 工作表“微网格” 网格长账号（F列）：账号“acc”不是社区工作人员账号："
            "网格长账号只能是社区工作人员",
        ),
        (
            "微网格",
            ["GC-URBAN", "2", "2组", "", "", "busy"],
            "第4行 工作表“微网格” 网格长账号（F列）：账号“busy”已是当湖街道旧社区的工作人员，"
            "不能再做新镇（街道）的网格长",
        ),
    ],
)
def test_each_kind_of_error_names_its_sheet_row_and_column(admin, sheet, row, expected):
    old = factories.community(code="EXISTING", name="旧社区")
    factories.village(code="OLD", name="老村")
    factories.user(username="acc", role=User.Role.ACCOUNTANT, cooperative_=factories.cooperative())
    factories.user(username="busy", role=User.Role.COMMUNITY_STAFF, communities=[old])
    tables = sheets()
    tables[sheet].append(row)
    assert refused(tables) == [expected]


def test_the_town_itself_must_be_new_and_one(admin):
    factories.town(code="GUANGCHEN", name="另一个镇")
    tables = sheets(
        **{"镇街道": [["编码", "名称", "类型"], ["GUANGCHEN", "广陈镇", "县"], ["B", "乙", "镇"]]}
    )
    assert refused(tables) == [
        "第2行 工作表“镇街道” 编码（A列）：编码为“GUANGCHEN”的镇（街道）已经存在",
        "第2行 工作表“镇街道” 类型（C列）：类型只能是“镇”或“街道”",
        "第3行 工作表“镇街道” 编码（A列）：只能填一个镇（街道）：每个镇（街道）用一份文件",
    ]


def test_sheets_and_headers_are_checked_before_the_rows(admin):
    tables = sheets()
    del tables["社区"]
    tables["说明"] = [["随便写点"]]
    tables["村"][0] = ["村编码", "村名称", "撤建制日期", "合作社编码", "合作社名称"]
    assert refused(tables) == [
        "文件：未知的工作表“说明”：只能有“镇街道”“村”“社区”“微网格”四个工作表",
        "第1行 工作表“村” 村名称（B列）：未知的列，不是本工作表的列",
        "第1行：工作表“村”：缺少必填列“村名”",
        "文件：缺少工作表“社区”",
    ]


def test_errors_are_in_english_too(admin):
    tables = sheets()
    tables["村"].append(["SHANTANG", "另一村", "", "X-COOP", "另一合作社"])
    with translation.override("en"):
        errors = refused(tables)
    assert len(errors) == 1 and "Row 4" in errors[0] and "村编码" in errors[0], errors


def test_a_formula_cell_is_refused_with_its_sheet_row_and_column(admin):
    tables = sheets()
    tables["微网格"][2][3] = "=1+1"  # openpyxl writes text starting with = as a formula
    assert refused(tables) == [
        "第3行 工作表“微网格” 网格长（D列）：单元格是公式，请粘贴为数值（复制后用“选择性粘贴 → 数值”）"
    ]


def test_far_cells_huge_files_and_zip_bombs_are_stopped_by_the_reader(admin, settings):
    tables = sheets()
    tables["社区"].append([None] * 60 + ["远处"])
    assert refused(tables) == [
        "文件：工作表“社区”：工作表的使用范围到 BI 列，超过 50 列的上限；如果后面是空列，请删除这些空列后再导入"
    ]

    settings.IMPORT_MAX_FILE_BYTES = 1000
    assert refused(sheets())[0].startswith("文件：文件大小为")
    settings.IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * (2 * 1024 * 1024))
    bomb.seek(0)
    bomb.name = "bomb.xlsx"
    with pytest.raises(TownImportError) as caught:
        town_import(file=bomb)
    assert "压缩比异常" in str(caught.value.errors[0])

    with pytest.raises(TownImportError) as caught:
        town_import(file=io.BytesIO(b"<html>not a workbook</html>"))
    assert "无法读取" in str(caught.value.errors[0])


def test_markup_is_stored_as_text_and_shown_escaped(admin, client):
    tables = sheets()
    tables["微网格"][1][3] = "<script>alert(1)</script>"
    client.force_login(admin)
    response = client.post(reverse("villages:town_import"), {"file": upload(tables)})
    assert b"<script>alert(1)" not in response.content
    assert MicroGrid.objects.count() == 0  # the preview writes nothing


def test_a_leader_login_of_community_staff_becomes_staff_of_the_community(admin):
    leader = factories.user(username="shen", role=User.Role.COMMUNITY_STAFF)
    tables = sheets()
    tables["微网格"][1][5] = "shen"
    preview = town_import(file=xlsx(tables), actor=admin)

    grid = MicroGrid.objects.get(code="13")
    assert grid.leader == leader and preview.leader_logins == 1
    assert list(leader.communities.values_list("code", flat=True)) == ["SHANTANG-CW"]
    assert AuditRecord.objects.filter(
        action="user.communities_changed", object_id=str(leader.pk)
    ).exists()


def test_the_dry_run_writes_nothing(db):
    before = counts()
    preview = town_import(file=xlsx(sheets()), dry_run=True)
    assert counts() == before
    assert preview.town["name"] == "广陈镇" and preview.micro_grids == 2
    assert preview.rows["villages"][0]["name"] == "山塘村"


def upload(tables):
    return SimpleUploadedFile("广陈镇.xlsx", xlsx(tables).getvalue(), content_type=XLSX_TYPE)


def test_the_page_previews_then_writes_on_confirmation(admin, client):
    client.force_login(admin)
    url = reverse("villages:town_import")
    assert client.get(url).status_code == 200

    response = client.post(url, {"file": upload(sheets())})
    assert response.status_code == 200
    assert b'id="import-preview"' in response.content
    assert "广陈镇".encode() in response.content and "山塘村".encode() in response.content
    assert not Town.objects.filter(code="GUANGCHEN").exists()
    job = ImportJob.objects.get(kind=ImportJob.Kind.TOWN, status=ImportJob.Status.PREVIEW)

    unconfirmed = client.post(url, {"preview_job": job.pk})
    assert "请勾选确认后再导入" in unconfirmed.content.decode()
    assert not Town.objects.filter(code="GUANGCHEN").exists()

    done = client.post(url, {"preview_job": job.pk, "confirm": "on"})
    assert done.status_code == 302
    assert Town.objects.filter(code="GUANGCHEN").exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.content == b""
    # A second confirmation of the same preview writes nothing more.
    client.post(url, {"preview_job": job.pk, "confirm": "on"})
    assert Town.objects.filter(code="GUANGCHEN").count() == 1


def test_the_confirmation_checks_again_and_writes_nothing_when_a_code_was_taken(admin, client):
    client.force_login(admin)
    url = reverse("villages:town_import")
    client.post(url, {"file": upload(sheets())})
    job = ImportJob.objects.get(kind=ImportJob.Kind.TOWN, status=ImportJob.Status.PREVIEW)
    factories.community(code="GC-URBAN", name="别处的社区")

    response = client.post(url, {"preview_job": job.pk, "confirm": "on"})
    assert "“GC-URBAN”已被当湖街道使用" in response.content.decode()
    assert not Town.objects.filter(code="GUANGCHEN").exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_a_code_taken_between_check_and_write_fails_the_preview_cleanly(admin, monkeypatch):
    from django.db import IntegrityError

    from villages import town_import as service

    file = xlsx(sheets())
    job = service.town_preview_start(user=admin, file=file)
    real_save = service._save

    def save_then_collide(plan, **kwargs):
        real_save(plan, **kwargs)
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(service, "_save", save_then_collide)
    before = counts()
    job = service.town_import_confirm(job=job, actor=admin)
    assert job.status == ImportJob.Status.FAILED and "已被占用" in job.errors[0]["message"]
    assert counts() == before


def test_the_page_lists_errors_with_sheet_row_and_column_and_a_report(admin, client):
    tables = sheets()
    tables["村"].append(["SHANTANG", "另一村", "", "X-COOP", "另一合作社"])
    client.force_login(admin)
    response = client.post(reverse("villages:town_import"), {"file": upload(tables)})
    page = response.content.decode()
    assert "工作表“村” 村编码" in page and "（A列）" in page and "第4行" in page
    job = ImportJob.objects.get(kind=ImportJob.Kind.TOWN, status=ImportJob.Status.FAILED)
    report = client.get(reverse("villages:import_job_errors", args=[job.pk]))
    assert report.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(report.content)).active.values for c in row]
    assert "工作表“村” 村编码" in cells


@pytest.mark.parametrize("role", ["staff_east", "accountant_a", "supervisor_a", "villager_a"])
def test_only_the_administrator_may_set_up_towns(world, client, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("villages:town_import")).status_code == 403
    assert client.get(reverse("villages:town_import_sample")).status_code == 403
    response = client.post(reverse("villages:town_import"), {"file": upload(sheets())})
    assert response.status_code == 403
    assert not ImportJob.objects.filter(kind=ImportJob.Kind.TOWN).exists()


def test_the_sample_download_is_the_sample(admin, client):
    client.force_login(admin)
    response = client.get(reverse("villages:town_import_sample"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    file = io.BytesIO(response.content)
    file.name = "sample.xlsx"
    assert town_import(file=file, dry_run=True).villages == 3


def test_the_command_checks_and_imports(admin, tmp_path, capsys):
    path = tmp_path / "town.xlsx"
    path.write_bytes(xlsx(sheets()).getvalue())
    call_command("import_town", str(path), "--dry-run")
    assert not Town.objects.filter(code="GUANGCHEN").exists()
    call_command("import_town", str(path), "--actor", admin.username)
    assert Town.objects.filter(code="GUANGCHEN").exists()
    assert AuditRecord.objects.get(action="town.import").actor == admin

    with pytest.raises(CommandError, match="处错误"):
        call_command("import_town", str(path))  # the same town again
    assert "已经存在" in capsys.readouterr().err


def test_the_docs_table_is_the_format():
    from pathlib import Path

    from django.conf import settings

    docs = (Path(settings.BASE_DIR) / "docs" / "towns.md").read_text()
    for sheet, columns in TOWN_FORMAT.items():
        for column in columns:
            required = "yes" if column.required else "no"
            line = (
                f"| {sheet} | {column.name} | {required} | {column.max_length} | {column.meaning} |"
            )
            assert line in docs, line
