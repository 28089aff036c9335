"""Suggested corners: find a document's edges against its background.

Works on a small copy of the photo (numpy and Pillow only): the background's
colour is read from the photo's border, pixels far from it form the page, the
page's holes (its text) are filled, and the largest four-cornered shape that
fits the page's outline is the suggestion. When nothing page-like stands out,
an inset rectangle is suggested instead. Everything here blocks: call it in a thread.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from ..photo import open_image
from .fit import Point, convex_hull, largest_quad, polygon_area, refine, simplify

#: Longest side of the copy the detection works on.
DETECT_SIDE = 320
#: Longest side of the copy the corners are refined on, to well under a pixel of it.
REFINE_SIDE = 1024
#: Fraction of each side the fallback rectangle keeps free.
INSET = 0.08
#: Least colour distance (0–441) between page and table worth trusting, however even the table.
MIN_STEP = 8.0
#: The step from table to page must also be this many times the table's own spread.
NOISE_FACTOR = 2.5
#: Edges at least this light (mean of the channels) and at most this tinted (channels'
#: spread) may be paper, for a page that fills the photo.
PAPER_LIGHT = 150.0
PAPER_TINT = 40.0
#: Share of the photo's width and height the print must span for the page to fill it.
INK_SPREAD = 0.55
#: Hull vertices kept before fitting the quadrilateral (the fit is cubic in them).
MAX_HULL = 48


@dataclass(slots=True, frozen=True)
class Suggestion:
    corners: list[Point]
    detected: bool
    width: int
    height: int


def suggest_corners(data: bytes) -> Suggestion:
    """Corners (top-left, top-right, bottom-right, bottom-left) in the image's pixels."""
    image = open_image(data)
    width, height = image.size
    work = image.convert("RGB")
    work.thumbnail((REFINE_SIDE, REFINE_SIDE), Image.Resampling.BOX)
    small = work.resize(_fit(work.size, DETECT_SIDE), Image.Resampling.BOX)
    # A median removes text and paper grain but keeps the page's straight edges.
    small = small.filter(ImageFilter.MedianFilter(5))
    pixels = np.asarray(small, dtype=np.float32)
    found = find_page(pixels)
    if found is None:
        if fills_frame(pixels):
            return Suggestion([(0, 0), (width, 0), (width, height), (0, height)], True, width, height)
        return Suggestion(inset_rectangle(width, height), False, width, height)
    coarse, table = found
    scale = work.width / small.width
    # The table's colours vary smoothly, so the small copy's, enlarged, serve the refinement.
    table_image = Image.fromarray(np.clip(table + 0.5, 0, 255).astype(np.uint8))
    table = np.asarray(table_image.resize(work.size, Image.Resampling.BILINEAR), dtype=np.float32)
    quad = refine(np.asarray(work, dtype=np.float32), table,
                  [(x * scale, y * scale) for x, y in coarse], reach=3 * scale + 2)
    sx, sy = width / work.width, height / work.height
    corners = [(round(min(max(x * sx, 0), width), 1), round(min(max(y * sy, 0), height), 1))
               for x, y in quad]
    return Suggestion(corners, True, width, height)


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    factor = side / max(size)
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def inset_rectangle(width: int, height: int) -> list[Point]:
    dx, dy = width * INSET, height * INSET
    return [(dx, dy), (width - dx, dy), (width - dx, height - dy), (dx, height - dy)]


