"""The child process that opens untrusted files: run as a program, never imported by the app.

``python -I -B sanitiser.py SETTINGS_JSON`` reads one file on standard input and writes one
header line (JSON) then the rebuilt file on standard output. Before it reads a byte of the
file it caps its own address space, CPU time and file writes, so a hostile PDF or picture can
exhaust only this process; the parent adds a wall-clock timeout and kills it.

PDFs are rendered page by page to pixels with PDFium and a brand-new PDF is built from those
pixels with Pillow, as Dangerzone does: no object of the original (metadata, XMP, scripts,
actions, links, annotations, embedded files, fonts, images with their EXIF) survives. Pictures
are decoded and re-encoded from their pixels, so EXIF, XMP, comments and text chunks are lost.

Only the standard library, Pillow and pypdfium2 are imported: the child holds no secret and
no part of the web app.
"""

from __future__ import annotations

import io
import json
import math
import resource
import sys
import warnings

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MB = 1024 * 1024


def _limit(settings: dict) -> None:
    """Cap this process before it touches the untrusted bytes. The soft CPU limit raises
    SIGXCPU (which ends the process); the hard one, a second later, SIGKILL."""
    memory = int(settings["memory_mb"]) * MB
    cpu = int(settings["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # No file is written (the result goes to a pipe) and no core dump holds the evidence.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Refused(Exception):
    """The file is refused for a reason the parent turns into a message."""

    def __init__(self, reason: str, **detail: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _scale(width: float, height: float, settings: dict) -> float:
    """The render scale of one page: the configured resolution, lowered for a page so large
    (declared sizes run to miles) that it would exceed the per-page pixel cap."""
    width, height = max(width, 1.0), max(height, 1.0)
    limit = int(settings["page_pixels"])
    scale = min(float(settings["dpi"]) / 72, math.sqrt(limit / (width * height)))
    # Pixels are whole: step down until the rounded-up bitmap fits too.
    while math.ceil(width * scale) * math.ceil(height * scale) > limit:
        scale *= 0.995
    return scale


def clean_pdf(data: bytes, settings: dict) -> bytes:
    """Render every page to pixels and build a new PDF from the pictures alone."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise Refused("password") from exc
        raise Refused("damaged") from exc
    count = len(pdf)
    if count == 0:
        raise Refused("damaged")
    if count > int(settings["max_pages"]):
        raise Refused("pages", pages=count)
    # Filled-in form fields are drawn as the reader saw them; this PDFium runs no JavaScript.
    pdf.init_forms()
    out = io.BytesIO()
    for number in range(count):
        page = pdf[number]
        scale = _scale(*page.get_size(), settings)
        image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
        page.close()
        # One page at a time (Pillow appends to the new file), so memory holds one page
        # whatever the page count; each page keeps its own size in points.
        image.save(
            out,
            "PDF",
            append=number > 0,
            resolution=72 * scale,
            quality=85,
            title=None,
            creationDate=None,
            modDate=None,
        )
        image.close()
        if out.tell() > int(settings["max_output_bytes"]):
            raise Refused("result_too_large")
    pdf.close()
    return out.getvalue()


def clean_image(data: bytes, settings: dict, kind: str) -> bytes:
    """Re-encode a picture from its pixels only, turned upright as the camera meant."""
    Image.MAX_IMAGE_PIXELS = int(settings["max_pixels"])
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    # Only the decoder of the type the parent recognised is ever tried.
    formats = ["JPEG"] if kind == "image/jpeg" else ["PNG"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                if probe.width * probe.height > int(settings["max_pixels"]):
                    raise Refused("too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=formats) as img:
                img.load()
                upright = ImageOps.exif_transpose(img)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise Refused("too_many_pixels") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise Refused("damaged") from exc
    upright.info = {}
    out = io.BytesIO()
    if kind == "image/jpeg":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    settings = json.loads(sys.argv[1])
    _limit(settings)
    data = sys.stdin.buffer.read()
    kind = settings["kind"]
    try:
        if kind == "application/pdf":
            result = clean_pdf(data, settings)
        else:
            result = clean_image(data, settings, kind)
    except Refused as exc:
        header = {"ok": False, "reason": exc.reason, **exc.detail}
        result = b""
    except MemoryError:
        header, result = {"ok": False, "reason": "memory"}, b""
    else:
        header = {"ok": True}
        if len(result) > int(settings["max_output_bytes"]):
            header, result = {"ok": False, "reason": "result_too_large"}, b""
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + result)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
