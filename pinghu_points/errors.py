"""What answers when a dependency (the database, the job queue) is down or too slow.

`server_error` is the project's handler500 (pinghu_points/urls.py): Django calls it for
any exception no view handled, also one raised in a middleware. When the exception says
that the database or the broker could not be reached, or timed out, the answer is 503:
a Chinese page (English when switched) in the site's layout, rendered without touching
the database, or a JSON body under /api/. Any other exception gets Django's own 500
page (`500.html`). See docs/deployment.md, "Timeouts and health check".
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
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


def server_error(request, *args, **kwargs):
    """handler500: 503 when a dependency is down, otherwise Django's 500 page."""
    if dependency_down(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request, *args, **kwargs)
