"""Evidence files on the complaint form: recognised by their content, cleaned of hidden
information, stored encrypted under random names outside ``static/``, and never lost when the
form has to be sent again."""

from __future__ import annotations

import hashlib
import io
import os
from http import HTTPStatus
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from complaints_app.models import Attachment, Complaint
from complaints_app.services import pending, uploads
from tests.helpers import (
    STEP_URL,
    error_summary,
    hidden_fields,
    jpeg_with_gps,
    parse_page,
    png_with_text,
    post_complaint,
    receipt_of,
    small_pdf,
    valid_complaint,
)

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def noisy_jpeg(size: tuple[int, int] = (160, 120)) -> bytes:
    """A JPEG whose scan data is most of the file, so that cutting it damages the picture."""
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def small_png(colour: tuple[int, int, int] = (0, 128, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _attachments(db) -> list[Attachment]:
    return list(db.session.execute(select(Attachment).order_by(Attachment.id)).scalars())


def _kept(page) -> list[tuple[str, str, bool]]:
    """The files the form says it keeps: (value, file name, ticked)."""
    result = []
    for box in page.find_all("input", name="keep_files"):
        label = page.find("label", **{"for": box.get("id")})
        result.append((box.get("value"), label.text, "checked" in box.attrs))
    return result


def _files_page(client):
    """The form's files step, which lists the files kept for it."""
    return parse_page(client.get(STEP_URL.format("files")).get_data(as_text=True))


def _stored_files(folder: Path) -> list[Path]:
    """Every file under the upload folder but the (empty of content) sweep stamp."""
    return [p for p in folder.rglob("*") if p.is_file() and p.name != pending.STAMP]


def test_file_type_is_recognised_by_content_not_name(client, db):
    response = post_complaint(client, files=[(png_with_text(), "scan.pdf")])

    assert response.status_code == HTTPStatus.OK
    attachment = db.session.execute(select(Attachment)).scalar_one()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "scan.pdf"
    assert uploads.read(attachment.storage_key).startswith(PNG_MAGIC)


def _too_big(app) -> bytes:
    limit = app.config["UPLOAD_MAX_BYTES"]
    return b"%PDF-1.4\n" + b"0" * limit + b"\n%%EOF\n"


def _too_big_message(app) -> str:
    mb = app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
    return f"big.pdf is larger than {mb} MB. Please send a smaller file."


REFUSED = [
    pytest.param(
        b"Notes: the officer asked where I was born.\n",
        "photo.jpg",
        "photo.jpg is not a PDF, JPEG or PNG file. Only those can be attached.",
        id="text-named-jpg",
    ),
    pytest.param(b"", "empty.pdf", "empty.pdf is empty.", id="empty"),
    pytest.param(_too_big, "big.pdf", _too_big_message, id="over-max-bytes"),
    pytest.param(
        lambda app: (lambda whole: whole[: len(whole) // 2])(noisy_jpeg()),
        "broken.jpg",
        "broken.jpg could not be read as a picture. It may be damaged.",
        id="truncated-jpeg",
    ),
    pytest.param(
        small_pdf()[:-7],
        "cut.pdf",
        "cut.pdf is not a complete PDF file.",
        id="pdf-without-end",
    ),
]


@pytest.mark.parametrize(("content", "name", "message"), REFUSED)
def test_unacceptable_file_is_refused_with_message_naming_it(
    app, client, db, upload_dir, content, name, message
):
    content = content(app) if callable(content) else content
    message = message(app) if callable(message) else message

    response = post_complaint(client, files=[(content, name)])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [("#evidence", message)]
    assert message in page.find(id="evidence-error").text
    assert _kept(page) == []
    assert _count(db, Complaint) == 0
    assert _count(db, Attachment) == 0
    assert _stored_files(upload_dir) == []


def test_more_than_max_files_keeps_the_first_ones_and_says_which_were_not_kept(app, client, db):
    limit = app.config["UPLOAD_MAX_FILES"]
    files = [(small_png((i * 20, 0, 0)), f"picture-{i}.png") for i in range(limit + 1)]

    response = post_complaint(client, files=files)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    mb = limit * app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)
    message = (
        f"1 file was not kept (picture-{limit}.png): you can attach up to {limit} files, "
        f"{mb} MB in all. Untick a file you do not need to make room."
    )
    assert error_summary(page) == [("#evidence", message)]
    assert _count(db, Complaint) == 0

    kept = _kept(page)
    assert [name for _, name, _ in kept] == [name for _, name in files[:limit]]
    assert all(ticked for _, _, ticked in kept)
    again = post_complaint(
        client,
        valid_complaint(keep_files=[value for value, _, _ in kept]),
        hidden=hidden_fields(response.get_data(as_text=True)),
    )

    assert again.status_code == HTTPStatus.OK
    assert [a.original_name for a in _attachments(db)] == [n for _, n in files[:limit]]


def test_unticking_a_kept_file_makes_room_for_a_new_one(app, client, db):
    limit = app.config["UPLOAD_MAX_FILES"]
    files = [(small_png((i * 20, 0, 0)), f"picture-{i}.png") for i in range(limit)]
    response = post_complaint(client, valid_complaint(consent=None), files=files)
    kept = _kept(_files_page(client))
    assert len(kept) == limit

    again = post_complaint(
        client,
        valid_complaint(keep_files=[value for value, _, _ in kept[1:]]),
        files=[(small_png((0, 0, 200)), "replacement.png")],
        hidden=hidden_fields(response.get_data(as_text=True)),
    )

    assert again.status_code == HTTPStatus.OK
    assert [a.original_name for a in _attachments(db)] == [
        *(n for _, n in files[1:]),
        "replacement.png",
    ]


def test_jpeg_is_stored_without_exif_gps_camera_or_comment(client, db):
    original = jpeg_with_gps()
    assert b"SecretCameraMaker" in original and b"private comment" in original

    assert post_complaint(client, files=[(original, "photo.jpg")]).status_code == HTTPStatus.OK

    attachment = db.session.execute(select(Attachment)).scalar_one()
    stored = uploads.read(attachment.storage_key)
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert img.size == (64, 48)
        exif = img.getexif()
        assert len(exif) == 0
        assert len(exif.get_ifd(0x8825)) == 0
    for secret in (b"Exif", b"SecretCameraMaker", b"PhoneModelX", b"private comment"):
        assert secret not in stored


def test_png_is_stored_without_text_chunks(client, db):
    original = png_with_text()
    assert b"Ana Example" in original

    assert post_complaint(client, files=[(original, "map.png")]).status_code == HTTPStatus.OK

    stored = uploads.read(db.session.execute(select(Attachment)).scalar_one().storage_key)
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "PNG"
        assert img.size == (20, 20)
        assert img.text == {}
    assert b"Ana Example" not in stored
    assert b"Author" not in stored
    assert b"tEXt" not in stored


def test_files_are_stored_encrypted_under_random_names_outside_static(app, client, db):
    response = post_complaint(
        client,
        files=[(jpeg_with_gps(), "ana-at-station.jpg"), (small_pdf(), "ana-statement.pdf")],
    )
    reference, _ = receipt_of(response)
    upload_dir = Path(app.config["UPLOAD_FOLDER"]).resolve()
    static_dir = Path(app.static_folder).resolve()

    attachments = _attachments(db)
    assert len(attachments) == 2
    assert len({a.storage_key for a in attachments}) == 2
    for attachment in attachments:
        path = next(p for p in _stored_files(upload_dir) if p.name == attachment.storage_key)
        assert path.is_relative_to(upload_dir)
        assert not path.is_relative_to(static_dir)
        raw = path.read_bytes()
        clean = uploads.read(attachment.storage_key)
        assert not raw.startswith(JPEG_MAGIC) and not raw.startswith(b"%PDF")
        for marker in (b"JFIF", b"%PDF", b"%%EOF", b"/Catalog", clean[:64], clean[-64:]):
            assert marker not in raw

    for path in _stored_files(upload_dir):
        name = str(path.relative_to(upload_dir)).lower()
        for revealing in ("ana", "station", "statement", ".jpg", ".pdf", reference.lower()):
            assert revealing not in name
    assert not any(static_dir.rglob(attachments[0].storage_key))


def test_files_kept_between_posts_are_encrypted_and_named_at_random(app, client, db, upload_dir):
    response = post_complaint(
        client, valid_complaint(consent=None), files=[(jpeg_with_gps(), "ana-photo.jpg")]
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    stored = _stored_files(upload_dir)
    assert stored
    for path in stored:
        raw = path.read_bytes()
        assert "ana" not in str(path.relative_to(upload_dir)).lower()
        assert not raw.startswith(JPEG_MAGIC)
        assert b"JFIF" not in raw and b"ana-photo" not in raw


def _first_post_with_error(client):
    response = post_complaint(
        client,
        valid_complaint(consent=None),
        files=[(jpeg_with_gps(), "photo.jpg"), (small_pdf(), "statement.pdf")],
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    return response


def test_valid_files_are_kept_when_another_field_has_an_error(client, db):
    response = _first_post_with_error(client)

    page = parse_page(response.get_data(as_text=True))
    assert [href for href, _ in error_summary(page)] == ["#consent"]
    kept = _kept(_files_page(client))
    assert [(name, ticked) for _, name, ticked in kept] == [
        ("photo.jpg", True),
        ("statement.pdf", True),
    ]
    assert _count(db, Complaint) == 0

    corrected = post_complaint(
        client,
        valid_complaint(keep_files=[value for value, _, _ in kept]),
        hidden=hidden_fields(response.get_data(as_text=True)),
    )

    assert corrected.status_code == HTTPStatus.OK
    receipt_of(corrected)
    attachments = _attachments(db)
    assert [(a.original_name, a.content_type) for a in attachments] == [
        ("photo.jpg", "image/jpeg"),
        ("statement.pdf", "application/pdf"),
    ]
    kept_pdf = PdfReader(io.BytesIO(uploads.read(attachments[1].storage_key)))
    assert len(kept_pdf.pages) == 1


def test_unticked_kept_file_is_left_out(client, db, upload_dir):
    response = _first_post_with_error(client)
    kept = _kept(_files_page(client))
    pdf_only = [value for value, name, _ in kept if name == "statement.pdf"]

    corrected = post_complaint(
        client,
        valid_complaint(keep_files=pdf_only),
        hidden=hidden_fields(response.get_data(as_text=True)),
    )

    assert corrected.status_code == HTTPStatus.OK
    attachment = db.session.execute(select(Attachment)).scalar_one()
    assert attachment.original_name == "statement.pdf"
    # The left-out file is not kept anywhere once the case is filed.
    assert [p.name for p in _stored_files(upload_dir)] == [attachment.storage_key]


def test_refused_file_does_not_lose_good_file_sent_with_it(client, db):
    response = post_complaint(
        client, files=[(png_with_text(), "map.png"), (b"not a picture", "notes.jpg")]
    )

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert [href for href, _ in error_summary(page)] == ["#evidence"]
    assert "notes.jpg" in page.find(id="evidence-error").text
    kept = _kept(page)
    assert [(name, ticked) for _, name, ticked in kept] == [("map.png", True)]
    assert _count(db, Complaint) == 0

    again = post_complaint(
        client,
        valid_complaint(keep_files=[kept[0][0]]),
        hidden=hidden_fields(response.get_data(as_text=True)),
    )

    assert again.status_code == HTTPStatus.OK
    attachment = db.session.execute(select(Attachment)).scalar_one()
    assert (attachment.original_name, attachment.content_type) == ("map.png", "image/png")


def test_kept_file_and_new_file_are_filed_together(client, db):
    response = _first_post_with_error(client)
    kept = _kept(_files_page(client))

    corrected = post_complaint(
        client,
        valid_complaint(keep_files=[value for value, _, _ in kept]),
        files=[(png_with_text(), "map.png")],
        hidden=hidden_fields(response.get_data(as_text=True)),
    )

    assert corrected.status_code == HTTPStatus.OK
    assert [a.original_name for a in _attachments(db)] == [
        "photo.jpg",
        "statement.pdf",
        "map.png",
    ]


def test_attachment_records_sha256_size_and_sniffed_type(client, db):
    files = [(jpeg_with_gps(), "a.png"), (small_pdf(), "b.jpg"), (png_with_text(), "c.pdf")]

    assert post_complaint(client, files=files).status_code == HTTPStatus.OK

    attachments = _attachments(db)
    assert [a.content_type for a in attachments] == ["image/jpeg", "application/pdf", "image/png"]
    for attachment in attachments:
        stored = uploads.read(attachment.storage_key)
        assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
        assert attachment.size_bytes == len(stored)


def test_pdf_metadata_does_not_survive(client, db, app):
    response = post_complaint(client, files=[(small_pdf(author="Ana Example"), "statement.pdf")])
    receipt_of(response)
    attachment = db.session.execute(select(Attachment)).scalar_one()
    stored = uploads.read(attachment.storage_key)
    assert b"Ana Example" not in stored
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1
    assert not reader.metadata or "/Author" not in reader.metadata


def test_password_protected_pdf_is_refused_with_a_message(client, db):
    response = post_complaint(client, files=[(small_pdf(password="s3cret"), "locked.pdf")])
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "locked.pdf is protected by a password" in response.get_data(as_text=True)
