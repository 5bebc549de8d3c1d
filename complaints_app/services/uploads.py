"""Evidence files: recognised by content, rebuilt from pixels, encrypted, stored privately.

Every file is opened in a child process with memory, CPU-time and wall-clock limits
(``sanitiser.py``), so a hostile PDF or picture can exhaust only that child: PDFs are rendered
page by page and rebuilt from the pictures (as Dangerzone does), pictures are re-encoded from
their pixels. Nothing of the original's objects, metadata or active content is kept.

Files live under the instance folder with random names, never under ``static/``, and their
bytes are sealed with the same keys as the database fields, bound to their storage key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from complaints_app.crypto import open_bytes, seal_bytes
from complaints_app.private_files import make_private_dir, write_private

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000  # a picture larger than this is refused (decompression bombs)
PDF_DPI = 150  # resolution PDF pages are rendered at: text stays readable
PAGE_PIXELS = 12_000_000  # larger pages (declared sizes run to miles) render coarser
NAME_MAX_CHARS = 120
CHILD_PROGRAM = Path(__file__).with_name("sanitiser.py")

EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}

# Characters dropped from file names: controls (C0, DEL, C1), format characters (bidi
# embeddings, overrides, isolates and marks, zero-width joiners and spaces, the BOM),
# surrogates, private-use and unassigned code points, line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")


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


def clean_name(raw: str | None, fallback: str = "file") -> str:
    """A file name safe to store, show and send back: NFC, without control, bidirectional
    or zero-width characters, without any directory part, on one line, at most
    ``NAME_MAX_CHARS`` characters (the extension kept), never empty (``fallback`` then)."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(
        " " if ch in _SPACES else ch
        for ch in text
        if ch in _SPACES or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    # Only the last part of a path is a name ("..\\..\\evil", "/etc/passwd").
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # Leading dots would hide the file, trailing dots and spaces are lost on Windows.
    text = " ".join(text.split()).strip(" .")
    if len(text) > NAME_MAX_CHARS:
        stem, ext = os.path.splitext(text)
        if 1 < len(ext) <= 16:
            text = stem[: NAME_MAX_CHARS - len(ext)].rstrip(" .") + ext
        else:
            text = text[:NAME_MAX_CHARS].rstrip(" .")
    # Removing a joiner can leave a letter and its accent apart: compose them again.
    return unicodedata.normalize("NFC", text) or fallback


def download_name(stored_name: str | None, fallback: str, content_type: str | None = None) -> str:
    """The name to offer when a stored file is downloaded. Whatever was stored (names kept
    before cleaning existed included), the result is a clean one-line name that a
    Content-Disposition header can carry, never empty, and it ends with the extension of
    the file's real type, so the name cannot pass a picture off as a program."""
    name = clean_name(stored_name, fallback=clean_name(fallback, "evidence"))
    # Quotes are legal in names but some clients split the header on them.
    name = name.replace('"', "'")
    extensions = EXTENSIONS.get(content_type or "")
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name


def _settings(kind: str) -> dict:
    config = current_app.config
    return {
        "kind": kind,
        "memory_mb": config["UPLOAD_SANDBOX_MEMORY_MB"],
        "cpu_seconds": config["UPLOAD_SANDBOX_CPU_SECONDS"],
        "max_pages": config["UPLOAD_MAX_PDF_PAGES"],
        "dpi": PDF_DPI,
        "page_pixels": PAGE_PIXELS,
        "max_pixels": MAX_PIXELS,
        # A rebuilt file may be larger than its original (pages become pictures), not
        # without bound.
        "max_output_bytes": 4 * config["UPLOAD_MAX_BYTES"],
    }


def _refusal(reason: str, name: str, kind: str, detail: dict) -> UploadError:
    """The message for a file the child refused or could not finish."""
    pdf = kind == "application/pdf"
    if reason == "password":
        return UploadError(
            _("%(name)s is protected by a password. Please send it without one.", name=name)
        )
    if reason == "pages":
        return UploadError(
            _(
                "%(name)s has %(pages)s pages; at most %(max)s pages can be attached. "
                "Please send only the pages that matter, or split it into several files.",
                name=name,
                pages=detail.get("pages", "?"),
                max=current_app.config["UPLOAD_MAX_PDF_PAGES"],
            )
        )
    if reason == "too_many_pixels":
        return UploadError(_("%(name)s is too large a picture.", name=name))
    if reason == "damaged":
        if pdf:
            return UploadError(
                _("%(name)s could not be read as a PDF. It may be damaged.", name=name)
            )
        return UploadError(
            _("%(name)s could not be read as a picture. It may be damaged.", name=name)
        )
    if reason == "time":
        if pdf:
            return UploadError(
                _(
                    "%(name)s took too long to open safely, so it was not attached. Please "
                    "try a simpler copy, such as a scan or photos of the pages.",
                    name=name,
                )
            )
        return UploadError(
            _(
                "%(name)s took too long to open safely, so it was not attached. Please try "
                "a smaller copy of the picture.",
                name=name,
            )
        )
    # "memory", "result_too_large" or a child that died.
    if pdf:
        return UploadError(
            _(
                "%(name)s is too large or too complex to open safely, so it was not "
                "attached. Please try a simpler copy, such as a scan or photos of the pages.",
                name=name,
            )
        )
    return UploadError(
        _(
            "%(name)s is too large or too complex to open safely, so it was not attached. "
            "Please try a smaller copy of the picture.",
            name=name,
        )
    )


def _sanitise(data: bytes, name: str, kind: str) -> bytes:
    """Rebuild ``data`` in a limited child process; the cleaned bytes, or UploadError
    with a message saying why not. The web process never parses the file itself."""
    settings = _settings(kind)
    try:
        done = subprocess.run(  # noqa: S603 — our own program, no shell, no user input in argv
            [sys.executable, "-I", "-B", str(CHILD_PROGRAM), json.dumps(settings)],
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=current_app.config["UPLOAD_SANDBOX_SECONDS"],
            # The child inherits no secret from the environment.
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            cwd="/",
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("upload refused: %s took longer than the wall-clock limit", kind)
        raise _refusal("time", name, kind, {}) from None
    except OSError as exc:
        log.error("upload checker could not start: %s", type(exc).__name__)
        raise UploadError(
            _("%(name)s could not be checked just now. Please try again.", name=name)
        ) from exc
    header, _nl, body = done.stdout.partition(b"\n")
    try:
        result = json.loads(header) if done.returncode == 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        cpu = done.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
        log.warning("upload refused: %s child ended with status %s", kind, done.returncode)
        raise _refusal("time" if cpu else "crashed", name, kind, {})
    if not result.get("ok"):
        reason = str(result.get("reason"))
        log.info("upload refused: %s %s", kind, reason)
        raise _refusal(reason, name, kind, result)
    return body


def prepare(upload: FileStorage) -> PreparedFile | None:
    """Check one uploaded file and rebuild it clean. None for an empty file input; an
    UploadError whose message names the file and says why it was refused."""
    if upload is None or not upload.filename:
        return None
    name = clean_name(upload.filename)
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
    if kind == "application/pdf" and b"%%EOF" not in data[-2048:]:
        raise UploadError(_("%(name)s is not a complete PDF file.", name=name))
    return PreparedFile(original_name=name, content_type=kind, data=_sanitise(data, name, kind))


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
