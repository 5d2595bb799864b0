"""Hostile and oversized files for the register import (and the reading layer both imports
share): each is refused with a clear message, in bounded time and memory, nothing saved.
Large valid files run as a background job the page polls, all or nothing."""

import io
import re
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import User
from pinghu_points.spreadsheets import SpreadsheetImportError, error_report_xlsx, read_rows
from tests import factories
from tests.dividends import test_jobs
from villages import import_jobs
from villages.models import Household, ImportJob, ShareClass

from .test_import import HEADER, counts, good_rows, refused, row, valid_id, xlsx


@pytest.fixture
def register(world):
    """Cooperative A with the two share classes of the register format."""
    ShareClass.objects.create(cooperative=world.coop_a, code="NL", name="农龄股", weight="0.5")
    return world


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rewritten(file, **entries):
    """A copy of the xlsx zip with some entries replaced: {"xl/worksheets/sheet1.xml": bytes}."""
    source = zipfile.ZipFile(io.BytesIO(file.getvalue()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            name = info.filename
            target.writestr(name, entries.get(name.replace("/", "__"), source.read(name)))
    buffer.seek(0)
    buffer.name = "名册.xlsx"
    return buffer


SHEET = "xl__worksheets__sheet1.xml"


def sheet_xml(file):
    return zipfile.ZipFile(io.BytesIO(file.getvalue())).read("xl/worksheets/sheet1.xml")


def zip_bomb(uncompressed_megabytes):
    """An 'xlsx' whose sheet XML inflates to `uncompressed_megabytes` of one repeated row."""
    good = xlsx(good_rows())
    source = zipfile.ZipFile(io.BytesIO(good.getvalue()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            target.writestr(info.filename, source.read(info.filename))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
            for _ in range(uncompressed_megabytes):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    buffer.seek(0)
    buffer.name = "名册.xlsx"
    return buffer


class Bounded:
    """Time and peak Python memory of the block."""

    def __enter__(self):
        tracemalloc.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.started
        self.peak_megabytes = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()


# --- hostile files ---------------------------------------------------------------------------


def test_zip_bomb_above_the_uncompressed_limit_is_refused_before_parsing(register, settings):
    bomb = zip_bomb(120)  # ~120 MB of XML from well under 1 MB
    assert len(bomb.getvalue()) < 1024 * 1024
    with Bounded() as bounded:
        errors = refused(register, bomb)
    assert len(errors) == 1
    assert re.fullmatch(r"文件：文件解压后为 1\d\d(\.\d)? MB，超过上限 100 MB，未读取", errors[0])
    assert bounded.seconds < 2 and bounded.peak_megabytes < 20


def test_zip_bomb_under_the_size_limit_is_refused_by_its_compression_ratio(register):
    bomb = zip_bomb(20)
    with Bounded() as bounded:
        errors = refused(register, bomb)
    assert errors == ["文件：文件压缩比异常（超过 100 倍），不像正常的 Excel 文件，未读取"]
    assert bounded.seconds < 2 and bounded.peak_megabytes < 20


def far_cell_file():
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "名册.xlsx"
    return buffer


def test_one_cell_at_xfd1048576_is_refused_at_once_by_the_declared_dimension(register):
    file = far_cell_file()
    assert len(file.getvalue()) < 6000
    with Bounded() as bounded:
        errors = refused(register, file)
    assert errors == [
        "文件：工作表的使用范围到第 1048576 行，超过 50000 个数据行的上限；"
        "如果后面是空行，请删除这些空行后再导入"
    ]
    assert bounded.seconds < 1 and bounded.peak_megabytes < 10


def test_the_far_cell_without_a_dimension_is_stopped_while_streaming(register):
    file = far_cell_file()
    xml = re.sub(rb"<dimension [^>]*/>", b"", sheet_xml(file))
    with Bounded() as bounded:
        errors = refused(register, rewritten(file, **{SHEET: xml}))
    assert errors == ["文件：工作表超过 50 列（最后一列为 AX 列），请删除多余的列"]
    assert bounded.seconds < 1 and bounded.peak_megabytes < 10


def test_too_many_rows_are_stopped_while_streaming(register, settings):
    settings.IMPORT_MAX_ROWS = 5
    file = xlsx(
        [
            row(户号=f"A{index}", 身份证号=valid_id(f"330482196203150{index:02}"))
            for index in range(8)
        ]
    )
    xml = re.sub(rb"<dimension [^>]*/>", b"", sheet_xml(file))
    errors = refused(register, rewritten(file, **{SHEET: xml}))
    assert errors == ["文件：工作表超过 5 个数据行（不含表头），请分成几个文件导入"]
    # With its dimension the same file is refused before a row is read.
    assert refused(register, file) == [
        "文件：工作表的使用范围到第 9 行，超过 5 个数据行的上限；如果后面是空行，请删除这些空行后再导入"
    ]


def test_ten_thousand_bad_columns_give_one_clear_error(register):
    file = xlsx([], header=HEADER + [f"列{index}" for index in range(10_000)])
    with Bounded() as bounded:
        errors = refused(register, file)
    assert errors == [
        "文件：工作表的使用范围到 NTX 列，超过 50 列的上限；如果后面是空列，请删除这些空列后再导入"
    ]
    assert bounded.seconds < 2


def test_formulas_are_refused_with_row_and_column_with_or_without_a_cached_value(register):
    file = xlsx([row(人口股="=2+2"), row(户号="A102", 户主姓名="=B2")])
    xml = sheet_xml(file)
    assert xml.count(b"<v />") == 2  # openpyxl writes no cached value
    cached = xml.replace(b"<v />", b"<v>4</v>", 1)
    for variant in (file, rewritten(file, **{SHEET: cached})):
        errors = refused(register, variant)
        assert errors == [
            "第2行 人口股（G列）：单元格是公式，请粘贴为数值（复制后用“选择性粘贴 → 数值”）",
            "第3行 户主姓名（B列）：单元格是公式，请粘贴为数值（复制后用“选择性粘贴 → 数值”）",
        ]


def test_data_on_the_second_sheet_only_gets_a_hint(register):
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    other = workbook.create_sheet("名册")
    other.append(HEADER)
    for cells in good_rows():
        other.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert refused(register, buffer) == [
        "文件：第一个工作表“Sheet1”是空的，数据在工作表“名册”中。"
        "只读取第一个工作表，请把数据放到第一个工作表（或删除前面的空工作表）"
    ]


def test_a_file_above_the_size_limit_is_refused_before_reading(register, settings):
    settings.IMPORT_MAX_FILE_BYTES = 2048
    file = xlsx(good_rows())
    assert 4 * 1024 < len(file.getvalue()) < 6 * 1024
    assert refused(register, file) == ["文件：文件大小为 5 KB，超过上限 2 KB，未读取"]


# --- the page ---------------------------------------------------------------------------------


def upload(file):
    return SimpleUploadedFile("名册.xlsx", file.getvalue(), content_type=XLSX_TYPE)


def test_page_refuses_a_large_upload_before_reading_it(register, login, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100 * 1024  # the same check as 50 MB against 10 MB
    client = login(register.accountant_a)
    before = counts()
    big = SimpleUploadedFile("名册.xlsx", b"x" * (400 * 1024), content_type=XLSX_TYPE)
    response = client.post(
        reverse("villages:household_import"), {"cooperative": register.coop_a.pk, "file": big}
    )
    assert response.status_code == 413
    assert "文件大小为 400 KB，超过上限 100 KB，未读取" in response.content.decode()
    assert counts() == before and not ImportJob.objects.exists()


def bad_rows(count):
    return [
        row(户号=f"X{index}", 身份证号="123", 人口股=-1, 农龄股="abc") for index in range(count)
    ]


def test_ten_thousand_bad_rows_show_200_errors_the_count_and_a_report(register, login, settings):
    settings.IMPORT_BACKGROUND_BYTES = 10 * 1024 * 1024  # this test is about the page itself
    client = login(register.accountant_a)
    before = counts()
    file = xlsx(bad_rows(10_000))
    started = time.monotonic()
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload(file)},
    )
    assert time.monotonic() - started < 30
    html = response.content.decode()
    assert "发现 30000 处错误，未导入任何数据" in html
    assert "下面列出前 200 处错误（共 30000 处），全部错误见错误报告。" in html
    assert html.count("<tr>") == 201  # the header and 200 errors
    assert len(html) < 300_000
    assert counts() == before
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and job.error_count == 30000
    assert job.content == b""

    report = client.get(reverse("villages:import_job_errors", args=[job.pk]))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行", "列", "列号", "错误")
    assert len(rows) == 1 + 10_000  # IMPORT_ERRORS_KEPT
    assert rows[1][:3] == ("2", "身份证号", "C")

    # The report belongs to who imported: another accountant gets 404.
    other = factories.user(
        username="acc_a2", role=User.Role.ACCOUNTANT, cooperative_=register.coop_a
    )
    client.force_login(other)
    assert client.get(reverse("villages:import_job_errors", args=[job.pk])).status_code == 404


def test_the_error_report_never_turns_text_into_a_formula():
    errors = [
        {"row": 1, "column": '=HYPERLINK("http://x")', "column_letter": "I", "message": "+1"},
        {"row": 2, "column": "@SUM(A1)", "column_letter": "", "message": "-2+3"},
    ]
    sheet = load_workbook(io.BytesIO(error_report_xlsx(errors))).active
    cells = [cell for line in sheet.iter_rows(min_row=2) for cell in line]
    assert [cell.value for cell in cells] == [
        "1",
        '=HYPERLINK("http://x")',
        "I",
        "+1",
        "2",
        "@SUM(A1)",
        None,
        "-2+3",
    ]
    assert {cell.data_type for cell in cells if cell.value is not None} == {"s"}


def test_the_command_lists_200_errors_the_total_and_writes_the_report(register, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx(bad_rows(100)).getvalue())
    report = tmp_path / "errors.xlsx"
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="300 处错误"):
        call_command(
            "import_households",
            str(path),
            cooperative="COOPA",
            error_report=str(report),
            stderr=stderr,
        )
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 202
    assert lines[200] == "……共 300 处错误，只列出前 200 处"
    assert len(list(load_workbook(report).active.iter_rows())) == 301


def test_the_command_refuses_a_far_cell_file(register, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(far_cell_file().getvalue())
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_households", str(path), cooperative="COOPA", stderr=stderr)
    assert "第 1048576 行" in stderr.getvalue()
    assert not Household.objects.filter(number="A101").exists()


# --- large files in the background -------------------------------------------------------------


def many_good_rows(count):
    return [
        [
            f"N{index:05}",
            "沈建明",
            valid_id(f"3304821962031{index:04}"),
            "",
            "东湖社区",
            "",
            1,
            None,
        ]
        for index in range(count)
    ]


def test_a_large_valid_register_runs_as_a_background_job(register, login, settings):
    settings.IMPORT_BACKGROUND_BYTES = 20 * 1024
    client = login(register.accountant_a)
    file = xlsx(many_good_rows(2000))
    assert len(file.getvalue()) > settings.IMPORT_BACKGROUND_BYTES
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload(file)},
    )
    job = ImportJob.objects.get()
    # Checked as a background job (eager here: within the request, so the page shows the
    # preview at once; with a worker it sends to the job's page), nothing written.
    assert response.status_code == 200 and response.context["preview_job"] == job
    assert job.status == ImportJob.Status.PREVIEW and not job.confirmed
    assert job.result["households"] == 2000 and len(job.result["rows"]) == 10
    assert Household.objects.filter(cooperative=register.coop_a).count() == 2
    preview = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert 'id="import-preview"' in preview and 'name="preview_job"' in preview
    assert client.get(reverse("villages:import_job_progress", args=[job.pk])).json()["done"]

    confirmed = client.post(
        reverse("villages:household_import"), {"preview_job": job.pk, "confirm": "on"}
    )
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE  # eager: the task ran in the request
    assert job.result == {"households": 2000, "members": 2000, "share_movements": 2000}
    assert job.content == b""  # the file is gone once imported
    assert Household.objects.filter(cooperative=register.coop_a).count() == 2002

    page = client.get(reverse("villages:import_job", args=[job.pk]))
    assert "已导入 2000 户股东户、2000 条股权登记" in page.content.decode()
    assert 'src="/static/js/job-progress.js"' in page.content.decode()
    progress = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
    assert progress == {
        "status": "done",
        "status_label": "已导入",
        "progress": 100,
        "done": True,
        "can_retry": False,
        "stalled": "",
    }

    client.force_login(register.staff_east)
    for name in ("villages:import_job", "villages:import_job_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_a_large_bad_register_fails_in_the_background_and_saves_nothing(register, login, settings):
    settings.IMPORT_BACKGROUND_BYTES = 20 * 1024
    client = login(register.accountant_a)
    before = counts()
    rows = many_good_rows(2000)
    rows[1500][0] = "A001"  # already registered
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload(xlsx(rows))},
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and job.error_count == 1
    assert counts() == before
    html = response.content.decode()
    assert "发现 1 处错误，未导入任何数据" in html and "户号“A001”已在本合作社登记" in html


def test_a_job_runs_once_even_when_its_task_is_delivered_again(register):
    file = xlsx(many_good_rows(3))
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        user=register.accountant_a,
        cooperative=register.coop_a,
        file_name="名册.xlsx",
        content=file.getvalue(),
        status=ImportJob.Status.RUNNING,  # a worker died while importing: nothing committed
    )
    import_jobs.import_job_run(job_id=job.pk)
    import_jobs.import_job_run(job_id=job.pk)  # delivered again
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Household.objects.filter(number__startswith="N").count() == 3


