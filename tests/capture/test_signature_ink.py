"""Signatures rendered as the pad drew them: thick where slow or pressed, thin where fast."""

import io
import re

import pypdf
import pytest
from PIL import Image

from handoff.capture import pen
from handoff.capture.signature import render_signature
from handoff.models import SignatureStrokes

from .test_signature_limits import back_and_forth


def slow_then_fast(pressure: float | None = None) -> SignatureStrokes:
    """One line across a 400×200 pad: slow on the left half, fast on the right."""
    slow = [[20 + 2 * i, 100, 10 * i] for i in range(90)]  # 0.2 px/ms
    fast = [[200 + 20 * i, 100, 900 + 2 * i] for i in range(10)]  # 10 px/ms
    points = slow + fast
    if pressure is not None:
        points = [p + [pressure] for p in points]
    return SignatureStrokes(width=400, height=200, strokes=[points])


def thickness(image: Image.Image, x: int) -> int:
    """Inked pixels in column ``x`` of a raster at twice the pad's size."""
    gray = image.getchannel("A") if image.mode == "RGBA" else image.convert("L").point(lambda v: 255 - v)
    return sum(1 for y in range(gray.height) if gray.getpixel((x, y)) > 127)


def raster(pad: SignatureStrokes, fmt: str) -> Image.Image:
    data = render_signature(pad, fmt).data
    if fmt == "pdf":
        [embedded] = pypdf.PdfReader(io.BytesIO(data)).pages[0].images
        return embedded.image
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["png", "jpg", "pdf"])
def test_a_slow_stroke_is_drawn_thicker_than_a_fast_one(fmt):
    image = raster(slow_then_fast(), fmt)
    scale = image.width / 400
    slow, fast = thickness(image, round(150 * scale)), thickness(image, round(320 * scale))
    assert slow >= 1.8 * fast > 0, (slow, fast)


def test_a_harder_pressed_pen_draws_a_thicker_line():
    light = raster(slow_then_fast(pressure=0.1), "png")
    firm = raster(slow_then_fast(pressure=0.9), "png")
    assert thickness(firm, 300) >= 2 * thickness(light, 300) > 0


def test_the_svg_carries_the_widths_thicker_where_slow():
    svg = render_signature(slow_then_fast(), "svg").data.decode()
    widths = [(float(w), d) for w, d in re.findall(r'<path stroke-width="([\d.]+)" d="M ([\d.]+)', svg)]
    assert len({w for w, _ in widths}) >= 3
    left = max(w for w, x in widths if float(x) < 180)
    right = min(w for w, x in widths if float(x) > 220)
    assert left >= 2 * right


def test_points_without_times_keep_one_width():
    pad = SignatureStrokes(width=400, height=200, strokes=[[[20 + 4 * i, 100] for i in range(90)]])
    svg = render_signature(pad, "svg").data.decode()
    assert "<path d=" in svg and "<path stroke-width" not in svg
    image = raster(pad, "png")
    assert abs(thickness(image, 100) - thickness(image, 600)) <= 1


def test_the_width_model_is_the_pads():
    # First point at the middle width; slow points approach the widest, fast the thinnest.
    widths = pen.widths([[[0, 0, 0], *[[i * 0.1, 0, i * 10] for i in range(1, 40)]],
                         [[0, 0, 0], *[[i * 100, 0, i] for i in range(1, 40)]]])
    assert widths[0] == pytest.approx((pen.MIN_WIDTH + pen.MAX_WIDTH) / 2)
    assert widths[39] == pytest.approx(pen.MAX_WIDTH, abs=0.01)
    assert widths[-1] == pytest.approx(pen.MIN_WIDTH, abs=0.01)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_the_costliest_timed_signatures_render(fmt):
    base = back_and_forth(1500, 1500)
    timed = SignatureStrokes(width=1500, height=1500, strokes=[
        [[p[0], p[1], i * 4, 0.5] for i, p in enumerate(stroke)] for stroke in base.strokes
    ])
    assert render_signature(timed, fmt).data
