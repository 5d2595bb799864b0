"""Error answers: pages in the site's layout for people, JSON in DRF's shape for the API.

Wired in `pinghu_points/urls.py` (handler400/403/404/500) and `CSRF_FAILURE_VIEW`. Each page
says in plain words what happened and offers a way back; none shows a traceback, whatever
DEBUG says. The 500 page is rendered without the request's context processors, so it
shows even when the database is down (no user, no menu, no query).

When the exception says that the database or the broker could not be reached, or timed
out, the answer is 503 instead: a page saying the service is down for a moment
(`503.html`, also rendered without the database), or a JSON body under /api/. See
docs/deployment.md, "Timeouts and health check".

When it says that the media disk is full or read-only (a photo could not be written), the
answer says so: 507 or 503 with "照片没有保存：服务器存储空间不足…", JSON under /api/ and for
a client that asks for JSON (the door app), the error page otherwise. The write's
transaction rolled back and its files were removed (pinghu_points.files.stored_with_rows):
nothing of it was saved.
"""

import errno
import logging
import sys

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.urls import Resolver404, get_resolver
from django.utils.log import log_response
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)
FALLBACK_PAGE = (
    '<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>%(message)s</title></head><body><p>%(message)s</p></body></html>"
)
RETRY_AFTER_SECONDS = 30


def _broker_errors():
    errors = []
    try:
        from kombu.exceptions import OperationalError as BrokerOperationalError

        errors.append(BrokerOperationalError)
    except ImportError:  # pragma: no cover - kombu comes with Celery
        pass
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is installed with the broker
        pass
    return tuple(errors)


# A statement timeout (QueryCanceled) is an OperationalError too: the database is too slow.
DEPENDENCY_ERRORS = (OperationalError, InterfaceError, *_broker_errors())


def dependency_down(exception):
    return isinstance(exception, DEPENDENCY_ERRORS)


# A disk that is full (or over quota) and one that was remounted read-only: the two ways a
# healthy request fails to store its file. Any other OSError stays a 500.
STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
STORAGE_READ_ONLY = frozenset({errno.EROFS})


