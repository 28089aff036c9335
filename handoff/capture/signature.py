"""Signatures rendered by the server from the phone's strokes (never client markup).

Strokes are smoothed with quadratic curves through the midpoints of
consecutive points, so the result is a smooth line rather than a polyline.
Raster output covers the pad's whole area at twice its size, drawn
supersampled and scaled down for anti-aliased edges. Blocking: call in a thread.
"""

import io
import math

import img2pdf
from PIL import Image, ImageDraw

from ..errors import Unprocessable
from .photo import flatten
from ..models import SignatureStrokes
from ..domain import NewFile

INK = "#111827"
#: Output raster scale relative to the pad, and the cap on its longest side.
RASTER_SCALE = 2.0
MAX_RASTER_SIDE = 3000
SUPERSAMPLE = 3
MIN_POINTS = 3
#: The ink must span at least this many pad pixels (diagonal of its bounding box).
MIN_EXTENT = 10.0

Point = tuple[float, float]
CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "pdf": "application/pdf",
}


def render_signature(pad: SignatureStrokes, output_format: str) -> NewFile:
    """Check the strokes and render them in the requested format."""
    strokes = [[(p[0], p[1]) for p in stroke] for stroke in pad.strokes if stroke]
    check_not_degenerate(strokes)
    if output_format == "svg":
        data = render_svg(pad.width, pad.height, strokes).encode()
    else:
        image = render_raster(pad.width, pad.height, strokes)
        if output_format == "png":
            data = _save(image, "PNG")
        elif output_format == "jpg":
            data = _save(flatten(image), "JPEG", quality=92)
        elif output_format == "pdf":
            data = render_pdf(image, pad.width)
        else:
            raise ValueError(f"unknown signature format {output_format!r}")
    return NewFile.of(CONTENT_TYPES[output_format], f"signature.{output_format}", data)


def check_not_degenerate(strokes: list[list[Point]]) -> None:
    points = [p for stroke in strokes for p in stroke]
    if len(points) < MIN_POINTS:
        raise Unprocessable(
            "The signature is empty or too short; please sign on the pad.", code="empty_signature"
        )
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    if math.hypot(max(xs) - min(xs), max(ys) - min(ys)) < MIN_EXTENT:
        raise Unprocessable(
            "The signature is too small; please sign across the pad.", code="degenerate_signature"
        )


def stroke_width(width: float, height: float) -> float:
    return max(2.0, min(width, height) / 110)


def smooth_path(stroke: list[Point]) -> list[tuple[str, list[Point]]]:
    """Path commands (``M``, ``Q``, ``L``) through the stroke's points."""
    if len(stroke) == 1:
        return [("M", [stroke[0]]), ("L", [stroke[0]])]
    commands: list[tuple[str, list[Point]]] = [("M", [stroke[0]])]
    for here, after in zip(stroke[1:-1], stroke[2:], strict=True):
        middle = ((here[0] + after[0]) / 2, (here[1] + after[1]) / 2)
        commands.append(("Q", [here, middle]))
    commands.append(("L", [stroke[-1]]))
    return commands


def render_svg(width: float, height: float, strokes: list[list[Point]]) -> str:
    paths = []
    for stroke in strokes:
        d = " ".join(
            command + " " + " ".join(f"{x:.2f} {y:.2f}" for x, y in points)
            for command, points in smooth_path(stroke)
        )
        paths.append(f'<path d="{d}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}">'
        f'<g fill="none" stroke="{INK}" stroke-width="{stroke_width(width, height):.2f}" '
        f'stroke-linecap="round" stroke-linejoin="round">{"".join(paths)}</g></svg>'
    )


def _flatten_path(stroke: list[Point], scale: float) -> list[Point]:
    """Sample the smoothed curve densely enough that segments are about a pixel long."""
    out: list[Point] = []
    current: Point = stroke[0]
    for command, points in smooth_path(stroke):
        if command == "M":
            current = points[0]
            out.append(current)
        elif command == "L":
            current = points[0]
            out.append(current)
        else:
            control, end = points
            length = math.dist(current, control) + math.dist(control, end)
            steps = max(2, int(length * scale / 2))
            for i in range(1, steps + 1):
                t = i / steps
                a = (1 - t) ** 2
                b = 2 * (1 - t) * t
                c = t * t
                out.append(
                    (
                        a * current[0] + b * control[0] + c * end[0],
                        a * current[1] + b * control[1] + c * end[1],
                    )
                )
            current = end
    return [(x * scale, y * scale) for x, y in out]


def render_raster(width: float, height: float, strokes: list[list[Point]]) -> Image.Image:
    """Black ink on transparency, the pad's whole area at ``RASTER_SCALE``."""
    scale = min(RASTER_SCALE, MAX_RASTER_SIDE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    big = SUPERSAMPLE * scale
    mask = Image.new("L", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(mask)
    line = max(1, round(stroke_width(width, height) * big))
    radius = line / 2
    for stroke in strokes:
        points = _flatten_path(stroke, big)
        if len(points) > 1:
            draw.line(points, fill=255, width=line, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    alpha = mask.resize(size, Image.Resampling.LANCZOS)
    image = Image.new("RGBA", size, INK)
    image.putalpha(alpha)
    return image


def render_pdf(image: Image.Image, pad_width: float) -> bytes:
    """A one-page PDF the pad's size in points, the ink on white, losslessly embedded."""
    dpi = 72 * image.width / pad_width
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    return img2pdf.convert(_save(flatten(image), "PNG"), layout_fun=layout)


def _save(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()
