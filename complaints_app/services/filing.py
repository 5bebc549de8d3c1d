"""Filing a complaint from a form, whoever files it: the resident's form, staff intake, and
next the advocates' form and the API.

One attempt covers what a person expects of a long form: every file they attached is checked
and kept for the corrected form if anything else is wrong; posting the same one-time form twice
files one case and gives the same receipt; and if storing fails, nothing is half-kept and they
get their text back. Nothing here commits: the request does, and the kept files are cleared
only once it has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.datastructures import FileStorage

from complaints_app import uow
from complaints_app.services import intake, pending, uploads
from complaints_app.services.intake import IntakeData, Receipt
from complaints_app.services.pending import PendingFile

log = logging.getLogger(__name__)


@dataclass
class Attempt:
    """What became of one post of a complaint form."""

    receipt: Receipt | None = None
    # Files kept for the next attempt, and which of them the person still wants.
    kept: list[PendingFile] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    # Messages for the evidence field (refused files, too many files).
    file_errors: list[str] = field(default_factory=list)
    # Storing failed: nothing was kept, the person is asked to send again.
    not_saved: bool = False
    files_lost: bool = False

    @property
    def filed(self) -> bool:
        return self.receipt is not None


def earlier_receipt(token: str) -> Receipt | None:
    """The receipt of a case already filed with this one-time form token."""
    return intake.existing_receipt(token) if token else None


def kept_files(token: str) -> list[PendingFile]:
    """Files kept from earlier attempts of this form."""
    return pending.listing(token) if token else []


def prepare_files(
    files: Iterable[FileStorage],
) -> tuple[list[uploads.PreparedFile], list[str]]:
    """Check and clean each attached file: the accepted ones, and a message per refused one."""
    prepared: list[uploads.PreparedFile] = []
    errors: list[str] = []
    for upload in files:
        try:
            item = uploads.prepare(upload)
        except uploads.UploadError as exc:
            errors.append(str(exc))
            continue
        if item is not None:
            prepared.append(item)
    return prepared, errors


def stage_files(*, token: str, files: Iterable[FileStorage], keep: Iterable[str]) -> Attempt:
    """Check and clean newly attached files and keep them for this form beside the kept files
    still wanted (``keep``), within what one submission may carry. Returns the files kept, the
    ones still wanted (new ones included) and a message per file refused; ``not_saved`` if the
    disk failed (then nothing new was kept)."""
    result = Attempt(kept=kept_files(token))
    known = {f.id for f in result.kept}
    result.keep = [k for k in keep if k in known]
    limit = current_app.config["UPLOAD_MAX_FILES"]
    files = [f for f in files if f and f.filename]
    room = max(0, limit - len(result.keep))
    if len(files) > room:
        # Each file is opened in a child process: never more than fit in one submission.
        result.file_errors.append(
            pending.not_kept_message([uploads.clean_name(f.filename) for f in files[room:]])
        )
        files = files[:room]
    new_files, errors = prepare_files(files)
    result.file_errors.extend(errors)
    if new_files:
        try:
            saved = pending.save(token, new_files, result.keep)
        except pending.LimitReached as exc:
            saved = exc.saved
            result.file_errors.append(str(exc))
        except OSError as exc:
            log.error("attached files not kept: %s", type(exc).__name__)
            result.not_saved = result.files_lost = True
            return result
        result.kept = kept_files(token)
        result.keep = result.keep + list(saved)
    if len(result.keep) > limit:
        result.file_errors.append(
            _("You can attach up to %(n)s files. Please remove some.", n=limit)
        )
    return result


def attempt(
    *,
    token: str,
    valid: bool,
    files: Iterable[FileStorage],
    keep: Iterable[str],
    data: Callable[[list[uploads.PreparedFile]], IntakeData],
) -> Attempt:
    """One post of a complaint form whose fields were checked (``valid``). ``keep`` names
    kept files the person left ticked; ``data`` builds the filing from the files to attach.
    Returns the receipt when the case is filed (or was filed by an earlier post of the same
    form), else what to show again."""
    earlier = earlier_receipt(token)
    if earlier is not None:
        return Attempt(receipt=earlier)

    result = stage_files(token=token, files=files, keep=keep)
    if result.not_saved:
        return result
    if not valid or result.file_errors:
        return result

    try:
        with uploads.file_batch() as batch:
            result.receipt = intake.submit(data(pending.load(token, result.keep)), batch)
    except IntegrityError:
        # The same form posted twice at once: the other request filed it.
        uow.discard()
        result.receipt = earlier_receipt(token)
        result.not_saved = result.receipt is None
        return result
    except (SQLAlchemyError, OSError) as exc:
        # The database or the disk failed part-way: the transaction rolled back and the batch
        # removed its files; the person keeps everything they entered.
        log.error("complaint not saved: %s", type(exc).__name__)
        uow.discard()
        result.not_saved = True
        return result
    uow.after_commit(lambda: pending.clear(token))
    return result