def storage_error(exception):
    """The OSError of a full or read-only disk behind `exception` (or its causes), or None."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        if isinstance(exception, OSError) and exception.errno in STORAGE_FULL | STORAGE_READ_ONLY:
            return exception
        exception = exception.__cause__ or exception.__context__
    return None


def _wants_json(request):
    # The door app asks for JSON; a browser's page request never names it.
    return "application/json" in request.headers.get("Accept", "")


def storage_failed_response(request, error):
    """507 (disk full) or 503 (read-only): what happened, and that nothing was saved."""
    if error.errno in STORAGE_READ_ONLY:
        status, code = 503, "storage_read_only"
        message = _(
            "照片没有保存：服务器存储暂时只能读取、不能写入，这次提交的内容都没有保存。"
            "请稍后再试；如果一直这样，请联系街道管理员。"
        )
    else:
        status, code = 507, "storage_full"
        message = _(
            "照片没有保存：服务器存储空间不足，这次提交的内容都没有保存。"
            "请稍后再试；如果一直这样，请联系街道管理员。"
        )
    if _is_api(request):
        response = JsonResponse({"detail": message, "code": code}, status=status)
    elif _wants_json(request):
        response = JsonResponse({"error": message, "code": code}, status=status)
    else:
        # Without the request, like the 500 page: nothing here needs the database.
        html = render_to_string(
            "errors/error.html", {"status": status, "title": _("没有保存"), "message": message}
        )
        response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def unavailable_response(request):
    """503: the database or the job queue cannot be reached. No database query here."""
    path = request.path_info if request is not None else ""
    if path == "/healthz":  # a middleware met the failure before the health check ran
        response = JsonResponse({"status": "unavailable"}, status=503)
    elif path.startswith(API_PREFIX):
        response = JsonResponse(
            {
                "detail": _("服务暂时不可用：数据库或任务队列无法连接，请稍后再试。"),
                "code": "service_unavailable",
            },
            status=503,
        )
    else:
        # A plain context, not a RequestContext: the context processors (the user, the
        # menu) would ask the database. The page shows the layout without the menu.
        try:
            body = loader.render_to_string("503.html", {"request": request})
        except Exception:  # the answer of last resort must not fail in turn
            logger.exception("the 503 page could not be rendered")
            body = FALLBACK_PAGE % {"message": _("服务暂时不可用，请稍后再试。")}
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _is_api(request):
    return request.path_info.startswith(API_PREFIX)


def _answer(request, status, *, title, message, detail=None):
    if _is_api(request):
        return JsonResponse({"detail": detail or message}, status=status)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    return _answer(
        request,
        400,
        title=_("请求无效"),
        message=_("这个请求的内容不完整或格式不对。请返回上一页，检查后再试。"),
    )


def permission_denied(request, exception=None):
    # The reason a view gives (PermissionDenied(_("只有工作人员可以打印积分卡"))) is written
    # for the user; a bare PermissionDenied gets the general sentence.
    reason = str(exception) if exception is not None else ""
    message = reason or _("您的账号没有权限查看或操作这里的内容。如需要，请联系社区或街道管理员。")
    return _answer(request, 403, title=_("没有权限"), message=message)


def page_not_found(request, exception=None):
    # Never the exception's text: "No Household matches the given query" is for developers,
    # and the same answer for "missing" and "not yours" keeps other scopes' ids secret.
    return _answer(
        request,
        404,
        title=_("找不到页面"),
        message=_("您要找的页面不存在，或不在您可以查看的范围内。"),
    )


def server_error(request):
    exception = sys.exc_info()[1]
    if dependency_down(exception):
        return unavailable_response(request)
    stored = storage_error(exception)
    if stored is not None:
        return storage_failed_response(request, stored)
    message = _("系统出了故障，您的操作可能没有完成。请稍后再试；如果一直这样，请联系街道管理员。")
    if _is_api(request):
        return JsonResponse({"detail": message}, status=500)
    # No `request`: no context processor runs, so nothing here touches the database.
    html = render_to_string(
        "errors/error.html", {"status": 500, "title": _("系统故障"), "message": message}
    )
    return HttpResponseServerError(html)


def csrf_failure(request, reason=""):
    if reason == REASON_NO_CSRF_COOKIE:
        message = _(
            "浏览器没有保存本站的会话信息，无法确认是您本人在提交。请在浏览器设置中允许本站保存数据，再返回上一页重新提交。"
        )
    else:
        message = _("页面已过期或安全校验未通过，内容没有提交。请返回上一页，刷新后重新提交。")
    return _answer(request, 403, title=_("页面已过期"), message=message)


class ProductErrorPagesMiddleware:
    """With DEBUG on (the demo of `make run`), Django answers a mistyped link and an uncaught
    exception with its technical pages: the site's URL patterns, a traceback, in English,
    laid out for a desktop. This middleware gives the product's own pages there too; the
    500's traceback goes to the console (the `django.request` log), never to the page.
    With DEBUG off it does nothing: Django already calls the handlers above.

    After AuthenticationMiddleware (the 404 page shows the user's menu) and after
    CommonMiddleware, whose APPEND_SLASH redirect still sees the 404 answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
            except Resolver404 as exception:
                return page_not_found(request, exception)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not settings.DEBUG or isinstance(exception, PermissionDenied):
            return None  # Django calls handler403 itself, DEBUG or not
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, (BadRequest, SuspiciousOperation)):
            return bad_request(request, exception)
        response = server_error(request)
        log_response(
            "%s: %s",
            "Internal Server Error" if response.status_code == 500 else "Service Unavailable",
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response


class ClientErrorsWithoutTraceback(logging.Filter):
    """On `django.request`: a 4xx (a refused permission, a missing page) is logged as one
    line, without the traceback Django attaches; 5xx keep theirs."""

    def filter(self, record):
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
