"""Signatures rendered by the server from the phone's strokes (never client markup).

Strokes are smoothed with quadratic curves through the midpoints of
consecutive points, so the result is a smooth line rather than a polyline.
Points that carry their time (``[x, y, t, pressure]``) are drawn as the pad
drew them, thick where the finger slowed or the pen pressed (:mod:`.pen`);
older ``[x, y]`` points get one width throughout.
Raster output covers the pad's whole area at twice its size, drawn
supersampled and scaled down for anti-aliased edges. What rendering costs
depends on the pad's size alone: points must lie on the pad, the ink may be
only so long, and :mod:`.ink` draws a bounded number of segments. Blocking:
call in a thread.
"""

import io
import math

import img2pdf
import numpy as np
from PIL import Image

from ..errors import Unprocessable
from . import ink, pen
from .photo import flatten, page_layout
from ..models import SignatureStrokes
from ..domain import NewFile

INK = "#111827"
#: Output raster scale relative to the pad, and the caps on its longest side and its
#: pixels (the largest pad still encodes in a fraction of a second).
RASTER_SCALE = 2.0
MAX_RASTER_SIDE = 3000
MAX_RASTER_PIXELS = 4_500_000
SUPERSAMPLE = 3
MIN_POINTS = 3
#: The ink must span at least this many pad pixels (diagonal of its bounding box).
MIN_EXTENT = 10.0
#: Points may lie outside the pad by this share of its side, or PAD_SLACK_PX if more.
PAD_SLACK = 0.02
PAD_SLACK_PX = 2.0
#: All strokes together may be this many times as long as the pad's width plus height;
#: a signature drawn across the pad is a few times as long.
MAX_INK = 50
#: The SVG keeps points at least this far apart (pad pixels), unless ink.MAX_SEGMENTS needs more.
SVG_STEP = 0.25

Point = tuple[float, float]
CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "pdf": "application/pdf",
}


def render_signature(pad: SignatureStrokes, output_format: str) -> NewFile:
    """Check the strokes and render them in the requested format."""
    strokes = ink.Strokes.of(pad.strokes)
    check_strokes(pad.width, pad.height, strokes)
    if pen.has_timing(pad.strokes):
        strokes = ink.Strokes(strokes.points, strokes.ids, pen.widths([s for s in pad.strokes if s]))
    if output_format == "svg":
        data = render_svg(pad.width, pad.height, strokes).encode()
    else:
        image = render_raster(pad.width, pad.height, strokes)
        if output_format == "png":
            data = _save(image, "PNG")
        elif output_format == "jpg":
            data = _save(flatten(image), "JPEG", quality=92)
        elif output_format == "pdf":
            data = render_pdf(image, (pad.width, pad.height))
        else:
            raise ValueError(f"unknown signature format {output_format!r}")
    return NewFile.of(CONTENT_TYPES[output_format], f"signature.{output_format}", data)


def check_strokes(width: float, height: float, strokes: ink.Strokes) -> None:
    """422 unless the strokes are a signature on this pad: enough points, on it, ink that
    spans some room but not far more than a signature needs."""
    if len(strokes) < MIN_POINTS:
        raise Unprocessable(
            "The signature is empty or too short; please sign on the pad.", code="empty_signature"
        )
    pad = np.array([width, height])
    slack = np.maximum(PAD_SLACK_PX, PAD_SLACK * pad)
    outside = ((strokes.points < -slack) | (strokes.points > pad + slack)).any(axis=1)
    if outside.any():
        x, y = strokes.points[outside.argmax()]
        raise Unprocessable(
            f"The signature has a point outside its {width:g}×{height:g} pad (at {x:g}, {y:g}); "
            "send the points in the pad's pixels.",
            code="point_outside_pad",
        )
    if strokes.length() > MAX_INK * (width + height):
        raise Unprocessable(
            "The signature has far more ink than a signature on this pad; "
            "please clear the pad and sign once.",
            code="too_much_ink",
        )
    extent = strokes.points.max(axis=0) - strokes.points.min(axis=0)
    if math.hypot(*extent) < MIN_EXTENT:
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


def _variable_paths(strokes: ink.Strokes) -> list[str]:
    """One ``<path>`` per run of curves drawn at the same width (to a quarter pixel)."""
    paths = []
    for stroke, widths in zip(strokes.split(), strokes.split_widths()):
        commands = smooth_path(stroke.tolist())
        w = widths.tolist()
        # Command k (after the first M) leaves from point k - 1: the pad's mean of its two points.
        sizes = [round((w[max(0, k - 2)] + w[k - 1]) / 2 * 4) / 4 for k in range(1, len(commands))]
        start = commands[0][1][0]
        run: list[str] = []
        for k, (command, points) in enumerate(commands[1:]):
            run.append(command + " " + " ".join(f"{x:.2f} {y:.2f}" for x, y in points))
            if k + 1 == len(sizes) or sizes[k + 1] != sizes[k]:
                d = f"M {start[0]:.2f} {start[1]:.2f} " + " ".join(run)
                paths.append(f'<path stroke-width="{sizes[k]:g}" d="{d}"/>')
                start, run = points[-1], []
    return paths


def render_svg(width: float, height: float, strokes: ink.Strokes) -> str:
    thinned = strokes.thinned(strokes.step(SVG_STEP))
    if thinned.widths is not None:
        paths = _variable_paths(thinned)
    else:
        paths = []
        for stroke in thinned.split():
            d = " ".join(
                command + " " + " ".join(f"{x:.2f} {y:.2f}" for x, y in points)
                for command, points in smooth_path(stroke.tolist())
            )
            paths.append(f'<path d="{d}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}">'
        f'<g fill="none" stroke="{INK}" stroke-width="{stroke_width(width, height):.2f}" '
        f'stroke-linecap="round" stroke-linejoin="round">{"".join(paths)}</g></svg>'
    )


def raster_size(width: float, height: float) -> tuple[tuple[int, int], float]:
    """The raster's size in pixels, and its scale relative to the pad."""
    scale = min(RASTER_SCALE, MAX_RASTER_SIDE / max(width, height),
                math.sqrt(MAX_RASTER_PIXELS / (width * height)))
    return (max(1, round(width * scale)), max(1, round(height * scale))), scale


def render_raster(width: float, height: float, strokes: ink.Strokes) -> Image.Image:
    """Black ink on transparency, the pad's whole area at ``RASTER_SCALE``."""
    size, scale = raster_size(width, height)
    big = SUPERSAMPLE * scale
    canvas = (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE)
    if strokes.widths is not None:
        mask = ink.draw_variable(canvas, strokes.scaled(big))
    else:
        line = max(1, round(stroke_width(width, height) * big))
        mask = ink.draw(canvas, strokes.scaled(big), line)
    # Averaging each square of samples gives every pixel the share of it the ink covers.
    alpha = mask.reduce(SUPERSAMPLE)
    image = Image.new("RGBA", size, INK)
    image.putalpha(alpha)
    return image


def render_pdf(image: Image.Image, pad: tuple[float, float]) -> bytes:
    """A one-page PDF the pad's size in points, the ink on white, losslessly embedded."""
    return img2pdf.convert(_save(flatten(image), "PNG"), layout_fun=page_layout(pad))


def _save(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()
