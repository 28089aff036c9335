"""The first-page preview on its own: bounded by the size asked, page 1 only, safe across threads."""

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageStat

from handoff.capture.pdf_preview import first_page
from handoff.capture.scan.assemble import document_pdf
from handoff.errors import Unprocessable

from ..media import jpeg


def brightness(data: bytes) -> float:
    return ImageStat.Stat(Image.open(io.BytesIO(data)).convert("L")).mean[0]


def test_the_preview_shows_page_one_of_many():
    pdf = document_pdf([jpeg(400, 560, color="#101010")] + [jpeg(400, 560, color="#fafafa")] * 4)
    preview = first_page(pdf, 200)
    assert (preview.width, preview.page_count) == (200, 5)
    assert brightness(preview.jpeg) < 60


def test_a_receipt_strip_on_a_200_inch_page_costs_what_a_thumbnail_costs():
    pdf = document_pdf([jpeg(100, 12000, color="#fafafa")])
    preview = first_page(pdf, 480)
    assert preview.height == 960 and preview.width <= 480


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\n", b"not a pdf at all", jpeg(50, 50)])
def test_bytes_that_are_no_pdf_are_refused_with_a_sentence(data):
    with pytest.raises(Unprocessable, match="cannot be read as a PDF"):
        first_page(data)


@pytest.mark.parametrize("width", [0, 63, 1025])
def test_a_width_out_of_bounds_is_a_programming_error(width):
    with pytest.raises(ValueError):
        first_page(document_pdf([jpeg(100, 100)]), width)


def test_previews_drawn_on_many_threads_at_once_are_each_right():
    dark = document_pdf([jpeg(300, 300, color="#101010")])
    light = document_pdf([jpeg(300, 300, color="#fafafa")])
    with ThreadPoolExecutor(4) as pool:
        previews = list(pool.map(first_page, [dark, light] * 8))
    assert [brightness(p.jpeg) < 128 for p in previews] == [True, False] * 8
