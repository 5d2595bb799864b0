"""The inspection sheet import against hostile and large files: the same limits as the
register (tests/villages/test_import_limits.py covers the shared reading layer in depth)."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from communities.models import ScoreEvent
from tests import factories
from villages.models import ImportJob

from .test_import import HEADER, URL, counts, good_rows, refused, row, xlsx


def test_formula_cells_are_refused_with_row_and_column(world, items):
    errors = refused(world, xlsx([row(分值="=1+2"), row()]))
    assert errors == [
        "第2行 分值（D列）：单元格是公式，请粘贴为数值（复制后用“选择性粘贴 → 数值”）"
    ]


def test_a_far_cell_is_refused_at_once(world, items):
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active["XFD1048576"] = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert refused(world, buffer)[0].startswith("文件：工作表的使用范围到第 1048576 行")


def test_the_page_refuses_a_large_upload_before_reading_it(world, items, login, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100 * 1024
    client = login(world.staff_east)
    before = counts()
    big = SimpleUploadedFile("检查表.xlsx", b"x" * (300 * 1024))
    response = client.post(URL, {"community": world.east.pk, "file": big})
    assert response.status_code == 413
    assert "超过上限 100 KB，未读取" in response.content.decode()
    assert counts() == before


def test_the_upload_guard_keeps_the_csrf_check(world, items, client):
    client.handler.enforce_csrf_checks = True
    client.force_login(world.staff_east)
    response = client.post(
        URL,
        {
            "community": world.east.pk,
            "file": SimpleUploadedFile("a.xlsx", xlsx(good_rows()).getvalue()),
        },
    )
    assert response.status_code == 403
    assert not ScoreEvent.objects.exists()


def test_a_large_sheet_runs_in_the_background_for_its_staff_member_only(
    world, items, login, settings
):
    settings.IMPORT_BACKGROUND_BYTES = 1024
    client = login(world.staff_east)
    response = client.post(
        URL,
        {
            "community": world.east.pk,
            "file": SimpleUploadedFile("检查表.xlsx", xlsx(good_rows()).getvalue()),
        },
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("villages:import_job", args=[job.pk])
    assert job.kind == ImportJob.Kind.SCORE_EVENTS and job.status == ImportJob.Status.DONE
    assert job.result["events"] == 3 and job.content == b""
    assert ScoreEvent.objects.count() == 3
    assert "已导入 3 条积分记录" in client.get(response["Location"]).content.decode()
    other = factories.user(
        username="staff_east_2", role="community_staff", communities=[world.east]
    )
    client.force_login(other)
    assert client.get(response["Location"]).status_code == 404


def test_a_large_sheet_in_a_closed_month_fails_in_the_background(world, items, login, settings):
    from communities.services import month_close

    settings.IMPORT_BACKGROUND_BYTES = 1024
    month_close(
        actor=world.staff_east,
        community=world.east,
        month=date(2026, 3, 1),
        today=date(2026, 4, 30),
    )
    client = login(world.staff_east)
    before = counts()
    client.post(
        URL,
        {
            "community": world.east.pk,
            "file": SimpleUploadedFile("检查表.xlsx", xlsx(good_rows()).getvalue()),
        },
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert any("已关账" in error["message"] for error in job.errors)
    assert counts() == before
