"""Signature rendering costs what the pad's size allows, whatever points are sent."""

import io
from functools import cache

import pypdf
import pytest
from PIL import Image

from handoff.capture import ink
from handoff.capture.photo import MAX_PAGE_SIDE, MIN_PAGE_SIDE, page_layout
from handoff.capture.signature import (
    MAX_INK,
    MAX_RASTER_PIXELS,
    render_signature,
    smooth_path,
)
from handoff.errors import Unprocessable
from handoff.models import SignatureStrokes


@cache
def back_and_forth(width: float, height: float, strokes: int = 2000, points: int = 100) -> SignatureStrokes:
    """The most points allowed, going back and forth across the pad with nearly all the ink allowed."""
    reach = MAX_INK * (width + height) * 0.9 / (strokes * points)
    rows = [
        [[abs(i * reach % (2 * width) - width), height * (k + 0.5) / strokes]
         for i in range(k * points, (k + 1) * points)]
        for k in range(strokes)
    ]
    return SignatureStrokes(width=width, height=height, strokes=rows)


def test_a_drawing_takes_a_bounded_number_of_segments():
    strokes = ink.Strokes.of(back_and_forth(400, 200).strokes)
    step = strokes.step()
    path = strokes.thinned(step).curves(step)
    assert len(strokes) == 200_000
    assert len(path) <= 2 * ink.MAX_SEGMENTS + 2 * 2000


def test_the_drawn_path_passes_where_the_svg_path_does():
    stroke = [[10, 10], [60, 80], [120, 20], [170, 90], [200, 40]]
    path = ink.Strokes.of([stroke]).curves(0.5).points.tolist()
    for _command, points in smooth_path([(x, y) for x, y in stroke]):
        end = points[-1]
        assert any(abs(x - end[0]) < 1e-9 and abs(y - end[1]) < 1e-9 for x, y in path), end


def test_a_stroke_of_one_point_is_a_dot():
    pad = SignatureStrokes(width=100, height=100, strokes=[[[10, 10], [40, 40]], [[80, 20]]])
    image = Image.open(io.BytesIO(render_signature(pad, "png").data))
    assert image.getchannel("A").getpixel((160, 40)) > 200


@pytest.mark.parametrize(("x", "y"), [(-3, 50), (104, 50), (50, 1e6)])
def test_points_off_the_pad_are_refused(x, y):
    pad = SignatureStrokes(width=100, height=100, strokes=[[[10, 10], [60, 60], [x, y]]])
    with pytest.raises(Unprocessable) as refused:
        render_signature(pad, "svg")
    assert refused.value.code == "point_outside_pad"


@pytest.mark.parametrize(("width", "height", "output_format"), [
    (1500, 1500, "png"), (1500, 1500, "jpg"), (1500, 1500, "pdf"), (1500, 1500, "svg"),
    (20000, 20000, "png"), (20000, 10, "pdf"),
])
def test_the_costliest_signatures_render(width, height, output_format):
    data = render_signature(back_and_forth(width, height), output_format).data
    if output_format == "pdf":
        assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1
    elif output_format != "svg":
        image = Image.open(io.BytesIO(data))
        assert image.width * image.height <= MAX_RASTER_PIXELS
        assert max(image.size) <= 3000


def test_pdf_pages_are_never_thinner_than_an_inch_nor_longer_than_pdf_allows():
    assert page_layout((842, 2.8))(3000, 10, None) == (842, MIN_PAGE_SIDE, 842, 2.8)
    page_width, page_height, image_width, image_height = page_layout((20000, 300))(3000, 45, None)
    assert page_width == image_width == MAX_PAGE_SIDE
    assert page_height == image_height == pytest.approx(300 * MAX_PAGE_SIDE / 20000)
