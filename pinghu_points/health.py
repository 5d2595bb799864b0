"""GET /healthz: is this instance able to serve? (docs/deployment.md, "Health check")

No login, no data: the answer names the two dependencies and says "ok" or "down" for each;
200 when both are up, 503 otherwise. docker-compose.yml's health check of `web` calls it.
Each check is bounded by the connect timeouts of settings.py (DB_CONNECT_TIMEOUT,
BROKER_CONNECT_TIMEOUT / BROKER_SOCKET_TIMEOUT).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except DatabaseError:
        logger.warning("health check: the database is unreachable", exc_info=True)
        try:
            connection.close()
        except DatabaseError:
            pass
        return False


def broker_ok():
    """True when the broker answers (always, in eager mode: there is no broker)."""
    from pinghu_points.celery import app

    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=settings.BROKER_CONNECT_TIMEOUT)
            client = getattr(broker.default_channel, "client", None)
            if client is not None and hasattr(client, "ping"):
                client.ping()  # Redis: a round trip, bounded by the socket timeout
        return True
    except Exception:
        logger.warning("health check: the broker is unreachable", exc_info=True)
        return False


@never_cache
@require_safe
def healthz(request):
    checks = {"database": database_ok(), "queue": broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            **{name: "ok" if up else "down" for name, up in checks.items()},
        },
        status=200 if healthy else 503,
    )
