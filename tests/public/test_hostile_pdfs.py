"""Hostile PDFs and pictures: what is stored is rebuilt from pixels, so no location, identity,
script, action, link or attached file of the original survives; files that exhaust the
child process that opens them are refused with a message saying why, and the web process
carries on. Every stored file is read back through the app's own ``uploads.read``."""

from __future__ import annotations

import io
import os
from http import HTTPStatus
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from complaints_app.models import Attachment, Complaint
from complaints_app.services import uploads
from tests.helpers import error_summary, parse_page, post_complaint, receipt_of, small_pdf
from tests.public import hostile_files as hostile

GPS_IFD_POINTER = b"\x88\x25\x00\x04"  # EXIF tag 0x8825 (GPSInfo), type LONG, big-endian


def _stored(db) -> list[bytes]:
    attachments = db.session.execute(select(Attachment).order_by(Attachment.id)).scalars()
    return [uploads.read(a.storage_key) for a in attachments]


def _complaints(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


def _all_children() -> set[int]:
    me = str(os.getpid())
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            found.add(int(stat.parent.name))
    return found


_EARLIER: set[int] = set()


@pytest.fixture(autouse=True)
def _children_before():
    """Children this process already had (e.g. multiprocessing's resource tracker, started by
    an earlier test): not the test's concern."""
    _EARLIER.clear()
    _EARLIER.update(_all_children())


def _children() -> list[int]:
    """Processes whose parent is this one (children left running, or zombies), started during
    the test."""
    return sorted(_all_children() - _EARLIER)


def _images_of(pdf: bytes) -> list[Image.Image]:
    """The pictures on the pages, from their stored bytes (not decoded and re-encoded)."""
    images = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for xobject in page["/Resources"]["/XObject"].values():
            stream = xobject.get_object()
            assert stream["/Filter"] == "/DCTDecode"
            images.append(Image.open(io.BytesIO(stream.get_data())))
    return images


def test_the_hostile_pdf_really_carries_everything_the_tests_look_for():
    original = hostile.hostile_pdf(pages=2)
    for marker in hostile.TEXT_MARKERS:
        assert marker.encode() in original, marker
    for name in hostile.PDF_NAMES:
        assert name.encode() in original, name
    assert GPS_IFD_POINTER in original
    (photo, _second) = _images_of(original)
    assert photo.getexif().get_ifd(0x8825)[1] == "N"
    assert photo.getexif()[0x0110] == hostile.CAMERA_MODEL
    assert len(pdfium.PdfDocument(original)) == 2


@pytest.mark.parametrize("pages", [1, 3])
def test_pdf_is_rebuilt_from_pixels_and_keeps_no_object_of_the_original(client, db, pages):
    response = post_complaint(client, files=[(hostile.hostile_pdf(pages), "statement.pdf")])
    receipt_of(response)

    (stored,) = _stored(db)
    for marker in hostile.TEXT_MARKERS:
        assert marker.encode() not in stored, marker
    for name in hostile.PDF_NAMES:
        assert name.encode() not in stored, name
    assert GPS_IFD_POINTER not in stored

    # The same pages, the same size, the same picture: only pixels were carried over.
    rebuilt = pdfium.PdfDocument(stored)
    assert len(rebuilt) == pages
    for number in range(pages):
        width, height = rebuilt[number].get_size()
        assert (round(width), round(height)) == (200, 150)
        rendered = rebuilt[number].render(scale=1).to_pil().convert("RGB")
        red, green, blue = rendered.getpixel((100, 75))
        assert red > 150 and green < 80 and blue < 80

    reader = PdfReader(io.BytesIO(stored))
    assert set(reader.trailer["/Root"].keys()) <= {"/Type", "/Pages"}
    assert not reader.metadata
    assert reader.attachments == {}
    for page in reader.pages:
        assert set(page.keys()) <= {"/Type", "/Parent", "/Resources", "/MediaBox", "/Contents"}
    for image in _images_of(stored):
        assert len(image.getexif()) == 0
        assert "xmp" not in image.info and "exif" not in image.info


def test_pdf_with_more_pages_than_allowed_is_refused_saying_how_many(app, client, db):
    limit = app.config["UPLOAD_MAX_PDF_PAGES"]
    assert limit == 50

    response = post_complaint(client, files=[(hostile.plain_pdf(limit + 1), "long.pdf")])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [
        (
            "#evidence",
            f"long.pdf has {limit + 1} pages; at most {limit} pages can be attached. "
            "Please send only the pages that matter, or split it into several files.",
        )
    ]
    assert _complaints(db) == 0


def test_pdf_at_the_page_limit_is_kept_whole(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PDF_PAGES", 4)

    refused = post_complaint(client, files=[(hostile.plain_pdf(5), "five.pdf")])
    assert "five.pdf has 5 pages; at most 4 pages" in refused.get_data(as_text=True)
    receipt_of(post_complaint(client, files=[(hostile.plain_pdf(4), "four.pdf")]))

    (stored,) = _stored(db)
    assert len(pdfium.PdfDocument(stored)) == 4


def _encrypted(algorithm: str | None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if algorithm:
        writer.encrypt("s3cret", algorithm=algorithm)
    else:
        writer.encrypt("s3cret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", [None, "RC4-128", "AES-128", "AES-256"])
def test_password_protected_pdf_is_refused_asking_for_a_copy_without_one(client, db, algorithm):
    response = post_complaint(client, files=[(_encrypted(algorithm), "locked.pdf")])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [
        ("#evidence", "locked.pdf is protected by a password. Please send it without one.")
    ]
    assert _complaints(db) == 0


def test_pdf_restricted_only_by_an_owner_password_opens_and_is_rebuilt(client, db):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)

    receipt_of(post_complaint(client, files=[(out.getvalue(), "restricted.pdf")]))

    (stored,) = _stored(db)
    assert b"/Encrypt" not in stored
    assert len(pdfium.PdfDocument(stored)) == 1


def _cut(fraction: float) -> bytes:
    whole = hostile.hostile_pdf(3)
    return whole[: int(len(whole) * fraction)] + b"\n%%EOF\n"


DAMAGED = [
    pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", id="garbage-body"),
    pytest.param(_cut(0.3), id="cut-at-a-third"),
    pytest.param(_cut(0.8), id="cut-near-the-end"),
    pytest.param(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n",
        id="no-pages",
    ),
]


@pytest.mark.parametrize("content", DAMAGED)
def test_damaged_pdf_is_refused_as_unreadable(client, db, content):
    response = post_complaint(client, files=[(content, "scan.pdf")])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [
        ("#evidence", "scan.pdf could not be read as a PDF. It may be damaged.")
    ]
    assert _complaints(db) == 0


def test_page_of_enormous_declared_size_is_drawn_within_the_pixel_cap(client, db):
    receipt_of(post_complaint(client, files=[(hostile.huge_page_pdf(), "poster.pdf")]))

    (stored,) = _stored(db)
    page = pdfium.PdfDocument(stored)[0]
    # Pixels are whole: the size in points is kept to within a pixel of the original.
    assert all(abs(side - 14400) < 14400 * 0.001 for side in page.get_size())
    (image,) = _images_of(stored)
    assert image.width * image.height <= uploads.PAGE_PIXELS
    assert image.convert("RGB").getpixel((image.width // 2, image.height // 2))[2] > 200


TOO_COMPLEX = (
    "is too large or too complex to open safely, so it was not attached. "
    "Please try a simpler copy, such as a scan or photos of the pages."
)
TOO_LONG = (
    "took too long to open safely, so it was not attached. "
    "Please try a simpler copy, such as a scan or photos of the pages."
)

EXHAUSTING = [
    pytest.param(hostile.flate_bomb_pdf, {}, TOO_COMPLEX, id="memory-inflate-bomb"),
    pytest.param(hostile.drawing_bomb_pdf, {}, TOO_COMPLEX, id="memory-nested-forms"),
    # A lower CPU limit than the default keeps the test short; the mechanism is the same.
    pytest.param(
        hostile.shading_bomb_pdf,
        {"UPLOAD_SANDBOX_CPU_SECONDS": 2},
        TOO_LONG,
        id="cpu-calculator-shading",
    ),
    pytest.param(
        hostile.shading_bomb_pdf,
        {"UPLOAD_SANDBOX_CPU_SECONDS": 60, "UPLOAD_SANDBOX_SECONDS": 2},
        TOO_LONG,
        id="wall-clock-calculator-shading",
    ),
]


@pytest.mark.parametrize(("build", "settings", "message"), EXHAUSTING)
@pytest.mark.database_independent  # the child's limits, not the database, are under test
def test_pdf_that_exhausts_the_child_is_refused_and_the_web_process_carries_on(
    app, client, db, monkeypatch, build, settings, message
):
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)

    response = post_complaint(client, files=[(build(), "bomb.pdf"), (small_pdf(), "statement.pdf")])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [("#evidence", f"bomb.pdf {message}")]
    # The good file sent with it is kept for the next attempt, nothing is filed.
    kept = [label.text for label in page.find_all("label") if label.text == "statement.pdf"]
    assert kept == ["statement.pdf"]
    assert _complaints(db) == 0
    assert _children() == []

    # The same process goes on serving and cleaning files.
    receipt_of(post_complaint(client, files=[(hostile.hostile_pdf(), "next.pdf")]))
    assert len(pdfium.PdfDocument(_stored(db)[0])) == 1


def test_picture_declaring_a_billion_pixels_is_refused(client, db):
    response = post_complaint(client, files=[(hostile.png_bomb(), "map.png")])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [("#evidence", "map.png is too large a picture.")]
    assert _children() == []


def test_pictures_are_opened_in_the_limited_child_too(app, client, db, monkeypatch):
    # No child can start and decode a picture in a hundredth of a second: the wall-clock
    # limit of the child applies to pictures as it does to PDFs.
    monkeypatch.setitem(app.config, "UPLOAD_SANDBOX_SECONDS", 0.01)

    response = post_complaint(client, files=[(hostile.jpeg_with_location(), "photo.jpg")])

    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [
        (
            "#evidence",
            "photo.jpg took too long to open safely, so it was not attached. "
            "Please try a smaller copy of the picture.",
        )
    ]
    assert _children() == []


def test_picture_that_needs_more_memory_than_the_child_has_is_refused(app, client, db, monkeypatch):
    # 36 million pixels pass the pixel cap but need about 100 MB once decoded.
    out = io.BytesIO()
    Image.new("RGB", (6000, 6000), (90, 90, 90)).save(out, "JPEG")
    monkeypatch.setitem(app.config, "UPLOAD_SANDBOX_MEMORY_MB", 80)

    response = post_complaint(client, files=[(out.getvalue(), "wide.jpg")])

    page = parse_page(response.get_data(as_text=True))
    assert error_summary(page) == [
        (
            "#evidence",
            "wide.jpg is too large or too complex to open safely, so it was not attached. "
            "Please try a smaller copy of the picture.",
        )
    ]
    assert _children() == []
    monkeypatch.setitem(app.config, "UPLOAD_SANDBOX_MEMORY_MB", 1024)
    receipt_of(post_complaint(client, files=[(out.getvalue(), "wide.jpg")]))
