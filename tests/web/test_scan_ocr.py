"""Searchable scans: OCR on create, a text layer under every PDF page, and
scans that survive OCR failing."""

import io
import stat

import pikepdf
import pytest
from pypdf import PdfReader

from ..conftest import A
from ..scanmedia import camera_corners, photographed, text_page, to_jpeg
from .scanflow import accepted, download, finalize, new_scan, scan_result

LINES = ["Invoice number 4711 paid", "Rechnung bezahlt Montag", "Quantum lettuce wardrobe"]
WORDS = [word for line in LINES for word in line.split()]
#: The rendered page: A4 at 150 dpi, so it comes back as an A4 PDF page.
PAGE_SIZE = (1240, 1754)


def photographed_text(tilt: float = 30, turn: float = 15) -> tuple[bytes, list, dict]:
    page, boxes = text_page(LINES)
    corners = camera_corners((210, 297), tilt, turn, spin=3, size=(1800, 2400), fill=0.8)
    return to_jpeg(photographed(page, corners, size=(1800, 2400))), corners, boxes


def words_on_page(pdf: bytes) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Where each word of the first page's text starts, in points from the top-left.

    Reads the text drawing operators of the page and the forms it draws (where
    a text layer laid under the image lives), following ``q``/``Q``, ``cm``, ``Tm`` and ``Td``.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        width, height = float(page.mediabox[2]), float(page.mediabox[3])
        words: dict[str, tuple[float, float]] = {}

        def run(content, resources, cm):
            line, saved = [1, 0, 0, 1, 0, 0], []
            for operands, operator in pikepdf.parse_content_stream(content):
                op = str(operator)
                if op == "q":
                    saved.append(cm)
                elif op == "Q":
                    cm = saved.pop()
                elif op == "cm":
                    cm = multiply([float(v) for v in operands], cm)
                elif op == "Do":
                    form = resources.XObject[operands[0]]
                    if form.Subtype == "/Form":
                        matrix = [float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                        run(form, form.get("/Resources", resources), multiply(matrix, cm))
                elif op == "Tm":
                    line = [float(v) for v in operands]
                elif op == "Td":
                    line = multiply([1, 0, 0, 1, float(operands[0]), float(operands[1])], line)
                elif op == "TJ":
                    text = "".join(bytes(part).decode("utf-16-be") for part in operands[0]
                                   if isinstance(part, pikepdf.String))
                    x, y = apply(multiply(line, cm), 0, 0)
                    words.setdefault(text.strip().lower(), (x, height - y))

        run(page, page.Resources, [1, 0, 0, 1, 0, 0])
    return words, (width, height)


def multiply(m, n):
    """The PDF matrix product m × n (m applied first)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return [a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u]


def apply(m, x, y):
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


async def test_ocr_makes_the_pdf_searchable_with_words_in_place(client):
    session, token = await new_scan(client, ocr=True)
    photo, corners, boxes = photographed_text()
    await accepted(client, token, photo, corners=corners)
    assert (await finalize(client, token)).status == 200
    document = (await scan_result(client, session))["documents"][0]
    assert document["ocr"] == "done" and "ocr_error" not in document
    _, pdf = await download(client, document["pdf_url"])
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().lower()
    assert all(word.lower() in text for word in WORDS), text  # viewers search ignoring case
    placed, (width, height) = words_on_page(pdf)
    assert (width, height) == pytest.approx((595.28, 841.89), abs=0.05)
    scale = width / PAGE_SIZE[0]
    for word in WORDS:
        left, top, _, bottom = boxes[word]
        x, y = placed[word.lower()]
        # Selecting the word highlights it where it is printed: within 3 % of the page.
        assert abs(x - left * scale) < 18 and top * scale - 18 < y < bottom * scale + 18, (word, x, y)


async def test_ocr_reads_german_when_asked(client):
    session, token = await new_scan(client, output_format="images", ocr=True, ocr_languages=["deu", "eng"])
    photo, corners, _ = photographed_text()
    await accepted(client, token, photo, corners=corners, filter="bw")
    await finalize(client, token)
    document = (await scan_result(client, session))["documents"][0]
    assert document["ocr"] == "done" and len(document["pages"]) == 1
    content_type, text = await download(client, document["text_url"])
    assert content_type == "text/plain; charset=utf-8"
    assert all(word.lower() in text.decode().lower() for word in WORDS), text


async def test_without_ocr_the_result_has_no_ocr_fields(client):
    session, token = await new_scan(client, output_format="images")
    photo, corners, _ = photographed_text()
    await accepted(client, token, photo, corners=corners)
    await finalize(client, token)
    assert set((await scan_result(client, session))["documents"][0]) == {"pages"}


@pytest.mark.parametrize(("body", "message"), [
    ({"ocr": True, "ocr_languages": ["klingon"]}, "'klingon' is not an installed OCR language"),
    ({"ocr": True, "ocr_languages": ["../eng"]}, "ocr_languages.0"),
    ({"ocr": True, "ocr_languages": []}, "ocr_languages"),
    ({"ocr_languages": ["eng"]}, "ocr_languages needs ocr: true"),
    ({"action_type": "photo", "output_format": "jpg", "ocr": True}, "ocr applies only to action_type 'scan'"),
])
async def test_bad_ocr_requests_are_refused(client, body, message):
    response = await client.post("/api/v1/sessions", json={"action_type": "scan", **body},
                                 headers=A)
    answer = await response.json()
    assert response.status == 400 and answer["code"] == "invalid_request"
    assert message in answer["error"], answer["error"]


def fake_tesseract(folder, recognise: str) -> str:
    """A Tesseract that lists English but does ``recognise`` (shell) when asked to read."""
    script = folder / "tesseract"
    script.write_text('#!/bin/sh\nif [ "$1" = --list-langs ]; then\n'
                      '  echo "List of available languages (1):"; echo eng; exit 0\nfi\n'
                      f"{recognise}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.mark.parametrize(("recognise", "reason"), [
    ('echo "Error in pixReadMem: Segmentation fault" >&2; kill -SEGV $$', "Text recognition failed"),
    ("exit 0", "Text recognition failed"),  # claims success but writes nothing
    (None, "not installed"),  # uninstalled after the server started
])
async def test_ocr_failure_still_delivers_the_scan(make_client, tmp_path, recognise, reason):
    command = fake_tesseract(tmp_path, recognise or "exit 0")
    client = await make_client(ocr_command=command)
    session, token = await new_scan(client, ocr=True)
    photo, corners, _ = photographed_text()
    await accepted(client, token, photo, corners=corners)
    if recognise is None:
        (tmp_path / "tesseract").unlink()
    assert (await finalize(client, token)).status == 200
    document = (await scan_result(client, session))["documents"][0]
    assert document["ocr"] == "failed" and reason in document["ocr_error"]
    _, pdf = await download(client, document["pdf_url"])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and reader.pages[0].extract_text().strip() == ""
