"""Scan pages: corner checks and perspective correction at the page's true proportions.

Everything here blocks: call it in a thread. Corners are four ``(x, y)``
points in the pixels of the uploaded image as displayed (after its EXIF
orientation), in the order top-left, top-right, bottom-right, bottom-left.
"""

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ...errors import Unprocessable
from ..photo import MAX_SIDE, encode, flatten, normalize, open_image
from .aspect import page_ratio, snap
from .filters import apply_filter, rotate
from .fit import Point

#: A corrected page narrower or lower than this is a slip of the finger, not a page.
MIN_PAGE_SIDE = 64
#: How far (in pixels) a corner may lie outside the image before it is refused.
EDGE_TOLERANCE = 2.0


def check_corners(corners: Sequence[Point], width: int, height: int) -> list[Point]:
    """The corners, clamped into the image, or 422 with a sentence the phone can show."""
    for x, y in corners:
        if not (-EDGE_TOLERANCE <= x <= width + EDGE_TOLERANCE
                and -EDGE_TOLERANCE <= y <= height + EDGE_TOLERANCE):
            raise Unprocessable(
                f"A corner ({x:.6g}, {y:.6g}) lies outside the {width}×{height} photo; "
                "place all four corners on the photo.",
                code="corners_outside_image",
            )
    points = [(min(max(x, 0.0), width), min(max(y, 0.0), height)) for x, y in corners]
    # With y pointing down, top-left → top-right → bottom-right → bottom-left turns
    # clockwise, so every cross product of consecutive edges is positive.
    turns = []
    for i in range(4):
        (ax, ay), (bx, by), (cx, cy) = points[i], points[(i + 1) % 4], points[(i + 2) % 4]
        turns.append((bx - ax) * (cy - by) - (by - ay) * (cx - bx))
    if all(turn < 0 for turn in turns):
        raise Unprocessable(
            "The corners are in mirrored order; give them as top-left, top-right, "
            "bottom-right, bottom-left.",
            code="corners_mirrored",
        )
    if not all(turn > 0 for turn in turns):
        raise Unprocessable(
            "The corners do not form a convex four-sided shape; drag them onto the "
            "page's four corners.",
            code="corners_not_convex",
        )
    out_width, out_height = output_size(points, (width, height))
    if min(out_width, out_height) < MIN_PAGE_SIDE:
        raise Unprocessable(
            f"The selected area is too small ({out_width}×{out_height} pixels); "
            f"a page must be at least {MIN_PAGE_SIDE} pixels on each side.",
            code="crop_too_small",
        )
    return points


def output_size(corners: Sequence[Point], image_size: tuple[int, int]) -> tuple[int, int]:
    """Width and height of the corrected page: the page's true proportions
    (snapped to a paper size when close to one), as many pixels as its longest
    edge in the photo."""
    tl, tr, br, bl = corners
    ratio, _ = snap(page_ratio(corners, image_size))
    width = max(math.dist(tl, tr), math.dist(bl, br))
    height = max(math.dist(tl, bl), math.dist(tr, br))
    if width >= height * ratio:
        return round(width), round(width / ratio)
    return round(height * ratio), round(height)


def perspective_coefficients(source: Sequence[Point], width: int, height: int) -> list[float]:
    """The eight coefficients Pillow's PERSPECTIVE transform wants.

    Pillow maps each output pixel back into the source, so the homography solved
    here takes the output rectangle's corners to the source corners.
    """
    target = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    rows, values = [], []
    for (u, v), (x, y) in zip(target, source, strict=True):
        rows.append([u, v, 1, 0, 0, 0, -u * x, -v * x])
        rows.append([0, 0, 0, u, v, 1, -u * y, -v * y])
        values += [x, y]
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(values))]


def straighten(image: Image.Image, corners: Sequence[Point]) -> Image.Image:
    """The quadrilateral at ``corners`` as an upright rectangle, at most MAX_SIDE px."""
    points = check_corners(corners, *image.size)
    width, height = output_size(points, image.size)
    scale = min(1.0, MAX_SIDE / max(width, height))
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    coefficients = perspective_coefficients(points, width, height)
    return _opaque(image).transform(
        (width, height), Image.Transform.PERSPECTIVE, coefficients,
        # Bilinear: a fifth of bicubic's time for a 12 MP page (the transform was half of
        # a page's cost), and the page comes out the same (SSIM 0.99+; bench/images.py).
        resample=Image.Resampling.BILINEAR, fillcolor="white",
    )


def _opaque(image: Image.Image) -> Image.Image:
    """RGB or L, transparency laid on white (a page has no see-through parts)."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return flatten(image.convert("RGBA"))
    return image.convert("RGB")


def process_page(data: bytes, corners: Sequence[Point] | None, filter_name: str = "auto",
                 rotation: int = 0) -> tuple[bytes, tuple[int, int]]:
    """One uploaded page as a clean image file and its size.

    Upright, metadata-free, corrected when ``corners`` are given (kept as sent,
    after the same checks as photos, when not), turned ``rotation`` degrees
    clockwise and given its filter on the full-resolution page. Black-and-white
    pages are 1-bit PNGs, every other page a JPEG.
    """
    image = open_image(data)
    if corners is not None:
        image = straighten(image, corners)
    image = rotate(flatten(normalize(image)), rotation)
    image = apply_filter(image, filter_name)
    if image.mode == "1":
        return encode(image, "png"), image.size
    return encode(image, "jpg"), image.size
