"""Files kept between a form with mistakes and the corrected form, so nothing is lost.

They are sealed like stored evidence, filed under a keyed hash of the form's one-time token
(only the browser holding that form can name them), and removed when the case is filed or,
for forms never sent again, after ``PENDING_FILES_HOURS``. One form keeps at most what one
submission may carry (``UPLOAD_MAX_FILES`` files, that many times ``UPLOAD_MAX_BYTES`` in
all), however often it is posted, and old folders are swept at most every few minutes by
whichever worker saves next (and by ``flask uploads sweep`` from cron).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import ngettext

from complaints_app.crypto import keyed_hash_candidates, open_bytes, seal_bytes
from complaints_app.private_files import make_private_dir, write_private
from complaints_app.services.uploads import PreparedFile, UploadError

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 5 * 60
STAMP = ".last-sweep"
NAMES_IN_MESSAGE = 5


@dataclass(frozen=True)
class PendingFile:
    id: str
    name: str


class LimitReached(UploadError):
    """Some files were not kept because the form already holds what one submission may
    carry; ``saved`` lists the ids of those that were kept before the limit."""

    def __init__(self, message: str, saved: list[str]) -> None:
        super().__init__(message)
        self.saved = saved


@dataclass
class SweepResult:
    forms: int = 0
    files: int = 0
    folders: list[Path] = field(default_factory=list, repr=False)


def _root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "pending"


def _folder(token: str) -> tuple[Path, str]:
    """The folder of this form's files: the one named under an older hash key if the form was
    first posted before a rotation, else the one named under the newest key."""
    root = _root()
    tags = [c.replace("$", "-")[:49] for c in keyed_hash_candidates("pending-files", token)]
    for tag in tags:
        if (root / tag).is_dir():
            return root / tag, tag
    return root / tags[0], tags[0]


def max_files() -> int:
    return int(current_app.config["UPLOAD_MAX_FILES"])


def max_bytes() -> int:
    """What one form may keep in all: as much as one submission may carry."""
    return max_files() * int(current_app.config["UPLOAD_MAX_BYTES"])


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` shared by every worker process on this machine (the
    folder itself is locked: no lock file is left behind)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _ids(folder: Path) -> list[int]:
    return sorted(int(p.stem) for p in folder.glob("*.bin") if p.stem.isdigit())


def _forget(folder: Path, file_id: str) -> None:
    for suffix in (".bin", ".meta"):
        (folder / f"{file_id}{suffix}").unlink(missing_ok=True)


def _fits(count: int, size: int) -> bool:
    """Whether a form holding ``count`` files and one more, ``size`` bytes in all (sealed),
    stays within what one submission may carry."""
    return count + 1 <= max_files() and size <= max_bytes()


def not_kept_message(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_IN_MESSAGE]) + ("…" if len(names) > NAMES_IN_MESSAGE else "")
    return ngettext(
        "%(num)d file was not kept (%(names)s): you can attach up to %(n)s files, "
        "%(mb)s MB in all. Untick a file you do not need to make room.",
        "%(num)d files were not kept (%(names)s): you can attach up to %(n)s files, "
        "%(mb)s MB in all. Untick files you do not need to make room.",
        len(names),
        names=shown,
        n=max_files(),
        mb=max_bytes() // (1024 * 1024),
    )


def save(token: str, files: list[PreparedFile], keep: list[str] | None = None) -> list[str]:
    """Keep cleaned files for this form until it is sent again; the ids of those kept, in
    order. The form never holds more than ``max_files()`` files or ``max_bytes()`` bytes:
    kept files the person has unticked (ids not in ``keep``, when given) make room first,
    and files beyond the limit are not written — ``LimitReached`` then names them and
    carries the ids that were kept. A failing disk leaves no half-written file (OSError)."""
    if not token or not files:
        return []
    folder, tag = _folder(token)
    make_private_dir(folder)
    refused: list[str] = []
    saved: list[str] = []
    # One lock per form: two posts of the same form at once cannot both pass the limit.
    with _locked(folder):
        ids = _ids(folder)
        sizes = {i: (folder / f"{i}.bin").stat().st_size for i in ids}
        # Files the person unticked make room, oldest first, but only when room is needed:
        # until then they can still be ticked again.
        spare = [i for i in ids if keep is not None and str(i) not in set(keep)]
        count, size = len(ids), sum(sizes.values())
        next_id = (ids[-1] + 1) if ids else 0
        written: list[Path] = []
        try:
            for prepared in files:
                n = str(next_id)
                sealed = seal_bytes(prepared.data, "pending", n, tag)
                while spare and not _fits(count, size + len(sealed)):
                    dropped = spare.pop(0)
                    _forget(folder, str(dropped))
                    count, size = count - 1, size - sizes[dropped]
                if not _fits(count, size + len(sealed)):
                    refused.append(prepared.original_name)
                    continue
                meta = json.dumps({"name": prepared.original_name, "type": prepared.content_type})
                for path, blob in (
                    (folder / f"{n}.bin", sealed),
                    (folder / f"{n}.meta", seal_bytes(meta.encode(), "pending-meta", n, tag)),
                ):
                    written.append(path)
                    write_private(path, blob)
                saved.append(n)
                next_id += 1
                count, size = count + 1, size + len(sealed)
        except OSError:
            # A full or failing disk: leave no half-written file behind.
            for path in written:
                path.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
            raise
    maybe_sweep()
    if refused:
        raise LimitReached(not_kept_message(refused), saved)
    return saved


def _read_meta(folder: Path, file_id: str, tag: str) -> dict | None:
    try:
        blob = (folder / f"{file_id}.meta").read_bytes()
    except FileNotFoundError:
        return None  # swept or unticked meanwhile
    return json.loads(open_bytes(blob, "pending-meta", file_id, tag))


def listing(token: str) -> list[PendingFile]:
    """Names of the files kept for this form, in the order they were added."""
    if not token:
        return []
    folder, tag = _folder(token)
    result = []
    for file_id in _ids(folder):
        info = _read_meta(folder, str(file_id), tag)
        if info is not None:
            result.append(PendingFile(id=str(file_id), name=info["name"]))
    return result


def load(token: str, keep: list[str]) -> list[PreparedFile]:
    """The kept files the person still wants, in the order they were added."""
    if not token:
        return []
    folder, tag = _folder(token)
    result = []
    for item in listing(token):
        if item.id not in keep:
            continue
        info = _read_meta(folder, item.id, tag)
        try:
            blob = (folder / f"{item.id}.bin").read_bytes()
        except FileNotFoundError:
            continue
        if info is None:
            continue
        data = open_bytes(blob, "pending", item.id, tag)
        result.append(PreparedFile(info["name"], info["type"], data))
    return result


def clear(token: str) -> None:
    """Forget every file kept for this form."""
    if token:
        shutil.rmtree(_folder(token)[0], ignore_errors=True)


def _last_change(folder: Path) -> float:
    """When anything in the folder last changed (the folder itself, or any file in it)."""
    times = [folder.stat().st_mtime]
    times.extend(p.stat().st_mtime for p in folder.iterdir())
    return max(times)


def sweep(now: float | None = None) -> SweepResult:
    """Remove the kept files of every form left unsent for more than
    ``PENDING_FILES_HOURS``; fresher ones stay. Safe to run from several processes."""
    result = SweepResult()
    root = _root()
    if not root.is_dir():
        return result
    cutoff = (now if now is not None else time.time()) - (
        float(current_app.config["PENDING_FILES_HOURS"]) * 3600
    )
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        try:
            if _last_change(folder) >= cutoff:
                continue
            files = len(list(folder.glob("*.bin")))
        except FileNotFoundError:
            continue  # removed by another process meanwhile
        shutil.rmtree(folder, ignore_errors=True)
        result.forms += 1
        result.files += files
        result.folders.append(folder)
    return result


def maybe_sweep() -> SweepResult | None:
    """Sweep if no process on this machine has done so for ``SWEEP_EVERY_SECONDS``. Worker
    processes agree through a stamp file's time, claimed under a lock, so at most one sweeps
    each interval and no timer thread is needed. Never raises: a failed sweep only waits
    for the next one."""
    root = _root()
    stamp = root / STAMP
    try:
        make_private_dir(root)
        fd = os.open(stamp, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # another worker is sweeping right now
            if time.time() - os.fstat(handle.fileno()).st_mtime < SWEEP_EVERY_SECONDS and (
                os.fstat(handle.fileno()).st_size > 0
            ):
                return None
            handle.seek(0)
            handle.truncate()
            handle.write(b"swept\n")
            handle.flush()
            os.utime(stamp)
            result = sweep()
    except OSError as exc:
        log.warning("kept files not swept: %s", type(exc).__name__)
        return None
    if result.forms:
        log.info("swept %s kept file(s) of %s abandoned form(s)", result.files, result.forms)
    return result
