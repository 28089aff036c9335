"""A small picture of a PDF's first page, so a desktop can show a result before it is opened.

PDFium (through pypdfium2) draws the page. What a preview costs depends on the
size asked for, never on the page: the page is fitted into ``width`` by
``2 * width`` pixels (at most ``MAX_WIDTH``), so a page declared 200 inches
wide, or one point high, costs what an A4 page does. Only page 1 is parsed
beyond the cross-reference table. Pure code; everything here blocks.
"""

import io
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium

from ..errors import Unprocessable

#: Widest preview, in pixels; the default is a thumbnail a page can show at once.
MAX_WIDTH = 1024
MIN_WIDTH = 64
DEFAULT_WIDTH = 480
#: A preview is at most this many times as high as it is wide (a tall receipt stays narrow).
MAX_ASPECT = 2
JPEG_QUALITY = 82

# PDFium keeps global state and is not thread-safe: whichever thread runs a preview
# (the server gives them a thread of their own), only one is inside the library at a time.
_pdfium = threading.Lock()


@dataclass(frozen=True, slots=True)
class Preview:
    """The first page as a JPEG, with the document's page count."""

    jpeg: bytes
    width: int
    height: int
    page_count: int


def first_page(pdf: bytes, width: int = DEFAULT_WIDTH) -> Preview:
    """Page 1 of ``pdf`` on white, fitted into ``width`` x ``2 * width`` pixels, as a JPEG."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be from {MIN_WIDTH} to {MAX_WIDTH}")
    with _pdfium:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as error:
            raise Unprocessable("This file cannot be read as a PDF.", code="unreadable_pdf") from error
        try:
            page_count = len(document)
            if page_count == 0:
                raise Unprocessable("This PDF has no pages.", code="unreadable_pdf")
            page = document[0]
            try:
                page_width, page_height = page.get_size()
                if not (page_width > 0 and page_height > 0):
                    raise Unprocessable("This PDF's first page has no size.", code="unreadable_pdf")
                scale = min(width / page_width, MAX_ASPECT * width / page_height)
                bitmap = page.render(scale=scale, may_draw_forms=False, fill_color=(255, 255, 255, 255))
                image = bitmap.to_pil()
            finally:
                page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Preview(out.getvalue(), image.width, image.height, page_count)

