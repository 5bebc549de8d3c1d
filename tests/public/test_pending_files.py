"""Files kept between attempts at a form: one form never holds more than one submission may
carry, however often it is posted, and kept files of forms left unsent are swept — by the
next worker that keeps a file (at most every few minutes, agreed between processes through a
stamp file) and by ``flask uploads sweep``."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from PIL import Image

from complaints_app.services import pending
from complaints_app.services.uploads import PreparedFile
from tests.helpers import (
    error_summary,
    hidden_fields,
    parse_page,
    post_complaint,
    receipt_of,
    valid_complaint,
)

DAY = 24 * 3600


def _png(i: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (i % 256, (i * 7) % 256, 90)).save(out, "PNG")
    return out.getvalue()


def _kept_on_disk(upload_dir: Path) -> dict[str, int]:
    """For each form folder: how many files it keeps (and check each has its metadata)."""
    root = upload_dir / "pending"
    if not root.exists():
        return {}
    result = {}
    for folder in root.iterdir():
        if folder.is_dir():
            bins = sorted(p.stem for p in folder.glob("*.bin"))
            assert bins == sorted(p.stem for p in folder.glob("*.meta"))
            result[folder.name] = len(bins)
    return result


def _kept_boxes(response) -> list[str]:
    page = parse_page(response.get_data(as_text=True))
    return [box.get("value") for box in page.find_all("input", name="keep_files")]


def _age(folder: Path, seconds: float) -> None:
    """Make a folder and everything in it look ``seconds`` old."""
    when = time.time() - seconds
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (when, when))


def test_repeated_invalid_posts_of_many_files_keep_at_most_one_submission(
    app, client, db, upload_dir
):
    limit = app.config["UPLOAD_MAX_FILES"]
    many = 12
    response = post_complaint(
        client,
        valid_complaint(),
        files=[(_png(i), f"first-{i}.png") for i in range(many)],
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    hrefs_and_messages = error_summary(page)
    (not_kept,) = [m for href, m in hrefs_and_messages if href == "#evidence"]
    assert not_kept.startswith(f"{many - limit} files were not kept (first-{limit}.png, ")
    assert f"you can attach up to {limit} files" in not_kept
    assert list(_kept_on_disk(upload_dir).values()) == [limit]

    # The same form again with every kept file still ticked: nothing more is kept.
    hidden = hidden_fields(response.get_data(as_text=True))
    second = post_complaint(
        client,
        valid_complaint(keep_files=_kept_boxes(response)),
        files=[(_png(100 + i), f"second-{i}.png") for i in range(many)],
        hidden=hidden,
    )
    assert second.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert f"{many} files were not kept" in second.get_data(as_text=True)
    assert list(_kept_on_disk(upload_dir).values()) == [limit]

    # And with none ticked: the new files replace the unticked ones, still within the cap.
    third = post_complaint(
        client,
        valid_complaint(),
        files=[(_png(200 + i), f"third-{i}.png") for i in range(many)],
        hidden=hidden,
    )
    assert third.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(_kept_on_disk(upload_dir).values()) == [limit]
    labels = [label.text for label in parse_page(third.get_data(as_text=True)).find_all("label")]
    assert [f"third-{i}.png" for i in range(limit)] == [n for n in labels if n.endswith(".png")]

    # The person can still file with what is kept.
    done = post_complaint(client, valid_complaint(keep_files=_kept_boxes(third)), hidden=hidden)
    receipt_of(done)
    assert _kept_on_disk(upload_dir) == {}


def test_one_form_keeps_no_more_bytes_than_one_submission(app):
    big = app.config["UPLOAD_MAX_BYTES"] * app.config["UPLOAD_MAX_FILES"] // 3 + 1
    files = [PreparedFile(f"{n}.pdf", "application/pdf", os.urandom(big)) for n in "abc"]

    with app.test_request_context():
        assert pending.save("form-token-bytes", files[:2]) == ["0", "1"]
        with pytest.raises(pending.LimitReached) as refused:
            pending.save("form-token-bytes", files[2:])
        assert refused.value.saved == []
        assert str(refused.value).startswith("1 file was not kept (c.pdf)")
        kept = pending.listing("form-token-bytes")
        assert [f.name for f in kept] == ["a.pdf", "b.pdf"]
        # Unticking one makes room; the ticked one is kept, and read back whole.
        assert pending.save("form-token-bytes", files[2:], keep=["1"]) == ["2"]
        loaded = pending.load("form-token-bytes", ["1", "2"])
        assert [(f.original_name, f.data) for f in loaded] == [
            ("b.pdf", files[1].data),
            ("c.pdf", files[2].data),
        ]


def test_unticked_files_stay_until_room_is_needed(app):
    files = [PreparedFile(f"{n}.png", "image/png", _png(n)) for n in range(3)]
    with app.test_request_context():
        pending.save("form-token-room", files[:2])
        pending.save("form-token-room", files[2:], keep=["1"])
        # Room was there: the unticked file 0 can still be ticked again.
        assert [f.id for f in pending.listing("form-token-room")] == ["0", "1", "2"]


def _form_with_a_kept_file(app) -> tuple[object, dict, Path]:
    """A browser whose form came back with a mistake and one kept file; its folder."""
    before = set(_kept_on_disk(Path(app.config["UPLOAD_FOLDER"])))
    browser = app.test_client()
    response = post_complaint(
        browser, valid_complaint(consent=None), files=[(_png(1), "photo.png")]
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    (tag,) = set(_kept_on_disk(Path(app.config["UPLOAD_FOLDER"]))) - before
    return browser, response, Path(app.config["UPLOAD_FOLDER"]) / "pending" / tag


def test_sweep_command_removes_old_kept_files_and_leaves_fresh_ones(app, db, upload_dir):
    _old_browser, _old_page, old = _form_with_a_kept_file(app)
    fresh_browser, fresh_page, fresh = _form_with_a_kept_file(app)
    _age(old, DAY + 60)
    _age(fresh, DAY - 600)

    result = app.test_cli_runner().invoke(args=["uploads", "sweep"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 kept file(s) of 1 form(s) left unsent for more than 24 hours." in (
        result.output
    )
    assert not old.exists()
    assert fresh.exists()
    # The fresh form still files with its kept file.
    done = post_complaint(
        fresh_browser,
        valid_complaint(keep_files=_kept_boxes(fresh_page)),
        hidden=hidden_fields(fresh_page.get_data(as_text=True)),
    )
    receipt_of(done)


def test_sweep_command_with_nothing_kept(app, db):
    result = app.test_cli_runner().invoke(args=["uploads", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Removed 0 kept file(s) of 0 form(s)" in result.output


def test_sweep_follows_the_configured_age(app, db, monkeypatch):
    _browser, _page, folder = _form_with_a_kept_file(app)
    _age(folder, 3 * 3600)
    monkeypatch.setitem(app.config, "PENDING_FILES_HOURS", 4)
    app.test_cli_runner().invoke(args=["uploads", "sweep"])
    assert folder.exists()
    monkeypatch.setitem(app.config, "PENDING_FILES_HOURS", 2)
    app.test_cli_runner().invoke(args=["uploads", "sweep"])
    assert not folder.exists()


def _set_stamp(upload_dir: Path, seconds_ago: float) -> Path:
    stamp = upload_dir / "pending" / pending.STAMP
    stamp.write_bytes(b"swept\n")
    when = time.time() - seconds_ago
    os.utime(stamp, (when, when))
    return stamp


def test_keeping_a_file_sweeps_old_forms_when_no_sweep_ran_for_a_while(app, db, upload_dir):
    _browser, _page, old = _form_with_a_kept_file(app)
    _age(old, DAY + 60)
    stamp = _set_stamp(upload_dir, pending.SWEEP_EVERY_SECONDS + 30)

    _form_with_a_kept_file(app)

    assert not old.exists()
    assert time.time() - stamp.stat().st_mtime < 60


def test_keeping_a_file_does_not_sweep_again_within_minutes(app, db, upload_dir):
    _browser, _page, old = _form_with_a_kept_file(app)
    _age(old, DAY + 60)
    _set_stamp(upload_dir, pending.SWEEP_EVERY_SECONDS - 60)

    _form_with_a_kept_file(app)

    assert old.exists()


def test_no_sweep_while_another_process_holds_the_stamp(app, db, upload_dir):
    _browser, _page, old = _form_with_a_kept_file(app)
    _age(old, DAY + 60)
    stamp = _set_stamp(upload_dir, pending.SWEEP_EVERY_SECONDS + 30)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "f = open(sys.argv[1], 'a+b'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('locked', flush=True); time.sleep(30)",
            str(stamp),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with app.test_request_context():
            assert pending.maybe_sweep() is None
        assert old.exists()
    finally:
        holder.kill()
        holder.wait()
    with app.test_request_context():
        swept = pending.maybe_sweep()
    assert swept is not None and swept.forms == 1
    assert not old.exists()
