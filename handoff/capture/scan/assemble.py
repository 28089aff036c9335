"""Scan documents: held pages into PDFs or image files. Everything here blocks.

Pages arrive as the encoded images :func:`process_page` made: JPEG, or PNG
for black-and-white pages. The files come back as plain records (hashed here,
in the worker thread); the web layer hands them to the store.
"""

import io
from collections.abc import Sequence

import img2pdf
from PIL import Image

from ...domain import NewFile
from ..photo import sniff_image_type
from .aspect import paper_of
from .ocr import OcrFailed, PageText, with_text_layers

#: What OCR gave for each page of each document, or None when OCR is off.
Texts = Sequence[Sequence[PageText | OcrFailed]] | None

#: The shorter side of a PDF page that is no known paper: A4's width in points (210 mm).
PDF_SHORT_SIDE = 595.28
#: The PDF specification's largest page side without a user unit (200 inches).
PDF_LONGEST = 14400.0


def page_points(width_px: int, height_px: int) -> tuple[float, float]:
    """A PDF page's size in points for a page image of this many pixels.

    A page with a paper's proportions gets that paper's size; any other keeps
    its own ratio with A4's width as its shorter side, and a strip as long as
    a till receipt stays within the 200-inch page size every viewer supports.
    """
    paper = paper_of(width_px, height_px)
    if paper is not None:
        return paper.points(landscape=width_px > height_px)
    scale = min(PDF_SHORT_SIDE / min(width_px, height_px), PDF_LONGEST / max(width_px, height_px))
    return width_px * scale, height_px * scale


def page_dpi(page: bytes) -> float:
    """The resolution a page image has on its PDF page (for OCR and its text layer)."""
    with Image.open(io.BytesIO(page)) as image:
        width, height = image.size
    return 72 * width / page_points(width, height)[0]


def _page_layout(width_px: int, height_px: int, _dpi: object) -> tuple[float, float, float, float]:
    width, height = page_points(width_px, height_px)
    return width, height, width, height


def pdf_image(page: bytes) -> bytes:
    """What img2pdf embeds for a page: a JPEG as it is, a 1-bit page as CCITT G4.

    G4 is the fax code made for black text on white: a page of text takes a
    fraction of its PNG, and both are lossless.
    """
    if sniff_image_type(page) != "png":
        return page
    image = Image.open(io.BytesIO(page))
    if image.mode != "1":
        return page
    out = io.BytesIO()
    image.save(out, "TIFF", compression="group4")
    return out.getvalue()


def document_pdf(pages: list[bytes]) -> bytes:
    """One PDF with a page per image, in order, embedded without re-encoding."""
    return img2pdf.convert([pdf_image(page) for page in pages], layout_fun=_page_layout)


def assemble(documents: list[list[bytes]], output_format: str,
             texts: Texts = None) -> tuple[list[NewFile], list[dict]]:
    """The result files and, per document, which of them it consists of.

    ``documents`` holds each document's page images in order, ``texts`` what
    OCR read on them. The second value is what the store's ``complete`` takes
    as ``scan_documents``: file indexes under ``pdf``, ``pages`` and ``text``,
    and with OCR ``ocr`` (``done`` or ``failed``) and ``ocr_error``.
    """
    files: list[NewFile] = []
    layout: list[dict] = []
    multi = len(documents) > 1
    for number, pages in enumerate(documents, start=1):
        stem = f"scan-{number}" if multi else "scan"
        read = texts[number - 1] if texts is not None else None
        entry: dict = {}
        if output_format == "pdf":
            pdf = document_pdf(pages)
            if read is not None:
                pdf = with_text_layers(pdf, [r.layer if isinstance(r, PageText) else None for r in read])
            entry["pdf"] = len(files)
            files.append(NewFile.of("application/pdf", f"{stem}.pdf", pdf))
        else:
            entry["pages"] = []
            for page_number, page in enumerate(pages, start=1):
                entry["pages"].append(len(files))
                png = sniff_image_type(page) == "png"
                files.append(NewFile.of("image/png" if png else "image/jpeg",
                                        f"{stem}-page-{page_number}.{'png' if png else 'jpg'}", page))
            if read is not None:
                text = "\f".join(r.text for r in read if isinstance(r, PageText))
                entry["text"] = len(files)
                files.append(NewFile.of("text/plain; charset=utf-8", f"{stem}.txt", text.encode()))
        if read is not None:
            failures = [r for r in read if isinstance(r, OcrFailed)]
            entry["ocr"] = "failed" if failures else "done"
            if failures:
                entry["ocr_error"] = str(failures[0])
        layout.append(entry)
    return files, layout