def test_reading_reports_progress(register):
    seen = []
    read_rows(xlsx(many_good_rows(2000)), error_class=SpreadsheetImportError, progress=seen.append)
    assert seen and seen == sorted(seen) and 0 < seen[-1] <= 1


def test_the_admin_import_refuses_a_large_upload_and_keeps_the_csrf_check(
    register, client, settings
):
    settings.IMPORT_MAX_FILE_BYTES = 100 * 1024
    url = reverse("admin:villages_household_import_register")
    client.force_login(register.admin)
    big = SimpleUploadedFile("名册.xlsx", b"x" * (300 * 1024), content_type=XLSX_TYPE)
    response = client.post(url, {"cooperative": register.coop_a.pk, "file": big})
    assert response.status_code == 413
    client.handler.enforce_csrf_checks = True
    response = client.post(url, {"cooperative": register.coop_a.pk, "file": upload(xlsx([]))})
    assert response.status_code == 403


# A queue that refuses connections, or accepts them and never answers (tests/dividends).
broker_down = test_jobs.broker_down


@pytest.mark.django_db(transaction=True)
def test_a_background_import_with_the_broker_down_fails_at_once_and_saves_nothing(
    register, login, settings, broker_down
):
    """A queue that refuses or never answers: the page answers within the publish bound with
    the job failed and a message, never a job left "排队中" or a page held for minutes."""
    settings.IMPORT_BACKGROUND_BYTES = 20 * 1024
    client = login(register.accountant_a)
    file = xlsx(many_good_rows(2000))
    started = time.monotonic()
    response = client.post(
        reverse("villages:household_import"),
        {"cooperative": register.coop_a.pk, "file": upload(file)},
    )
    assert time.monotonic() - started < test_jobs.BOUND
    job = ImportJob.objects.get()
    # The preview's check could not be queued: the import page says so at once.
    assert response.status_code == 200
    assert job.status == ImportJob.Status.FAILED
    assert "后台任务队列暂时不可用" in response.content.decode()
    assert Household.objects.filter(cooperative=register.coop_a).count() == 2
