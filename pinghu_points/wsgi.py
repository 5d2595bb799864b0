"""The WSGI application gunicorn serves: Django, with the request body read to its end
before any answer goes out.

A view may answer before it reads the body: the import pages refuse an upload over
IMPORT_MAX_FILE_BYTES from its Content-Length (413), login_required redirects, a refused
permission answers 403. gunicorn then closes the connection with the rest of the body
unread, the kernel resets it, and a client that is still sending gets "connection reset"
instead of the answer. So the unread rest is read and dropped first, up to
`DRAIN_MAX_BYTES` (above the proxy's `client_max_body_size 50m`, docs/deployment.md);
a larger rest is left, and that client may see the reset.
"""

import os

from django.core.wsgi import get_wsgi_application

DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_CHUNK_BYTES = 64 * 1024


class CountedInput:
    """`wsgi.input` that counts what the application read of it."""

    def __init__(self, stream):
        self._stream = stream
        self.consumed = 0

    def _counted(self, data):
        self.consumed += len(data)
        return data

    def read(self, *args):
        return self._counted(self._stream.read(*args))

    def readline(self, *args):
        return self._counted(self._stream.readline(*args))

    def readlines(self, *args):
        lines = self._stream.readlines(*args)
        self.consumed += sum(len(line) for line in lines)
        return lines

    def __iter__(self):
        for line in self._stream:
            yield self._counted(line)

    def drain(self, length):
        """Read and drop what is left of a body of `length` bytes, if at most DRAIN_MAX_BYTES."""
        left = length - self.consumed
        if left <= 0 or left > DRAIN_MAX_BYTES:
            return
        while left > 0:
            try:
                data = self._stream.read(min(DRAIN_CHUNK_BYTES, left))
            except OSError:  # the client went away: nobody is left to answer
                return
            if not data:
                return
            left -= len(data)


def draining_unread_body(application):
    """Wrap a WSGI application so that the request body is read to its end before the
    answer's first byte (start_response), whatever the view read of it."""

    def wrapped(environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0 or "wsgi.input" not in environ:
            return application(environ, start_response)
        body = CountedInput(environ["wsgi.input"])
        environ["wsgi.input"] = body

        def start_response_after_the_body(status, headers, exc_info=None):
            body.drain(length)
            return start_response(status, headers, exc_info)

        return application(environ, start_response_after_the_body)

    return wrapped


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")
application = draining_unread_body(get_wsgi_application())
