"""Sending a Celery task without letting a broken broker hold the caller.

`send_bounded` publishes in a thread of its own and waits at most BROKER_PUBLISH_TIMEOUT
seconds: a broker that refuses connections fails in milliseconds, one that accepts them
and never answers (or a result store that hangs) no longer holds a page for minutes.
The thread is a daemon: a command that gave up on the broker ends at once, without
waiting at exit for the abandoned publish (`run_dividend` took 19.6 s with a hung broker).
The sender never waits for a task's result (the job's row carries its progress), so it
does not subscribe to one (`ignore_result`): with the broker down, no result consumer
fails, retries and logs a traceback. A send that fails is one log line.
docs/deployment.md, "Timeouts and health check".
"""

import logging
import threading

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def send_bounded(task, args=(), *, on_sent=None, timeout=None, label=""):
    """`task.apply_async(args)`; the AsyncResult, or None when it could not be sent in
    time. Eager mode (no broker): runs the task right here; its errors propagate.

    `on_sent(result)` runs once the message is on the broker: in the caller's thread when
    that happened in time, otherwise in the publishing thread when it finally does (its
    database connection is closed afterwards). `label` names the job in the log line.
    """
    if task.app.conf.task_always_eager:
        result = task.apply_async(args)
        if on_sent:
            on_sent(result)
        return result
    timeout = settings.BROKER_PUBLISH_TIMEOUT if timeout is None else timeout
    label = label or task.name
    guard = threading.Lock()
    done = threading.Event()
    state = {"abandoned": False, "result": None, "error": None}

    def publish():
        try:
            result = task.apply_async(args, ignore_result=True)
        except Exception as error:  # refused, reset, timed out, ...
            state["error"] = error
            done.set()
            return
        with guard:
            state["result"] = result
            late = state["abandoned"]
        done.set()
        if late and on_sent:
            try:
                on_sent(result)
            finally:
                connection.close()

    threading.Thread(target=publish, name="publish", daemon=True).start()
    if not done.wait(timeout):
        with guard:
            state["abandoned"] = state["result"] is None
        if state["abandoned"]:
            logger.warning("%s not sent: the job queue did not answer within %ss", label, timeout)
            return None
    error = state["error"]
    if error is not None:
        logger.warning(
            "%s not sent: the job queue is unreachable (%s: %s)",
            label,
            error.__class__.__name__,
            str(error).splitlines()[0] if str(error) else "",
        )
        return None
    result = state["result"]
    if on_sent:
        on_sent(result)
    return result
