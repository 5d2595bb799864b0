"""Uploaded files: what may be uploaded, under which name it is stored, and its URL.

Two kinds of upload exist, both private:

- evidence photos of score events (`ScoreEvent.evidence`): images only, verified and
  re-encoded by Pillow as JPEG, so EXIF (GPS position, camera, time) is gone;
- adoption resolutions of standards (`StandardAdoption.resolution`): a PDF (checked by
  its ``%PDF-`` signature) or an image (re-encoded like a photo).

Both are at most `UPLOAD_MAX_MB` megabytes and are stored under a random name, never
the uploader's. There is no media URL: `PrivateFileStorage.url()` points at
`communities.file_views.private_file`, which serves a file only to a user who may see the
object it belongs to (docs/deployment.md, "Uploaded files").
"""

import io
import posixpath
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

# Photos are scaled down to fit this square; a phone photo keeps plenty of detail.
PHOTO_MAX_SIDE = 2560
PHOTO_QUALITY = 85
PDF_SIGNATURE = b"%PDF-"

# What is served, by the stored name's extension; anything else is an octet-stream download.
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


class CleanFile(ContentFile):
    """An upload that passed the checks and was rewritten; checking it again is a no-op."""


def max_upload_bytes():
    return settings.UPLOAD_MAX_MB * 1024 * 1024


def _read_limited(upload):
    size = getattr(upload, "size", None)
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            _("文件太大：最大 %(mb)s MB") % {"mb": settings.UPLOAD_MAX_MB}, code="too_large"
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("文件太大：最大 %(mb)s MB") % {"mb": settings.UPLOAD_MAX_MB}, code="too_large"
        )
    return data


def _reencoded_jpeg(data):
    """The image in `data` as a fresh JPEG without metadata, or ValidationError."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Turn the pixels the way the camera's EXIF says, then drop EXIF altogether.
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
                background = Image.new("RGB", image.size, "white")
                background.paste(image.convert("RGBA"), mask=image.convert("RGBA").split()[-1])
                image = background
            else:
                image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=PHOTO_QUALITY, optimize=True)
    except Exception as error:  # noqa: BLE001 - Pillow raises many kinds for bad input
        raise ValidationError(
            _("请上传照片（JPEG、PNG 等图片文件）"), code="not_an_image"
        ) from error
    return out.getvalue()


def clean_photo(upload):
    """An evidence photo as it will be stored: a re-encoded JPEG, or ValidationError."""
    if isinstance(upload, CleanFile):
        return upload
    return CleanFile(_reencoded_jpeg(_read_limited(upload)), name="photo.jpg")


def clean_resolution(upload):
    """An adoption resolution as it will be stored: the PDF as uploaded, or an image
    re-encoded like a photo; anything else is refused."""
    if isinstance(upload, CleanFile):
        return upload
    data = _read_limited(upload)
    if data.startswith(PDF_SIGNATURE):
        return CleanFile(data, name="resolution.pdf")
    try:
        return CleanFile(_reencoded_jpeg(data), name="resolution.jpg")
    except ValidationError as error:
        raise ValidationError(
            _("决议文件须为 PDF 或图片（JPEG、PNG 等）"), code="bad_resolution"
        ) from error


def _random_name(folder, filename):
    extension = posixpath.splitext(filename or "")[1].lower()
    if extension not in CONTENT_TYPES:
        extension = ".bin"
    return f"{timezone.localdate():{folder}}/{uuid.uuid4().hex}{extension}"


def evidence_upload_to(instance, filename):
    """evidence/YYYY/MM/<random>.jpg: the uploader's file name is never kept."""
    return _random_name("evidence/%Y/%m", filename)


def resolution_upload_to(instance, filename):
    """resolutions/YYYY/<random>.pdf|.jpg"""
    return _random_name("resolutions/%Y", filename)


def content_type(name):
    return CONTENT_TYPES.get(posixpath.splitext(name)[1].lower(), "application/octet-stream")


class PrivateFileStorage(FileSystemStorage):
    """MEDIA_ROOT on disk, with URLs of the view that checks who may see the file."""

    def url(self, name):
        return reverse("private_file", kwargs={"name": name})
