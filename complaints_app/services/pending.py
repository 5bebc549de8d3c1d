"""Files kept between a form with mistakes and the corrected form, so nothing is lost.

They are sealed like stored evidence, filed under a keyed hash of the form's one-time token
(only the browser holding that form can name them), and removed when the case is filed or
after a day.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from complaints_app.crypto import keyed_hash_candidates, open_bytes, seal_bytes
from complaints_app.private_files import make_private_dir, write_private
from complaints_app.services.uploads import PreparedFile

MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PendingFile:
    id: str
    name: str


def _folder(token: str) -> tuple[Path, str]:
    """The folder of this form's files: the one named under an older hash key if the form was
    first posted before a rotation, else the one named under the newest key."""
    root = Path(current_app.config["UPLOAD_FOLDER"]) / "pending"
    tags = [c.replace("$", "-")[:49] for c in keyed_hash_candidates("pending-files", token)]
    for tag in tags:
        if (root / tag).is_dir():
            return root / tag, tag
    return root / tags[0], tags[0]


def save(token: str, files: list[PreparedFile]) -> None:
    """Keep cleaned files for this form until it is sent again."""
    if not token or not files:
        return
    folder, tag = _folder(token)
    make_private_dir(folder)
    existing = len(list(folder.glob("*.bin")))
    written: list[Path] = []
    try:
        for offset, prepared in enumerate(files):
            n = str(existing + offset)
            meta = json.dumps({"name": prepared.original_name, "type": prepared.content_type})
            for path, blob in (
                (folder / f"{n}.bin", seal_bytes(prepared.data, "pending", n, tag)),
                (folder / f"{n}.meta", seal_bytes(meta.encode(), "pending-meta", n, tag)),
            ):
                written.append(path)
                write_private(path, blob)
    except OSError:
        # A full or failing disk: leave no half-written file behind.
        for path in written:
            path.unlink(missing_ok=True)
        raise


def listing(token: str) -> list[PendingFile]:
    """Names of the files kept for this form."""
    if not token:
        return []
    folder, tag = _folder(token)
    result = []
    for meta in sorted(folder.glob("*.meta"), key=lambda p: int(p.stem)):
        info = json.loads(open_bytes(meta.read_bytes(), "pending-meta", meta.stem, tag))
        result.append(PendingFile(id=meta.stem, name=info["name"]))
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
        info = json.loads(
            open_bytes((folder / f"{item.id}.meta").read_bytes(), "pending-meta", item.id, tag)
        )
        data = open_bytes((folder / f"{item.id}.bin").read_bytes(), "pending", item.id, tag)
        result.append(PreparedFile(info["name"], info["type"], data))
    return result


def clear(token: str) -> None:
    """Forget every file kept for this form."""
    if token:
        shutil.rmtree(_folder(token)[0], ignore_errors=True)


def sweep(now: float | None = None) -> int:
    """Remove kept files of forms abandoned for more than a day. Returns folders removed."""
    root = Path(current_app.config["UPLOAD_FOLDER"]) / "pending"
    if not root.exists():
        return 0
    cutoff = (now or time.time()) - MAX_AGE_SECONDS
    removed = 0
    for folder in root.iterdir():
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
