"""Per-page filters and rotation, applied to the full-resolution page."""

import io

import numpy as np
import pytest
from PIL import Image

from handoff.capture.scan.assemble import document_pdf
from handoff.capture.scan.straighten import process_page

from ..scanmedia import grid_page, lit_from_side, text_page, to_jpeg

LINES = ["Invoice 2024 paid in full", "Rechnung bezahlt am Montag", "total 1234.56 EUR"]


def page_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def paper_levels(image: Image.Image, boxes) -> tuple[float, float]:
    """The paper's brightness at the page's left and right margins (no text there)."""
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    width = grey.shape[1]
    rows = slice(grey.shape[0] // 2, grey.shape[0] * 9 // 10)  # below the text
    return float(grey[rows, 10:60].mean()), float(grey[rows, width - 60 : width - 10].mean())


@pytest.fixture(scope="module")
def shaded() -> tuple[bytes, dict]:
    page, boxes = text_page(LINES)
    return to_jpeg(lit_from_side(page, darkest=0.5)), boxes


@pytest.mark.parametrize("name", ["auto", "bw"])
def test_auto_and_bw_even_out_light_falling_off_to_one_side(shaded, name):
    data, boxes = shaded
    page, _ = process_page(data, None, name)
    left, right = paper_levels(page_of(page), boxes)
    assert left >= 250 and right >= 250, (left, right)


@pytest.mark.parametrize("name", ["color", "grayscale"])
def test_color_and_grayscale_keep_the_light_as_captured(shaded, name):
    data, boxes = shaded
    page, _ = process_page(data, None, name)
    left, right = paper_levels(page_of(page), boxes)
    assert left - right > 100, (left, right)


@pytest.mark.parametrize("name", ["auto", "bw"])
def test_flattening_keeps_the_text_black(shaded, name):
    data, boxes = shaded
    grey = np.asarray(page_of(process_page(data, None, name)[0]).convert("L"))
    for word in ("Invoice", "EUR"):  # one word in the light, one in the shade
        left, top, right, bottom = boxes[word]
        assert grey[top:bottom, left:right].min() < 40, word


def test_each_filter_stores_its_kind_of_image():
    data = to_jpeg(grid_page(400, 600))
    kinds = {}
    for name in ("auto", "color", "grayscale", "bw"):
        image = page_of(process_page(data, None, name)[0])
        kinds[name] = (image.format, image.mode)
    assert kinds == {"auto": ("JPEG", "RGB"), "color": ("JPEG", "RGB"),
                     "grayscale": ("JPEG", "L"), "bw": ("PNG", "1")}


def test_auto_keeps_colour():
    page, _ = text_page(LINES)
    page.paste((200, 30, 30), (100, 1200, 400, 1400))
    image = page_of(process_page(to_jpeg(page), None, "auto")[0]).convert("RGB")
    red, green, blue = image.getpixel((250, 1300))
    assert red > 150 and green < 80 and blue < 80


@pytest.mark.parametrize("name", ["auto", "bw"])
def test_a_large_dark_area_is_not_taken_for_shaded_paper(name):
    # A photo on the page is wider than the closing: its paper level reads dark,
    # and only the floor under it keeps the photo from being divided into white.
    page, _ = text_page(LINES)
    page.paste((50, 50, 50), (300, 600, 900, 1200))
    grey = np.asarray(page_of(process_page(to_jpeg(page), None, name)[0]).convert("L"))
    assert grey[700:1100, 400:800].mean() < 200


@pytest.mark.parametrize("shade", [0, 240, 255])
@pytest.mark.parametrize("name", ["auto", "bw", "grayscale"])
def test_a_page_of_one_shade_comes_out_plain(name, shade):
    # The back of a sheet, or a photo of the table: nothing to separate, still a page.
    data = to_jpeg(Image.new("RGB", (800, 1100), (shade, shade, shade)))
    page, _ = process_page(data, None, name)
    image = Image.open(io.BytesIO(page)).convert("L")
    low, high = image.getextrema()
    assert high - low <= 8, (low, high)


def test_bw_page_is_several_times_smaller_than_colour():
    page, _ = text_page(LINES * 6)
    data = to_jpeg(lit_from_side(page, 0.7))
    colour, _ = process_page(data, None, "color")
    bw, _ = process_page(data, None, "bw")
    assert len(bw) * 3 < len(colour), (len(bw), len(colour))
    colour_pdf, bw_pdf = document_pdf([colour]), document_pdf([bw])
    assert b"/CCITTFaxDecode" in bw_pdf
    assert len(bw_pdf) * 3 < len(colour_pdf), (len(bw_pdf), len(colour_pdf))


@pytest.mark.parametrize("degrees, corner", [(0, (0, 0)), (90, (1, 0)), (180, (1, 1)), (270, (0, 1))])
def test_rotation_turns_the_page_clockwise(degrees, corner):
    page = grid_page(400, 600, marks=1)  # a red square at the top-left
    data, (width, height) = process_page(to_jpeg(page), None, "color", degrees)
    assert (width, height) == ((400, 600) if degrees in (0, 180) else (600, 400))
    image = page_of(data).convert("RGB")
    x = 22 if corner[0] == 0 else width - 23
    y = 22 if corner[1] == 0 else height - 23
    red, green, _ = image.getpixel((x, y))
    assert red > 150 and green < 100, (degrees, image.getpixel((x, y)))
