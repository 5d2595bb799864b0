"""pinghu_points/errors.py: error pages people can read, JSON for the API (issue 10, finding 8)."""

import errno
import logging

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from pinghu_points import errors
from pinghu_points import urls as project_urls
from tests.test_i18n import english_words


def boom(request):
    raise RuntimeError("secret internal detail in the traceback")


def suspicious(request):
    raise SuspiciousOperation("a technical reason nobody should read")


def refused(request):
    raise PermissionDenied


class DiskFull(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise OSError(errno.ENOSPC, "No space left on device")


def denied_by_the_disk(request):
    raise PermissionError(errno.EACCES, "Permission denied")  # not full, not read-only


def ok(request):
    return HttpResponse("ok")


# This module is also a URLconf (pytest.mark.urls): the project's routes plus views that fail.
urlpatterns = [
    path("boom/", boom),
    path("api/boom/", boom),
    path("api/disk-full/", DiskFull.as_view()),
    path("denied-by-the-disk/", denied_by_the_disk),
    path("suspicious/", suspicious),
    path("refused/", refused),
    path("", include(project_urls.urlpatterns)),
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def assert_site_page_in_chinese(response, status, *texts):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert 'class="site-header"' in body  # the site's layout
    assert 'href="/"' in body and "返回首页" in body  # a way back
    for text in texts:
        assert text in body
    assert "Traceback" not in body
    # Usernames (staff_east, villager_a) are data, not UI words.
    assert english_words(response, "staff", "east", "villager", "admin") == set()


@pytest.fixture
def quiet_client(client):
    client.raise_request_exception = False
    return client


def test_404_is_a_chinese_page_in_the_site_layout(quiet_client, world):
    quiet_client.force_login(world.staff_east)

    response = quiet_client.get("/no-such-page/")

    assert_site_page_in_chinese(response, 404, "找不到页面")


def test_404_for_another_scope_says_not_found_without_the_technical_reason(quiet_client, world):
    quiet_client.force_login(world.staff_east)

    response = quiet_client.get(f"/villages/households/{world.a_west.pk}/")

    assert_site_page_in_chinese(response, 404, "不在您可以查看的范围内")
    assert "matches the given query" not in response.content.decode()


def test_403_shows_the_reason_the_view_gave(quiet_client, world):
    quiet_client.force_login(world.villager_a)

    response = quiet_client.get("/communities/scoring/batch/")

    assert_site_page_in_chinese(response, 403, "没有权限", "只有社区工作人员可以录入积分")


@pytest.mark.urls(__name__)
def test_403_without_a_reason_says_so_in_general_words(quiet_client, world):
    quiet_client.force_login(world.villager_a)

    response = quiet_client.get("/refused/")

    assert_site_page_in_chinese(response, 403, "您的账号没有权限")


@pytest.mark.urls(__name__)
def test_400_is_a_chinese_page(quiet_client, world):
    quiet_client.force_login(world.staff_east)

    response = quiet_client.get("/suspicious/")

    assert_site_page_in_chinese(response, 400, "请求无效")
    assert "technical reason" not in response.content.decode()


@pytest.mark.urls(__name__)
def test_500_with_debug_off_shows_no_traceback(quiet_client, world, settings):
    settings.DEBUG = False
    quiet_client.force_login(world.staff_east)

    response = quiet_client.get("/boom/")

    assert_site_page_in_chinese(response, 500, "系统故障")
    assert "secret internal detail" not in response.content.decode()


def test_the_500_page_renders_while_the_database_is_down(rf, monkeypatch, db):
    def no_database(*args, **kwargs):
        raise OperationalError("connection refused")

    request = rf.get("/somewhere/")
    with monkeypatch.context() as patched:
        patched.setattr(BaseDatabaseWrapper, "cursor", no_database)
        response = errors.server_error(request)  # any query would raise

    assert response.status_code == 500
    assert "系统故障" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


def test_a_csrf_failure_is_a_chinese_page_that_says_what_to_do(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # sets the CSRF cookie; the form's token is not sent

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert_site_page_in_chinese(response, 403, "页面已过期", "刷新后重新提交")


def test_a_csrf_failure_without_the_cookie_names_the_cause(world):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert_site_page_in_chinese(response, 403, "浏览器没有保存本站的会话信息")


def test_api_errors_are_json_in_drf_shape(quiet_client, world):
    quiet_client.force_login(world.villager_a)

    for url in ("/api/no-such-route/", f"/api/households/{world.b_west.pk}/"):
        response = quiet_client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}


@pytest.mark.urls(__name__)
def test_an_api_500_is_json_without_a_traceback(quiet_client, world, settings):
    settings.DEBUG = False
    quiet_client.force_login(world.admin)

    response = quiet_client.get("/api/boom/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert "secret" not in response.content.decode()


def test_an_ordinary_403_is_logged_without_a_traceback(quiet_client, world, caplog):
    quiet_client.force_login(world.villager_a)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert quiet_client.get("/communities/scoring/batch/").status_code == 403

    records = [record for record in caplog.records if record.name == "django.request"]
    assert records, "the 403 is still logged, as one line"
    assert all(record.exc_info is None for record in records)
    assert "Traceback" not in caplog.text


@pytest.mark.urls(__name__)
def test_a_500_keeps_its_traceback_in_the_log(quiet_client, world, caplog):
    quiet_client.force_login(world.admin)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        quiet_client.get("/boom/")

    assert "secret internal detail" in caplog.text


@pytest.mark.urls(__name__)
def test_a_full_disk_under_the_api_is_json_saying_so(quiet_client, world):
    response = quiet_client.post("/api/disk-full/")

    assert response.status_code == 507
    assert response.json() == {
        "detail": "照片没有保存：服务器存储空间不足，这次提交的内容都没有保存。"
        "请稍后再试；如果一直这样，请联系街道管理员。",
        "code": "storage_full",
    }


@pytest.mark.urls(__name__)
def test_another_disk_error_stays_the_500_page(quiet_client, world):
    quiet_client.force_login(world.staff_east)

    response = quiet_client.get("/denied-by-the-disk/")

    assert_site_page_in_chinese(response, 500, "系统故障")


def test_a_storage_error_is_found_behind_the_exception_that_wraps_it():
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system")
        except OSError as cause:
            raise RuntimeError("saving the event failed") from cause
    except RuntimeError as wrapped:
        assert errors.storage_error(wrapped).errno == errno.EROFS
    assert errors.storage_error(RuntimeError("unrelated")) is None


@pytest.mark.urls("tests.test_errors")
def test_debug_mode_keeps_the_products_pages_and_the_slash_redirect(quiet_client, settings):
    settings.DEBUG = True

    assert_site_page_in_chinese(quiet_client.get("/no-such-page/"), 404, "找不到页面")
    assert quiet_client.get("/accounts/login").status_code == 301  # APPEND_SLASH still works
    assert quiet_client.get("/api/no-such-thing/").json()["detail"].startswith("您要找的页面")
    assert_site_page_in_chinese(quiet_client.get("/boom/"), 500, "系统故障")
    assert_site_page_in_chinese(quiet_client.get("/suspicious/"), 400, "请求无效")
