"""Suggested corners: the page's edges found against its background, or an inset rectangle."""

import math

import numpy as np
import pytest
from aiohttp import FormData
from PIL import Image

from handoff.capture.scan.detect import suggest_corners

from ..scanmedia import ANGLED, grid_page, photographed, to_jpeg
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


@pytest.mark.parametrize(
    ("corners", "scene", "tolerance"),
    [
        (TILTED, {"background": "#6b6b6b"}, 1.5),
        ([(300.0, 120.0), (760.0, 330.0), (560.0, 900.0), (90.0, 690.0)],
         {"background": "#505050"}, 1.5),  # rotated about 25°
        (ANGLED, {"background": "#3a2a1a", "noise": 18}, 1.5),  # dark grainy table
        (TILTED, {"background": "#c8c8c8", "noise": 4}, 1.5),  # low contrast
        (ANGLED, {"background": "#555555", "blur": 2}, 3.0),  # out of focus
        (TILTED, {"background": "#5a5a5a", "noise": 6, "shade": True}, 1.5),
    ],
)
def test_detection_finds_page_corners_within_tolerance(corners, scene, tolerance):
    scene = dict(scene)
    shade = scene.pop("shade", False)
    photo = photographed(grid_page(), corners, **scene)
    suggestion = suggest_corners(to_jpeg(_shaded(photo) if shade else photo))
    assert suggestion.detected
    error = max(math.dist(found, true) for found, true in zip(suggestion.corners, corners))
    assert error <= tolerance, suggestion.corners


@pytest.mark.parametrize(
    ("corners", "background"),
    [
        (ANGLED, "#f4f4f4"),  # a white page on a white table
        ([(-20, -20), (920, -10), (910, 1010), (-10, 1020)], "#6b6b6b"),  # fills the frame
    ],
    ids=["white-on-white", "fills-the-frame"],
)
def test_detection_falls_back_when_no_page_stands_out(corners, background):
    photo = photographed(grid_page(), corners, background=background)
    assert suggest_corners(to_jpeg(photo)).detected is False
