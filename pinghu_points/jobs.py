"""Sending a Celery task without letting a broken broker hold the caller.

`send_bounded` publishes in a small thread pool and waits at most BROKER_PUBLISH_TIMEOUT
seconds: a broker that refuses connections fails in milliseconds, one that accepts them
and never answers (or a result store that hangs) no longer holds a page for minutes.
docs/deployment.md, "Timeouts and health check".
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="publish")


def send_bounded(task, args=(), *, on_sent=None, timeout=None):
    """`task.apply_async(args)`; the AsyncResult, or None when it could not be sent in
    time. Eager mode (no broker): runs the task right here; its errors propagate.

    `on_sent(result)` runs once the message is on the broker: in the caller's thread when
    that happened in time, otherwise in the publishing thread when it finally does (its
    database connection is closed afterwards).
    """
    if task.app.conf.task_always_eager:
        result = task.apply_async(args)
        if on_sent:
            on_sent(result)
        return result
    timeout = settings.BROKER_PUBLISH_TIMEOUT if timeout is None else timeout
    guard = threading.Lock()
    state = {"abandoned": False}

    def publish():
        result = task.apply_async(args)
        with guard:
            late = state["abandoned"]
        if late and on_sent:
            try:
                on_sent(result)
            finally:
                connection.close()
        return result

    future = _pool.submit(publish)
    try:
        result = future.result(timeout=timeout)
    except FutureTimeout:
        with guard:
            state["abandoned"] = True
        logger.warning("%s: the broker did not answer within %ss", task.name, timeout)
        return None
    except Exception:  # refused, reset, result store unreachable, ...
        logger.warning("%s: the broker is unreachable", task.name, exc_info=True)
        return None
    if on_sent:
        on_sent(result)
    return result
