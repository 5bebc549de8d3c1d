"""Evidence files: recognised by content, stripped of metadata, encrypted, stored privately.

Files live under the instance folder with random names, never under ``static/``, and their
bytes are sealed with the same keys as the database fields, bound to their storage key.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from werkzeug.datastructures import FileStorage

from complaints_app.crypto import open_bytes, seal_bytes
from complaints_app.private_files import make_private_dir, write_private

MAX_PIXELS = 40_000_000


class UploadError(ValueError):
    """A file the app will not keep; the message is for the person who sent it."""


@dataclass(frozen=True)
class PreparedFile:
    """A checked, cleaned file, ready to be sealed and written."""

    original_name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(head: bytes) -> str | None:
    """The type a file really is, from its first bytes; None when not one we accept."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _clean_image(data: bytes, name: str, kind: str) -> bytes:
    """Re-encode an image from its pixels only: EXIF (GPS, camera, time), XMP, comments and
    text chunks do not survive. The picture is turned upright first, as the camera meant."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise UploadError(_("%(name)s is too large a picture.", name=name))
                img.load()
                upright = ImageOps.exif_transpose(img)
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
        ) as exc:
            if isinstance(exc, UploadError):
                raise
            raise UploadError(
                _("%(name)s could not be read as a picture. It may be damaged.", name=name)
            ) from exc
    upright.info = {}
    out = io.BytesIO()
    if kind == "image/jpeg":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return out.getvalue()


def _check_pdf(data: bytes, name: str) -> bytes:
    """Rewrite a PDF from its pages only: the document information (author, title, software)
    and XMP metadata do not survive. Password-protected or unreadable files are refused."""
    if b"%%EOF" not in data[-2048:]:
        raise UploadError(_("%(name)s is not a complete PDF file.", name=name))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadError(
                _("%(name)s is protected by a password. Please send it without one.", name=name)
            )
        writer = PdfWriter()
        for page in reader.pages:
            added = writer.add_page(page)
            for key in ("/Metadata", "/PieceInfo"):
                added.pop(key, None)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except UploadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise UploadError(
            _("%(name)s could not be read as a PDF. It may be damaged.", name=name)
        ) from exc
    return out.getvalue()


def prepare(upload: FileStorage) -> PreparedFile | None:
    """Check one uploaded file and clean it. None for an empty file input."""
    if upload is None or not upload.filename:
        return None
    name = os.path.basename(upload.filename.replace("\\", "/"))[:200] or "file"
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(
            _(
                "%(name)s is larger than %(size)s MB. Please send a smaller file.",
                name=name,
                size=limit // (1024 * 1024),
            )
        )
    if not data:
        raise UploadError(_("%(name)s is empty.", name=name))
    kind = sniff(data[:16])
    if kind is None:
        raise UploadError(
            _("%(name)s is not a PDF, JPEG or PNG file. Only those can be attached.", name=name)
        )
    cleaner = _check_pdf if kind == "application/pdf" else partial(_clean_image, kind=kind)
    return PreparedFile(original_name=name, content_type=kind, data=cleaner(data, name=name))


def new_storage_key() -> str:
    """A random name for a stored file; it says nothing about the file or the case."""
    return secrets.token_hex(20)


def _path(storage_key: str) -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    return root / storage_key[:2] / storage_key


class FileBatch:
    """Files written during one request; removed again unless the request commits."""

    def __init__(self) -> None:
        self.written: list[Path] = []

    def write(self, storage_key: str, data: bytes) -> None:
        """Seal and write one file atomically (temporary name, then rename)."""
        path = _path(storage_key)
        make_private_dir(path.parent)
        sealed = seal_bytes(data, "attachment", "file", storage_key)
        tmp = path.with_suffix(".part")
        self.written.append(tmp)
        write_private(tmp, sealed, sync=True)
        os.replace(tmp, path)
        self.written.append(path)

    def discard(self) -> None:
        """Remove everything this batch wrote."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()


@contextmanager
def file_batch() -> Iterator[FileBatch]:
    """Written files survive only if the block finishes and its transaction commits; an
    exception in the block, or a later rollback, removes them."""
    from complaints_app import uow

    batch = FileBatch()
    uow.on_rollback(batch.discard)
    try:
        yield batch
    except BaseException:
        batch.discard()
        raise


def read(storage_key: str) -> bytes:
    """The original (cleaned) bytes of a stored file."""
    return open_bytes(_path(storage_key).read_bytes(), "attachment", "file", storage_key)


def remove(storage_key: str) -> None:
    """Delete a stored file (retention, or a failed request)."""
    _path(storage_key).unlink(missing_ok=True)
