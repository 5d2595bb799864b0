"""Uploaded files: what may be uploaded, under which name it is stored, and its URL.

Two kinds of upload exist, both private:

- evidence photos of score events (`ScoreEvent.evidence`): images only, verified and
  re-encoded by Pillow as JPEG, so EXIF (GPS position, camera, time) is gone;
- adoption resolutions of standards (`StandardAdoption.resolution`): a PDF (checked by
  its ``%PDF-`` signature) or an image (re-encoded like a photo).

Both are at most `UPLOAD_MAX_MB` megabytes and are stored under a random name, never
the uploader's. There is no media URL: `PrivateFileStorage.url()` points at
`pinghu_points.file_views.private_file`, which serves a file only to a user who may see the
object it belongs to (docs/deployment.md, "Uploaded files").
"""

import contextlib
import io
import logging
import os
import posixpath
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Photos are scaled down to fit this square; a phone photo keeps plenty of detail.
PHOTO_MAX_SIDE = 2560
PHOTO_QUALITY = 85
# Only the first frame is kept; an "animation" of more frames than this is refused unread.
# (Some phones store a second, small frame with a JPEG: a depth or HDR map.)
PHOTO_MAX_FRAMES = 16
EXIF_ORIENTATION = 0x0112
SPOOL_MAX_MEMORY_BYTES = 256 * 1024


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


class CleanFile(File):
    """An upload that passed the checks and was rewritten; checking it again is a no-op."""

    def __init__(self, content, name):
        super().__init__(_spooled(content), name=name)


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


def _too_many_pixels(size=None):
    limit = settings.PHOTO_MAX_PIXELS // 10_000
    if size is None:  # Pillow itself refused to open it (above twice its own limit)
        message = _("照片太大：超过 %(limit)s 万像素，没有保存。请用相机的普通模式重新拍照") % {
            "limit": limit
        }
    else:
        message = _(
            "照片太大：%(width)s×%(height)s 像素，最多 %(limit)s 万像素，没有保存。"
            "请用相机的普通模式重新拍照"
        ) % {"width": size[0], "height": size[1], "limit": limit}
    return ValidationError(message, code="too_many_pixels")


def _measured(image):
    """Refuse an opened (not yet decoded) image whose header promises too much.

    `Image.open` reads only the header: the size and the mode are known, no pixel is. The
    first frame is the only one ever decoded; the frame count is bounded too, since only
    walking the frames (without decoding them) finds it for GIF and TIFF.
    """
    width, height = image.size
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise _too_many_pixels(image.size)
    frames = getattr(image, "n_frames", 1)
    if frames > PHOTO_MAX_FRAMES:
        raise ValidationError(
            _("照片不能是动画（这张有 %(frames)s 帧），请上传一张普通照片") % {"frames": frames},
            code="too_many_frames",
        )


def _exif_turn(orientation):
    from PIL import Image

    turn = Image.Transpose
    return {
        2: turn.FLIP_LEFT_RIGHT,
        3: turn.ROTATE_180,
        4: turn.FLIP_TOP_BOTTOM,
        5: turn.TRANSPOSE,
        6: turn.ROTATE_270,
        7: turn.TRANSVERSE,
        8: turn.ROTATE_90,
    }.get(orientation)


def _kept_size(size):
    scale = min(1, PHOTO_MAX_SIDE / max(size))
    return (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))


def _replaced(old, new):
    # `close` frees a picture's pixels at once, whoever still holds the object.
    if new is not old:
        old.close()
    return new


def _opaque(image):
    """The decoded image without transparency (on white), in a mode that scales directly.

    Done before scaling: Pillow scales a transparent image through a premultiplied copy,
    which costs more memory and time than putting it on white once. A transparent picture
    is pasted onto white by its own alpha, without a copy of its colours, and every
    picture is closed as soon as the next exists: the peak is 7 bytes a pixel.
    """
    from PIL import Image

    if image.mode in ("P", "PA", "La", "RGBa"):
        transparent = image.mode != "P" or "transparency" in image.info
        image = _replaced(image, image.convert("RGBA" if transparent else "RGB"))
    if image.mode in ("RGBA", "LA"):
        opaque = Image.new("RGB", image.size, "white")
        opaque.paste(image, (0, 0), image)
        return _replaced(image, opaque)
    if image.mode not in ("RGB", "L", "CMYK"):
        return _replaced(image, image.convert("RGB"))
    return image


def _reencoded_jpeg(data):
    """The image in `data` as a fresh JPEG without metadata, or ValidationError.

    The image is measured from its header before any pixel is decoded (`_measured`): a
    small file that claims 12000×12000 pixels is refused without the 400 MB its pixels
    would take. What is decoded is at most `PHOTO_MAX_PIXELS` pixels of one frame, at
    most 4 bytes each; a JPEG is decoded at a reduced scale already (`draft`) when it is
    larger than what is kept, and the picture is scaled down before anything else copies
    it, so one photo's peak memory is about one decoded frame.
    """
    from PIL import Image

    # Our own limit, checked first, is below Pillow's: its warning would only be noise.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            _measured(probe)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format in ("JPEG", "MPO"):
                # Decoded at 1/2, 1/4 or 1/8 of its size when that is still at least
                # what is kept: fewer pixels in memory, less time.
                image.draft("RGB", _kept_size(image.size))
            image.load()
            # Turned the way the camera's EXIF says (after scaling: a turn copies the
            # pixels), then EXIF is dropped altogether.
            turn = _exif_turn(image.getexif().get(EXIF_ORIENTATION))
            image = _opaque(image)
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            if turn is not None:
                image = _replaced(image, image.transpose(turn))
            image = _replaced(image, image.convert("RGB"))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=PHOTO_QUALITY, optimize=True)
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except Exception as error:  # noqa: BLE001 - Pillow raises many kinds for bad input
        raise ValidationError(
            _("请上传照片（JPEG、PNG 等图片文件）"), code="not_an_image"
        ) from error
    return out.getvalue()