def find_page(rgb: np.ndarray) -> tuple[list[Point], np.ndarray] | None:
    """The page's corners in ``rgb``'s pixels and the table's colour at each pixel,
    or None when no page stands out."""
    height, width = rgb.shape[:2]
    band = max(2, min(height, width) // 40)
    table = _table(rgb, band)
    distance = np.linalg.norm(rgb - table, axis=2)
    # The table's own spread (grain, JPEG noise) at the photo's edge sets how small a
    # step from table to page can be trusted: a white page on a white table is a small one.
    edge = np.concatenate([distance[:band].ravel(), distance[-band:].ravel(),
                           distance[:, :band].ravel(), distance[:, -band:].ravel()])
    least = max(MIN_STEP, NOISE_FACTOR * float(np.percentile(edge, 90)))
    # Capped, so the ink's large distance (black lines on a grey table) cannot draw the
    # threshold between ink and paper instead of between paper and table.
    threshold = _otsu(np.minimum(distance, np.percentile(distance, 90)))
    if threshold < least:
        return None
    mask = _open(distance > threshold)
    # Whatever the border's background cannot reach is page, text holes included.
    outside = _grow(_edges_of(~mask), ~mask)
    page = _largest_part(~outside)
    if page is None or page.sum() < 0.08 * page.size:
        return None
    hull = convex_hull(_outline(page))
    if len(hull) < 4:
        return None
    quad = largest_quad(simplify(hull, MAX_HULL))
    area = polygon_area(quad)
    if not (0.08 * page.size <= area <= 0.985 * page.size):
        return None
    # A page is nearly all of its quadrilateral; a blob of another shape is not a page.
    if page.sum() < 0.88 * area or area < 0.9 * polygon_area(hull):
        return None
    # Pixel centres lie half a pixel inside the page's true edge.
    centre = np.mean(quad, axis=0)
    corners = [tuple(p + 0.5 + 0.5 * np.sign(p - centre)) for p in quad]
    return corners, table  # type: ignore[return-value]


def fills_frame(rgb: np.ndarray) -> bool:
    """Whether the page fills the whole photo: paper (light, nearly grey) all round
    its edges, and ink (much darker than that paper) on 0.3–40 % of it, spread over
    most of its width and height. A plain table or wall has no ink; a grey or
    coloured table is not paper."""
    band = max(2, min(rgb.shape[:2]) // 40)
    edges = np.concatenate([rgb[:band].reshape(-1, 3), rgb[-band:].reshape(-1, 3),
                            rgb[:, :band].reshape(-1, 3), rgb[:, -band:].reshape(-1, 3)])
    light = float(np.median(edges.mean(axis=1)))
    tint = float(np.median(edges.max(axis=1) - edges.min(axis=1)))
    if light < PAPER_LIGHT or tint > PAPER_TINT:
        return False
    ink = rgb.mean(axis=2) < 0.5 * light
    if not 0.003 <= float(ink.mean()) <= 0.4:
        return False
    # Print reaches across the photo, as it does on a page larger than the frame;
    # a page lying on a white table keeps its print well inside the photo.
    ys, xs = np.nonzero(ink)
    spread_x = np.subtract(*np.percentile(xs, [98, 2])) / rgb.shape[1]
    spread_y = np.subtract(*np.percentile(ys, [98, 2])) / rgb.shape[0]
    return bool(min(spread_x, spread_y) >= INK_SPREAD)


def _table(rgb: np.ndarray, band: int) -> np.ndarray:
    """The table's colour at every pixel, spread inwards from the photo's four edges
    (a Coons patch of the edges' colours), so a shadow or light falling across the
    table is part of the table, not a page.

    Each edge's colour is a running median over an eighth of its length, so a pen or a
    page corner reaching the edge does not colour the table around it.
    """
    height, width = rgb.shape[:2]
    top = _smooth(np.median(rgb[:band], axis=0), width // 8)
    bottom = _smooth(np.median(rgb[-band:], axis=0), width // 8)
    left = _smooth(np.median(rgb[:, :band], axis=1), height // 8)
    right = _smooth(np.median(rgb[:, -band:], axis=1), height // 8)
    u = (np.arange(width, dtype=np.float32) / max(1, width - 1))[None, :, None]
    v = (np.arange(height, dtype=np.float32) / max(1, height - 1))[:, None, None]
    corners = ((1 - u) * (1 - v) * top[0] + u * (1 - v) * top[-1]
               + (1 - u) * v * bottom[0] + u * v * bottom[-1])
    return (1 - v) * top[None] + v * bottom[None] + (1 - u) * left[:, None] + u * right[:, None] - corners


def _smooth(profile: np.ndarray, window: int) -> np.ndarray:
    """A running median of an edge's colours (clamped at its ends)."""
    reach = max(1, window // 2)
    padded = np.pad(profile, [(reach, reach), (0, 0)], mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1, axis=0)
    return np.median(windows, axis=-1).astype(np.float32)


def _otsu(values: np.ndarray) -> float:
    """The threshold that best splits ``values`` into two classes (Otsu's method)."""
    counts, edges = np.histogram(values, bins=128, range=(0, float(values.max()) + 1e-6))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    total = weight[-1]
    mean = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight / total - mean) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1])
    return float(edges[int(np.argmax(between)) + 1])


def _filter(mask: np.ndarray, kind: type[ImageFilter.RankFilter], size: int) -> np.ndarray:
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(image.filter(kind(size))) > 127


def _open(mask: np.ndarray) -> np.ndarray:
    """Drop specks smaller than a few pixels, keep the page's outline."""
    return _filter(_filter(mask, ImageFilter.MinFilter, 3), ImageFilter.MaxFilter, 3)


def _edges_of(mask: np.ndarray) -> np.ndarray:
    seed = np.zeros_like(mask)
    seed[0], seed[-1], seed[:, 0], seed[:, -1] = mask[0], mask[-1], mask[:, 0], mask[:, -1]
    return seed


def _grow(seed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Every pixel of ``allowed`` connected to ``seed`` (geodesic reconstruction)."""
    count = -1
    while True:
        grown = seed.copy()
        grown[1:] |= seed[:-1]
        grown[:-1] |= seed[1:]
        grown[:, 1:] |= seed[:, :-1]
        grown[:, :-1] |= seed[:, 1:]
        seed = grown & allowed
        new_count = int(np.count_nonzero(seed))
        if new_count == count:
            return seed
        count = new_count


def _largest_part(mask: np.ndarray, tries: int = 6) -> np.ndarray | None:
    """The largest connected part of ``mask`` (among the first few found)."""
    best, rest = None, mask.copy()
    for _ in range(tries):
        if not rest.any() or (best is not None and rest.sum() <= best.sum()):
            break
        seed = np.zeros_like(rest)
        seed.flat[int(np.argmax(rest))] = True
        part = _grow(seed, rest)
        if best is None or part.sum() > best.sum():
            best = part
        rest &= ~part
    return best


def _outline(mask: np.ndarray) -> np.ndarray:
    edge = mask & ~_filter(mask, ImageFilter.MinFilter, 3)
    ys, xs = np.nonzero(edge)
    return np.stack([xs, ys], axis=1).astype(np.float64)

