"""Searchable scans: Tesseract reads each page, its words become an invisible
text layer under the page image, as OCRmyPDF makes them. Everything here blocks.

Tesseract runs as a program (Debian's ``tesseract-ocr``): its own PDF renderer
writes a text-only page (``textonly_pdf``) whose words sit where Tesseract saw
them, which pikepdf then lays under the page of the image PDF.
"""

import io
import logging
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

log = logging.getLogger(__name__)

#: Longest Tesseract may take for one page before the page is given up.
PAGE_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class PageText:
    """What Tesseract read on one page."""

    layer: bytes  # a one-page PDF of invisible words, the size of the page
    text: str


class OcrFailed(Exception):
    """Tesseract could not read a page; the message is a sentence for people."""


def installed_languages(command: str = "tesseract") -> frozenset[str]:
    """The languages Tesseract can read here (none when it is not installed)."""
    try:
        listed = subprocess.run([command, "--list-langs"], capture_output=True, text=True,
                                timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("no OCR: %s --list-langs failed: %s", command, exc)
        return frozenset()
    # The first line is a heading; "osd" detects orientation and is no language.
    return frozenset(line.strip() for line in listed.splitlines()[1:] if line.strip()) - {"osd"}


def recognize(page: bytes, languages: Sequence[str], dpi: float,
              command: str = "tesseract") -> PageText:
    """Read a page image (JPEG or PNG); ``dpi`` sizes the text layer like the PDF page."""
    # One thread per Tesseract: the pool that calls this decides how many run at once.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="handoff-ocr-") as folder:
        out = Path(folder) / "page"
        try:
            subprocess.run(
                [command, "stdin", str(out), "-l", "+".join(languages), "--dpi", str(round(dpi)),
                 "-c", "textonly_pdf=1", "pdf", "txt"],
                input=page, capture_output=True, env=env, timeout=PAGE_TIMEOUT, check=True,
            )
        except FileNotFoundError as exc:
            raise OcrFailed("Text recognition is not installed on the server (tesseract).") from exc
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(f"Text recognition took longer than {PAGE_TIMEOUT:.0f} s for a page.") from exc
        except subprocess.CalledProcessError as exc:
            said = exc.stderr.decode(errors="replace").strip().splitlines()
            detail = said[-1] if said else f"exit status {exc.returncode}"
            raise OcrFailed(f"Text recognition failed: {detail}") from exc
        except OSError as exc:
            raise OcrFailed(f"Text recognition failed: {exc}") from exc
        try:
            return PageText(out.with_suffix(".pdf").read_bytes(),
                            out.with_suffix(".txt").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise OcrFailed("Text recognition failed: it wrote no result.") from exc


def read_page(page: bytes, languages: Sequence[str], dpi: float,
              command: str = "tesseract") -> PageText | OcrFailed:
    """:func:`recognize`, with a failure returned rather than raised."""
    try:
        return recognize(page, languages, dpi, command)
    except OcrFailed as exc:
        log.warning("OCR of a scan page failed: %s", exc)
        return exc


def with_text_layers(pdf: bytes, layers: Sequence[bytes | None]) -> bytes:
    """``pdf`` with each page's text layer (where there is one) laid under its image."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page, layer in zip(document.pages, layers, strict=True):
            if layer is None:
                continue
            with pikepdf.open(io.BytesIO(layer)) as text:
                page.add_underlay(text.pages[0], pikepdf.Rectangle(*page.mediabox))
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
