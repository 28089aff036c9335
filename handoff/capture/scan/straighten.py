"""Scan pages: perspective correction, page validation and document assembly.

Everything here blocks: call it in a thread. Corners are four ``(x, y)``
points in the pixels of the uploaded image as displayed (after its EXIF
orientation), in the order top-left, top-right, bottom-right, bottom-left.
"""

import math
from collections.abc import Sequence

import img2pdf
import numpy as np
from PIL import Image

from ...errors import Unprocessable
from ..photo import MAX_SIDE, encode, flatten, normalize, open_image
from .fit import Point
from ...domain import NewFile

#: A corrected page narrower or lower than this is a slip of the finger, not a page.
MIN_PAGE_SIDE = 64
#: How far (in pixels) a corner may lie outside the image before it is refused.
EDGE_TOLERANCE = 2.0
#: The shorter side of every PDF page: the width of A4 in points (210 mm).
PDF_SHORT_SIDE = 595.28
#: The PDF specification's largest page side without a user unit (200 inches).
PDF_LONGEST = 14400.0


def check_corners(corners: Sequence[Point], width: int, height: int) -> list[Point]:
    """The corners, clamped into the image, or 422 with a sentence the phone can show."""
    for x, y in corners:
        if not (-EDGE_TOLERANCE <= x <= width + EDGE_TOLERANCE
                and -EDGE_TOLERANCE <= y <= height + EDGE_TOLERANCE):
            raise Unprocessable(
                f"A corner ({x:.0f}, {y:.0f}) lies outside the {width}×{height} photo; "
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
    out_width, out_height = output_size(points)
    if min(out_width, out_height) < MIN_PAGE_SIDE:
        raise Unprocessable(
            f"The selected area is too small ({out_width}×{out_height} pixels); "
            f"a page must be at least {MIN_PAGE_SIDE} pixels on each side.",
            code="crop_too_small",
        )
    return points


def output_size(corners: Sequence[Point]) -> tuple[int, int]:
    """Width and height of the corrected page: the longer of each pair of opposite edges."""
    tl, tr, br, bl = corners
    width = max(math.dist(tl, tr), math.dist(bl, br))
    height = max(math.dist(tl, bl), math.dist(tr, br))
    return round(width), round(height)


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
    width, height = output_size(points)
    scale = min(1.0, MAX_SIDE / max(width, height))
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    coefficients = perspective_coefficients(points, width, height)
    return _opaque(image).transform(
        (width, height), Image.Transform.PERSPECTIVE, coefficients,
        resample=Image.Resampling.BICUBIC, fillcolor="white",
    )


def _opaque(image: Image.Image) -> Image.Image:
    """RGB or L, transparency laid on white (a page has no see-through parts)."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return flatten(image.convert("RGBA"))
    return image.convert("RGB")


def process_page(data: bytes, corners: Sequence[Point] | None) -> tuple[bytes, tuple[int, int]]:
    """One uploaded page as a clean JPEG and its size: upright, metadata-free,
    corrected when ``corners`` are given, kept as sent (after the same checks as
    photos) when not."""
    image = open_image(data)
    if corners is not None:
        image = straighten(image, corners)
    image = normalize(image)
    return encode(image, "jpg"), image.size


def _page_layout(width_px: int, height_px: int, _dpi: object) -> tuple[float, float, float, float]:
    # The shorter side is A4's width, so an A4-proportioned page prints as A4
    # and every other page keeps its own aspect ratio; a strip as long as a
    # till receipt stays within the 200-inch page size every viewer supports.
    scale = min(PDF_SHORT_SIDE / min(width_px, height_px), PDF_LONGEST / max(width_px, height_px))
    width, height = width_px * scale, height_px * scale
    return width, height, width, height


def document_pdf(pages: list[bytes]) -> bytes:
    """One PDF with a page per JPEG, in order; img2pdf embeds the JPEG data unchanged."""
    return img2pdf.convert(pages, layout_fun=_page_layout)


def assemble(documents: list[list[bytes]], output_format: str) -> tuple[list[NewFile], list[dict]]:
    """The result files and, per document, which of them it consists of.

    ``documents`` holds each document's page JPEGs in order. The second value is
    what :meth:`SessionStore.complete` takes as ``scan_documents``.
    """
    files: list[NewFile] = []
    layout: list[dict] = []
    multi = len(documents) > 1
    for number, pages in enumerate(documents, start=1):
        stem = f"scan-{number}" if multi else "scan"
        if output_format == "pdf":
            layout.append({"pdf": len(files)})
            files.append(NewFile.of("application/pdf", f"{stem}.pdf", document_pdf(pages)))
        else:
            indexes = []
            for page_number, page in enumerate(pages, start=1):
                indexes.append(len(files))
                files.append(NewFile.of("image/jpeg", f"{stem}-page-{page_number}.jpg", page))
            layout.append({"pages": indexes})
    return files, layout
