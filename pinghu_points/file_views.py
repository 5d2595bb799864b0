"""Uploaded files, served only to users who may see the object they belong to.

`pinghu_points.files.PrivateFileStorage.url()` points here. Anonymous users go to the login
page; a file outside the user's scope (or no file) is 404. Who may see a file is the
domain's rule, `visible(user=, name=)`, handed over by the URLconf
(`overview.files.private_file_visible`: the scope of the object holding it). Images are shown inline, any
other file is a download (`Content-Disposition: attachment`); every answer carries
`X-Content-Type-Options: nosniff`, so a browser never runs an upload as a page.

With `PRIVATE_FILES_ACCEL_PREFIX` set (production behind nginx), the view only checks and
answers with `X-Accel-Redirect: <prefix><name>`, and nginx sends the file from an
`internal` location; otherwise Django streams it (FileResponse).
"""

import posixpath
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from .files import INLINE_TYPES, content_type

# The browser may show the file, but nothing in it may run or load anything.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@login_required
@require_safe
def private_file(request, name, *, visible):
    if ".." in name.split("/") or name.startswith("/"):
        raise Http404
    if not visible(user=request.user, name=name):
        raise Http404
    kind = content_type(name)
    as_attachment = kind not in INLINE_TYPES
    filename = posixpath.basename(name)
    prefix = settings.PRIVATE_FILES_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=kind)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
        response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    else:
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, IsADirectoryError) as error:
            raise Http404 from error
        response = FileResponse(
            handle, as_attachment=as_attachment, filename=filename, content_type=kind
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response
