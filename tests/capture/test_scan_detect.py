"""Suggested corners: the page's edges found against its background, or an inset rectangle."""

import math

import numpy as np
import pytest
from aiohttp import FormData
from PIL import Image

from handoff.capture.scan.detect import suggest_corners

from ..scanmedia import ANGLED, dimmed, grid_page, photographed, text_page, to_jpeg, with_clutter, with_shadow
from ..web.test_scan import new_scan


async def test_detect_finds_an_angled_page(client):
    _, token = await new_scan(client)
    photo = to_jpeg(photographed(grid_page(), ANGLED, background="#4a3b2c", noise=10))
    form = FormData()
    form.add_field("file", photo, filename="page.jpg")
    response = await client.post(f"/s/{token}/scan/detect", data=form)
    body = await response.json()
    assert response.status == 200 and body["detected"] is True
    assert (body["width"], body["height"]) == (900, 1000)
    for (x, y), (ex, ey) in zip(body["corners"], ANGLED):
        assert abs(x - ex) <= 3 and abs(y - ey) <= 3, body["corners"]


async def test_detect_falls_back_to_an_inset_rectangle(client):
    _, token = await new_scan(client)
    form = FormData()
    form.add_field("file", to_jpeg(Image.new("RGB", (500, 400), "#808080")), filename="p.jpg")
    body = await (await client.post(f"/s/{token}/scan/detect", data=form)).json()
    assert body["detected"] is False
    assert body["corners"] == [[40, 32], [460, 32], [460, 368], [40, 368]]


TILTED = [(120.0, 200.0), (700.0, 260.0), (640.0, 900.0), (90.0, 820.0)]


def _shaded(image: Image.Image) -> Image.Image:
    """Light falling off towards the right, to 55 % at the far edge."""
    factor = 1 - 0.45 * np.arange(image.width) / image.width
    return Image.fromarray((np.asarray(image, float) * factor[None, :, None]).astype(np.uint8))


#: A page that reaches past every edge of the photo.
BEYOND = [(-20.0, -20.0), (920.0, -10.0), (910.0, 1010.0), (-10.0, 1020.0)]


def _scene(corners, scene: dict, page: Image.Image | None = None) -> Image.Image:
    scene = dict(scene)
    after = scene.pop("after", None)
    photo = photographed(page or grid_page(), corners, **scene)
    return after(photo) if after else photo


@pytest.mark.parametrize(
    ("corners", "scene", "tolerance"),
    [
        (TILTED, {"background": "#6b6b6b"}, 1.5),
        ([(300.0, 120.0), (760.0, 330.0), (560.0, 900.0), (90.0, 690.0)],
         {"background": "#505050"}, 1.5),  # rotated about 25°
        (ANGLED, {"background": "#3a2a1a", "noise": 18}, 1.5),  # dark grainy table
        (TILTED, {"background": "#c8c8c8", "noise": 4}, 1.5),  # low contrast
        (ANGLED, {"background": "#555555", "blur": 2}, 3.0),  # out of focus
        (TILTED, {"background": "#5a5a5a", "noise": 6, "after": _shaded}, 1.5),
        (ANGLED, {"background": "#f4f4f4"}, 1.5),  # a white page on a white table
        (TILTED, {"background": "#ececec", "noise": 3}, 1.5),  # ... with grain
        (TILTED, {"background": "#6b6b6b", "noise": 4, "after": with_shadow}, 1.5),  # a shadow across
        (ANGLED, {"background": "#6b6b6b", "noise": 4, "after": with_clutter}, 1.5),  # a pen, a card, a mug
        (TILTED, {"background": "#7a6a5a", "noise": 6, "after": lambda p: with_shadow(with_clutter(p))}, 1.5),
    ],
    ids=["tilted", "rotated", "grainy", "low-contrast", "blurred", "light-falling-off", "white-on-white",
         "white-on-white-grain", "shadow", "clutter", "clutter-and-shadow"],
)
def test_detection_finds_page_corners_within_tolerance(corners, scene, tolerance):
    suggestion = suggest_corners(to_jpeg(_scene(corners, scene)))
    assert suggestion.detected
    error = max(math.dist(found, true) for found, true in zip(suggestion.corners, corners))
    assert error <= tolerance, suggestion.corners


@pytest.mark.parametrize(
    "page",
    [grid_page(), dimmed(text_page(["The quick brown fox jumps over", "the lazy dog, again and again"] * 8)[0], 0.9)],
    ids=["grid", "text"],
)
def test_a_page_filling_the_frame_is_the_whole_photo(page):
    suggestion = suggest_corners(to_jpeg(_scene(BEYOND, {"background": "#6b6b6b", "noise": 3}, page)))
    assert suggestion.detected
    assert suggestion.corners == [(0, 0), (900, 0), (900, 1000), (0, 1000)]


@pytest.mark.parametrize(
    "photo",
    [
        Image.new("RGB", (900, 1000), "#f4f4f4"),  # a white wall: paper-like, but nothing printed
        photographed(grid_page(), BEYOND, background="#6b6b6b").convert("L").point(lambda v: v // 3 + 30)
        .convert("RGB"),  # grey tiles filling the frame: too dark for paper
        with_shadow(photographed(grid_page(), ANGLED, background="#f0f0f0", noise=2)),
    ],
    ids=["white-wall", "grey-everywhere", "white-on-white-under-a-shadow"],
)
def test_detection_falls_back_when_no_page_stands_out(photo):
    assert suggest_corners(to_jpeg(photo)).detected is False
