"""Hostile files built by hand for the upload tests: PDFs that carry location, identity and
active content in every place a PDF can hold them, and PDFs and pictures made to exhaust
whatever opens them. Raw PDF bytes give full control over each object."""

from __future__ import annotations

import io
import zlib

from PIL import Image

# Everything below must be gone from a stored file.
CAMERA_MAKE = "SecretCameraMaker"
CAMERA_MODEL = "PhoneModelX"
XMP_CREATOR = "Ana Creator-XMP"
DOC_AUTHOR = "Ana Example-Author"
DOC_TITLE = "Statement Title-Secret"
OPENACTION_JS = "MARKER-OPENACTION"
PAGE_AA_JS = "MARKER-PAGE-OPEN"
LAUNCH_TARGET = "calc-launch.exe"
LINK_URI = "https://tracker.example/ping-marker"
EMBEDDED_TEXT = "EMBEDDED-SECRET-CONTENT"
EMBEDDED_NAME = "hidden-attachment.txt"
ANNOTATION_TEXT = "annotation-note-marker"

TEXT_MARKERS = [
    CAMERA_MAKE,
    CAMERA_MODEL,
    XMP_CREATOR,
    DOC_AUTHOR,
    DOC_TITLE,
    OPENACTION_JS,
    PAGE_AA_JS,
    LAUNCH_TARGET,
    LINK_URI,
    "tracker.example",
    EMBEDDED_TEXT,
    EMBEDDED_NAME,
    ANNOTATION_TEXT,
    "xmpmeta",
    "ns.adobe.com",
    "Exif",
]
# PDF names that only active content, links and attachments use.
PDF_NAMES = [
    "/JavaScript",
    "/JS",
    "/Launch",
    "/URI",
    "/EmbeddedFile",
    "/FileAttachment",
    "/OpenAction",
    "/AA",
    "/Annots",
    "/Names",
    "/Metadata",
    "/Author",
    "/Title",
]

PAGE_COLOUR = (200, 30, 30)


def jpeg_with_location() -> bytes:
    """A red JPEG carrying EXIF GPS, the camera make and model, and an XMP packet naming its
    creator: what a phone photo of a scene carries."""
    img = Image.new("RGB", (120, 90), PAGE_COLOUR)
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE
    exif[0x0110] = CAMERA_MODEL
    exif[0x8825] = {1: "N", 2: (42.0, 21.0, 30.0), 3: "W", 4: (71.0, 3.0, 50.0)}
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<dc:creator><rdf:Seq><rdf:li>{XMP_CREATOR}</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), xmp=xmp)
    return out.getvalue()


def stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    """A stream object's body (dictionary and data)."""
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def raw_pdf(objects: list[bytes], info: int | None = None) -> bytes:
    """A PDF from object bodies (object n is ``objects[n - 1]``, object 1 the catalogue),
    with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"/Size %d /Root 1 0 R" % (len(objects) + 1)
    if info:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def hostile_pdf(pages: int = 1) -> bytes:
    """A PDF whose every page shows the located JPEG, and which carries: document Info
    (author, title), an XMP metadata stream, an /OpenAction JavaScript, a page-open (/AA)
    JavaScript on each page, a Launch action, a URI link, a FileAttachment annotation and an
    /EmbeddedFiles name tree."""
    jpeg = jpeg_with_location()
    xmp = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b"<dc:creator>" + XMP_CREATOR.encode() + b"</dc:creator></x:xmpmeta>"
        b'<?xpacket end="w"?>'
    )
    # Objects 1-12 are the document's, 13-15 the annotations, then one object per page.
    first_page = 16
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects: list[bytes] = [
        # 1 catalogue
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R /Metadata 4 0 R"
        b" /Names << /EmbeddedFiles 5 0 R /JavaScript 11 0 R >> >>",
        # 2 page tree
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        # 3 document-open script
        b"<< /S /JavaScript /JS (app.alert\\('" + OPENACTION_JS.encode() + b"'\\)) >>",
        # 4 XMP metadata
        stream(xmp, b"/Type /Metadata /Subtype /XML"),
        # 5 embedded files name tree
        b"<< /Names [(" + EMBEDDED_NAME.encode() + b") 6 0 R] >>",
        # 6 file specification
        b"<< /Type /Filespec /F (" + EMBEDDED_NAME.encode() + b") /EF << /F 7 0 R >> >>",
        # 7 the embedded file
        stream(EMBEDDED_TEXT.encode(), b"/Type /EmbeddedFile"),
        # 8 the page's picture: the JPEG as it came from the camera (DCTDecode keeps EXIF)
        stream(
            jpeg,
            b"/Type /XObject /Subtype /Image /Width 120 /Height 90 /ColorSpace /DeviceRGB"
            b" /BitsPerComponent 8 /Filter /DCTDecode",
        ),
        # 9 page content: the picture over the whole page
        stream(b"q 200 0 0 150 0 0 cm /Im Do Q"),
        # 10 document information
        b"<< /Author (" + DOC_AUTHOR.encode() + b") /Title (" + DOC_TITLE.encode() + b")"
        b" /Creator (" + CAMERA_MODEL.encode() + b") >>",
        # 11 document-level JavaScript name tree
        b"<< /Names [(init) 12 0 R] >>",
        # 12
        b"<< /S /JavaScript /JS (" + OPENACTION_JS.encode() + b") >>",
        # 13 a link that launches a program, then opens a URI
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50]"
        b" /A << /S /Launch /F (" + LAUNCH_TARGET.encode() + b")"
        b" /Next << /S /URI /URI (" + LINK_URI.encode() + b") >> >> >>",
        # 14 a link to a web address
        b"<< /Type /Annot /Subtype /Link /Rect [50 0 100 50]"
        b" /A << /S /URI /URI (" + LINK_URI.encode() + b") >> >>",
        # 15 a file attached to the page
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [100 0 120 20]"
        b" /Contents (" + ANNOTATION_TEXT.encode() + b") /FS 6 0 R /Name /PushPin >>",
    ]
    for _ in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 150]"
            b" /Resources << /XObject << /Im 8 0 R >> >> /Contents 9 0 R"
            b" /AA << /O << /S /JavaScript /JS (" + PAGE_AA_JS.encode() + b") >> >>"
            b" /Annots [13 0 R 14 0 R 15 0 R] >>"
        )
    return raw_pdf(objects, info=10)


def plain_pdf(pages: int) -> bytes:
    """A harmless PDF of ``pages`` pages, each with a line of text."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for n in range(pages):
        content = stream(b"BT /F1 18 Tf 20 100 Td (Page %d) Tj ET" % (n + 1))
        objects.append(content)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
    return raw_pdf(objects)


def flate_bomb_pdf(megabytes: int = 1400) -> bytes:
    """A one-page PDF whose content stream is about 1.4 MB compressed and ``megabytes`` MB
    once inflated: whatever inflates it runs out of memory."""
    inflated = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    compressed = b"".join(inflated.compress(chunk) for _ in range(megabytes)) + inflated.flush()
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(compressed)
            + compressed
            + b"\nendstream",
        ]
    )


def drawing_bomb_pdf(levels: int = 12) -> bytes:
    """A one-page PDF whose page draws a form that draws the next form ten times, twelve
    levels deep: 10^11 drawings from 3 KB. PDFium's memory grows with every level."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
        b" /Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"/X Do"),
    ]
    for level in range(levels):
        number = len(objects) + 1
        last = level == levels - 1
        body = b"0 0 1 rg 0 0 200 200 re f" if last else b"/X Do " * 10
        resources = b"" if last else b" /Resources << /XObject << /X %d 0 R >> >>" % (number + 1)
        objects.append(
            stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 200 200]" + resources)
        )
    return raw_pdf(objects)


def shading_bomb_pdf(operations: int = 20_000) -> bytes:
    """A one-page PDF painted by a function-based shading whose colour is a PostScript
    calculator function of ``operations`` steps, worked out for every pixel: about 10^10
    steps of pure computation from 1 KB, in constant memory."""
    function = b"{ pop " + b"dup mul " * operations + b"dup dup }"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800]"
            b" /Resources << /Shading << /S 5 0 R >> >> /Contents 4 0 R >>",
            stream(b"/S sh"),
            b"<< /ShadingType 1 /ColorSpace /DeviceRGB /Domain [0 1 0 1]"
            b" /Matrix [600 0 0 800 0 0] /Function 6 0 R >>",
            stream(
                function,
                b"/FunctionType 4 /Domain [0 1 0 1] /Range [0 1 0 1 0 1]",
                compress=True,
            ),
        ]
    )


def huge_page_pdf() -> bytes:
    """A page declared 200 inches square (the largest PDF allows), filled blue."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>",
            stream(b"0 0 1 rg 0 0 14400 14400 re f"),
        ]
    )


def png_bomb(side: int = 30_000) -> bytes:
    """A PNG declaring ``side`` x ``side`` pixels (900 million) in a few hundred KB."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * (side // 8 + 1)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