def _spooled(data):
    # The re-encoded photos of a whole send wait here until their rows are written: on
    # disk (a temporary file) beyond a small size, so fifty photos do not add up in memory.
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY_BYTES)
    spooled.write(data)
    spooled.seek(0)
    return spooled


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
        if error.code != "not_an_image":
            raise
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


# --- A file only with its row ------------------------------------------------------------
#
# A file is written while its row is saved (Django's FileField writes it in the model's
# `save`), so inside the row's transaction. If that transaction rolls back — the same door
# batch sent twice at once meets the unique client id, the disk fills up at the second
# photo — the rows are gone and so must the files be: `stored_with_rows` is
# `transaction.atomic` that removes again every file stored inside it when it does not
# commit. Each service that stores a file runs in it. A process killed between the write
# and the commit still leaves its file: `manage.py remove_unreferenced_files` finds those.

_local = threading.local()


def _open_blocks():
    if not hasattr(_local, "blocks"):
        _local.blocks = []
    return _local.blocks


@contextlib.contextmanager
def stored_with_rows(using=None):
    """`transaction.atomic` for writes that store files: if the block does not commit, the
    files it stored are removed. Nested in another such block, its files are handed to the
    outer one, which alone decides (its rollback removes them too). It must be the
    outermost transaction that stores files: inside a plain `transaction.atomic` that later
    rolls back, its files would stay (Django has no rollback hook) until
    `remove_unreferenced_files` finds them."""
    blocks = _open_blocks()
    written = []
    blocks.append(written)
    committed = False
    try:
        with transaction.atomic(using=using):
            yield
        committed = True
    finally:
        blocks.pop()
        if not committed:
            _remove(written)
        elif blocks:
            blocks[-1].extend(written)


def _remove(names):
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("a file of a rolled-back write could not be removed: %s", name)


class PrivateFileStorage(FileSystemStorage):
    """MEDIA_ROOT on disk, with URLs of the view that checks who may see the file.

    A file is written whole or not at all: a write that fails (the disk is full) removes
    what it wrote; and it is reported to the enclosing `stored_with_rows` block.
    """

    def url(self, name):
        return reverse("private_file", kwargs={"name": name})

    def _save(self, name, content):
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            full_path = self.path(name)
            os.makedirs(os.path.dirname(full_path), exist_ok=True)
            try:
                descriptor = os.open(full_path, flags, 0o666)
            except FileExistsError:
                name = self.get_available_name(name)
                continue
            except FileNotFoundError:
                continue  # remove_unreferenced_files removed the empty folder meanwhile
            break
        try:
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                handle.flush()
                # A full disk may only say so now (delayed allocation): before the row.
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(full_path)
            raise
        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        name = os.path.relpath(full_path, self.location).replace("\\", "/")
        blocks = _open_blocks()
        if blocks:
            blocks[-1].append(name)
        return name


# --- Files no row names ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to MEDIA_ROOT, with forward slashes
    size: int
    modified: float  # seconds since the epoch


def referenced_names():
    """Every file name a row holds, in every FileField stored in MEDIA_ROOT."""
    from django.apps import apps
    from django.db import models

    names = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) and isinstance(field.storage, FileSystemStorage):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .exclude(**{f"{field.name}__isnull": True})
                    .values_list(field.name, flat=True)
                    .iterator()
                )
    return names


def unreferenced_files(*, min_age_seconds, now=None):
    """Files under MEDIA_ROOT that no row names, older than `min_age_seconds` (a younger
    one may belong to a write whose transaction has not committed yet), by name."""
    root = os.fspath(settings.MEDIA_ROOT)
    now = time.time() if now is None else now
    # Rows are read after the walk: a file and its row committed meanwhile count as named.
    found = []
    for directory, _subdirectories, names in os.walk(root):
        for file_name in names:
            path = os.path.join(directory, file_name)
            try:
                status = os.stat(path)
            except FileNotFoundError:
                continue
            if now - status.st_mtime < min_age_seconds:
                continue
            name = os.path.relpath(path, root).replace(os.sep, "/")
            found.append(StoredFile(name, status.st_size, status.st_mtime))
    named = referenced_names()
    return sorted((file for file in found if file.name not in named), key=lambda f: f.name)


def remove_unreferenced(files_found):
    """Remove the files found by `unreferenced_files` that still no row names; returns the
    ones removed. Empty folders left behind are removed too (MEDIA_ROOT itself is kept)."""
    root = os.fspath(settings.MEDIA_ROOT)
    named = referenced_names()
    removed = []
    for file in files_found:
        if file.name in named:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, *file.name.split("/")))
            removed.append(file)
    for directory, _subdirectories, _names in os.walk(root, topdown=False):
        if directory != root:
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(directory)
    return removed
