"""Folders and files that only the app's own user can read.

Every place that creates the SQLite database, the generated secrets, uploaded evidence or
files kept between two posts of a form goes through here, so none of them depends on the
process umask being strict.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and any missing parent with mode 0700. Folders that already exist
    are left as they are (a parent such as /var/lib is not the app's to change)."""
    folder = Path(path)
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another worker
        # mkdir's mode is filtered by the umask; say it again so it is exact.
        os.chmod(candidate, DIR_MODE)
    return folder


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create an empty ``path`` with mode 0600 unless it exists (then leave it unchanged)."""
    make_private_dir(Path(path).parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def write_private(path: str | os.PathLike[str], data: bytes, *, sync: bool = False) -> None:
    """Write a new file ``path`` holding ``data``, mode 0600 from its first byte. Refuses to
    overwrite: callers write under a fresh name and rename."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
