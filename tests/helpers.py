"""Helpers that drive the app the way a browser would."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from flask.testing import FlaskClient
from PIL import Image

HIDDEN_RE = re.compile(r'<input[^>]*name="(csrf_token|submission_token)"[^>]*value="([^"]*)"')
REFERENCE_RE = re.compile(r'id="reference">([A-Z]+-\d{4}-\d{4,})<')
CODE_RE = re.compile(r'id="tracking-code">([0-9A-Z-]+)<')


def hidden_fields(html: str) -> dict[str, str]:
    """The CSRF token and submission token of the form on a page."""
    return dict(HIDDEN_RE.findall(html))


def valid_complaint(**overrides) -> dict:
    """Form data for a complete, valid complaint."""
    data = {
        "what_happened": ["held_for_ice", "asked_status"],
        "urgent": "no",
        "incident_date": (date.today() - timedelta(days=3)).isoformat(),
        "incident_time": "around 9 pm",
        "incident_place": "Central police station",
        "agency": "police",
        "agency_detail": "",
        "officers": "Badge 4417",
        "narrative": "I was kept overnight after bail was posted because of an ICE form.",
        "contact_choice": "contact",
        "contact_name": "Ana Example",
        "contact_method": "email",
        "contact_email": "ana@example.org",
        "contact_phone": "",
        "contact_postal": "",
        "contact_best_time": "",
        "safe_to_contact": "yes",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# The resident's form, one topic per page: each step's URL and the fields it posts.
FORM_STEPS = (
    ("what-happened", ("what_happened", "urgent")),
    ("when-and-where", ("incident_date", "incident_time", "incident_place")),
    ("who-was-involved", ("agency", "agency_detail", "officers")),
    ("your-account", ("narrative",)),
    ("files", ("keep_files",)),
    (
        "contact",
        (
            "contact_choice",
            "contact_name",
            "contact_method",
            "contact_email",
            "contact_phone",
            "contact_postal",
            "contact_best_time",
            "safe_to_contact",
        ),
    ),
)
STEP_URL = "/complaints/new/{}"
CHECK_URL = "/complaints/new/check"
SEND_URL = "/complaints/new/send"


def open_form(client: FlaskClient, url: str = "/complaints/new") -> dict[str, str]:
    """Open a form (the resident's: start or resume this browser's draft) and return its
    hidden CSRF and submission tokens."""
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200
    return hidden_fields(response.get_data(as_text=True))


def post_step(client: FlaskClient, slug: str, data: dict, csrf: str, files=None, query: str = ""):
    """Post one step of the resident's form with the fields of ``data`` that step asks."""
    names = dict(FORM_STEPS)[slug]
    payload = {"csrf_token": csrf, **{n: data[n] for n in names if n in data}}
    if files:
        payload["evidence"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(
        STEP_URL.format(slug) + query, data=payload, content_type="multipart/form-data"
    )


def step_page(client: FlaskClient, slug: str, data: dict | None = None):
    """The page of step ``slug`` of the resident's form, the steps before it answered."""
    data = valid_complaint() if data is None else data
    csrf = open_form(client)["csrf_token"]
    for earlier, _names in FORM_STEPS:
        if earlier == slug:
            break
        assert post_step(client, earlier, data, csrf).status_code == 303, earlier
    return client.get(STEP_URL.format(slug))


def post_complaint(client: FlaskClient, data: dict | None = None, files=None, hidden=None):
    """Fill in the resident's form step by step as a browser would (files, as (bytes, name)
    pairs, on the files step), then send it from the send page. Returns the first page that
    did not move on (a step with mistakes), else the answer to sending. ``hidden`` gives the
    tokens of a page opened earlier: its submission token is the one sent."""
    data = valid_complaint() if data is None else data
    hidden = hidden or open_form(client)
    csrf = hidden["csrf_token"]
    for slug, _names in FORM_STEPS:
        response = post_step(client, slug, data, csrf, files if slug == "files" else None)
        if response.status_code != 303:
            return response
    send_page = client.get(SEND_URL)
    if send_page.status_code != 200:
        return send_page
    token = (
        hidden.get("submission_token")
        or hidden_fields(send_page.get_data(as_text=True))["submission_token"]
    )
    payload = {"csrf_token": csrf, "submission_token": token}
    if "consent" in data:
        payload["consent"] = data["consent"]
    return client.post(SEND_URL, data=payload, content_type="multipart/form-data")


def receipt_of(response) -> tuple[str, str]:
    """The reference and tracking code shown on a receipt page."""
    html = response.get_data(as_text=True)
    ref, code = REFERENCE_RE.search(html), CODE_RE.search(html)
    assert ref and code, "not a receipt page"
    return ref.group(1), code.group(1)


def sign_in_to_case(client: FlaskClient, reference: str, code: str):
    hidden = hidden_fields(client.get("/track").get_data(as_text=True))
    return client.post("/track", data={**hidden, "reference": reference, "code": code})


def jpeg_with_gps() -> bytes:
    """A small JPEG carrying EXIF with GPS coordinates, a camera name and a comment."""
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0110] = "PhoneModelX"  # Model
    gps = {1: "N", 2: (42.0, 21.0, 30.0), 3: "W", 4: (71.0, 3.0, 50.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), comment=b"private comment")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL import PngImagePlugin

    img = Image.new("RGBA", (20, 20), (0, 0, 255, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ana Example")
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def small_pdf(author: str | None = None, password: str | None = None) -> bytes:
    """A one-page PDF, optionally with an author in its metadata or a password."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if author:
        writer.add_metadata({"/Author": author, "/Title": f"Statement by {author}"})
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class Element:
    """One element of a parsed page: tag, attributes, children and the text inside it."""

    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element] = []
        self.parts: list[str] = []

    @property
    def raw_text(self) -> str:
        """The text inside, exactly as written (a textarea's value)."""
        return "".join(self.parts)

    @property
    def text(self) -> str:
        """The text inside with runs of whitespace collapsed."""
        return " ".join(self.raw_text.split())

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Every element below (and including) this one with the tag and attribute values."""
        return [
            el
            for el in self.iter()
            if (tag is None or el.tag == tag) and all(el.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        for element in self.stack:
            element.parts.append(data)


def parse_page(html: str) -> Element:
    """The page as a tree of elements, to look at fields, errors and links like a browser."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.root


def error_summary(page: Element) -> list[tuple[str | None, str]]:
    """The links of the error summary at the top of a page: (href, message)."""
    summary = page.find(id="error-summary")
    if summary is None:
        return []
    return [(a.get("href"), a.text) for a in summary.find_all("a")]


def sqlite_file_bytes(path: str | Path) -> bytes:
    """The raw bytes of a SQLite database and its write-ahead log, read by a child process.

    Never open a live database's files in this process: closing any descriptor of the file
    drops every POSIX lock the process holds on it, SQLite's own included. A process that
    opens the database later (a test's worker) then believes it is the only user, resets the
    shared WAL index under this process's feet, and the database is corrupted."""
    files = [str(p) for p in (Path(path), Path(f"{path}-wal")) if p.exists()]
    read = (
        "import sys\n"
        "for name in sys.argv[1:]:\n"
        "    sys.stdout.buffer.write(open(name, 'rb').read())"
    )
    return subprocess.run(
        [sys.executable, "-c", read, *files], check=True, capture_output=True
    ).stdout
