"""Evidence file names: whatever name a client sends (controls, bidirectional overrides,
zero-width characters, paths, header syntax, any length), the stored name is one clean line,
and a staff download always answers with a safe Content-Disposition ending in the file's
real type, even for a name stored before names were cleaned.

Names travel as RFC 2231 ``filename*`` parameters, byte for byte, as any HTTP client can send
them (browsers escape some characters themselves; an attacker does not)."""

from __future__ import annotations

import io
import unicodedata
from http import HTTPStatus
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.http import parse_options_header

from complaints_app.models import Attachment, Role
from complaints_app.services import uploads
from tests.helpers import (
    SEND_URL,
    STEP_URL,
    error_summary,
    hidden_fields,
    open_form,
    parse_page,
    post_step,
    receipt_of,
    valid_complaint,
)

BOUNDARY = "----names-boundary-7c3f"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _multipart(fields: dict, files: list[tuple[bytes, str]]) -> bytes:
    """A multipart/form-data body; each file name sent exactly as given."""
    parts = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
                + str(item).encode()
                + b"\r\n"
            )
    for content, name in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="evidence"; '
            f"filename*=UTF-8''{quote(name, safe='')}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post(client, files: list[tuple[bytes, str]], **overrides):
    """The resident's form with ``files`` sent, names exactly as given, on its files step;
    then sent. The first page that did not move on, else the answer to sending."""
    data = valid_complaint(**overrides)
    csrf = open_form(client)["csrf_token"]
    for slug in ("what-happened", "when-and-where", "who-was-involved", "your-account"):
        assert post_step(client, slug, data, csrf).status_code == 303
    body = _multipart({"csrf_token": csrf}, files)
    response = client.post(
        STEP_URL.format("files"),
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    if response.status_code != 303:
        return response
    assert post_step(client, "contact", data, csrf).status_code == 303
    send = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    return client.post(SEND_URL, data={**send, "consent": "y"})


# (name sent, name stored, name offered on download); every file is a PNG.
NAMES = [
    ("фото\u202egpj.exe", "фотоgpj.exe", "фотоgpj.exe.png"),
    ("\u202dreport\u202e\u202c.png", "report.png", "report.png"),
    ("\u2066left\u2069\u2067right\u2069\u2068first\u2069.png", "leftrightfirst.png", None),
    ("a\u200db\u200c\u200bc\ufeff\u200e\u200f\u061c.png", "abc.png", None),
    ("evil\x00.png", "evil.png", None),
    ("line\r\nSet-Cookie: x=1.png", "line Set-Cookie: x=1.png", None),
    ("tab\there\x0bvertical.png", "tab here vertical.png", None),
    ("c1\x85next\x9bcsi\x7fdel.png", "c1 nextcsidel.png", None),
    ("\u2028para\u2029graph.png", "para graph.png", None),
    ("..\\..\\evil", "evil", "evil.png"),
    ("/etc/passwd", "passwd", "passwd.png"),
    ("x" * 996 + ".png", "x" * 116 + ".png", None),
    ("\x01\x02\u202e\u200d\x00\x1b", "file", "file.png"),
    ("  .hidden. ", "hidden", "hidden.png"),
    ("😀 фото 照片 صورة.png", "😀 фото 照片 صورة.png", None),
    ("cafe\u0301.png", "café.png", None),
    ('a"; filename="evil.exe', 'a"; filename="evil.exe', "a'; filename='evil.exe.png"),
    ('semi;colon, "quoted".png', 'semi;colon, "quoted".png', "semi;colon, 'quoted'.png"),
]


def _safe_header(value: str) -> None:
    assert "\r" not in value and "\n" not in value
    assert not [ch for ch in value if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}]


def _offered_name(response) -> str:
    header = response.headers["Content-Disposition"]
    _safe_header(header)
    disposition, params = parse_options_header(header)
    assert disposition == "attachment"
    assert set(params) == {"filename"}
    return params["filename"]


def test_names_are_cleaned_on_upload_and_offered_safely_on_download(app, db, signed_in):
    resident = app.test_client()
    png = _png()
    files = [(png, sent) for sent, _stored, _offered in NAMES]
    # More files than one submission takes: send them in batches of the limit.
    limit = app.config["UPLOAD_MAX_FILES"]
    references = []
    for start in range(0, len(files), limit):
        response = _post(resident, files[start : start + limit])
        assert response.status_code == HTTPStatus.OK, response.get_data(as_text=True)
        references.append(receipt_of(response)[0])

    attachments = list(db.session.execute(select(Attachment).order_by(Attachment.id)).scalars())
    assert [a.original_name for a in attachments] == [stored for _, stored, _ in NAMES]
    for attachment in attachments:
        assert len(attachment.original_name) <= uploads.NAME_MAX_CHARS
        assert unicodedata.is_normalized("NFC", attachment.original_name)

    staff, _user = signed_in(Role.INTAKE)
    for attachment, (_sent, stored, offered) in zip(attachments, NAMES, strict=True):
        reference = attachment.complaint.reference
        response = staff.get(f"/staff/cases/{reference}/attachments/{attachment.id}")
        assert response.status_code == HTTPStatus.OK
        assert _offered_name(response) == (offered or stored)
        assert response.data == uploads.read(attachment.storage_key)


@pytest.mark.parametrize(
    ("stored", "offered"),
    [
        ("a\r\nb.png", "a b.png"),
        ("\x00", "evidence-{id}.png"),
        ("", "evidence-{id}.png"),
        (None, "evidence-{id}.png"),
        ("\u202egnp.exe", "gnp.exe.png"),
        # The slash in "text/html" ends the directory part.
        ('x"\r\nContent-Type: text/html\r\n\r\n<script>', "html <script>.png"),
        ("y" * 5000, "y" * uploads.NAME_MAX_CHARS + ".png"),
    ],
)
def test_download_of_a_name_stored_before_cleaning_never_fails(app, db, signed_in, stored, offered):
    resident = app.test_client()
    response = _post(resident, [(_png(), "map.png")])
    reference, _code = receipt_of(response)
    attachment = db.session.execute(select(Attachment)).scalar_one()
    # Written past the upload path, as rows kept from before names were cleaned are.
    attachment.original_name = stored
    db.session.commit()

    staff, _user = signed_in(Role.SUPERVISOR)
    response = staff.get(f"/staff/cases/{reference}/attachments/{attachment.id}")

    assert response.status_code == HTTPStatus.OK
    assert _offered_name(response) == offered.format(id=attachment.id)


def test_refusal_messages_name_the_file_by_its_clean_name(app, db):
    resident = app.test_client()

    response = _post(resident, [(b"MZ\x90\x00 not a picture", "фото\u202egpj.exe")])

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "\u202e" not in html
    page = parse_page(html)
    assert error_summary(page) == [
        ("#evidence", "фотоgpj.exe is not a PDF, JPEG or PNG file. Only those can be attached.")
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", "file"),
        (None, "file"),
        ("...", "file"),
        ("a/", "file"),
        ("report.final.version.pdf", "report.final.version.pdf"),
        ("e\u200d\u0301te\u0301.pdf", "été.pdf"),
        ("tab\xa0\u3000wide\u2003spaces.pdf", "tab wide spaces.pdf"),
        ("tags\U000e0041\U000e007f.pdf", "tags.pdf"),
        ("z" * 200, "z" * uploads.NAME_MAX_CHARS),
        ("n" * 200 + ".averyveryverylongextension", "n" * uploads.NAME_MAX_CHARS),
    ],
)
def test_clean_name_edges(raw, clean):
    assert uploads.clean_name(raw) == clean
