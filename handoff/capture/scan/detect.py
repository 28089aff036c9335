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
#: Least colour distance (0–441) between page and background worth trusting.
MIN_CONTRAST = 28.0
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
    found = find_page(np.asarray(small, dtype=np.float32))
    if found is None:
        return Suggestion(inset_rectangle(width, height), False, width, height)
    coarse, background = found
    scale = work.width / small.width
    quad = refine(np.asarray(work, dtype=np.float32), background,
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
    """The page's corners in ``rgb``'s pixels and the background colour, or None
    when no page stands out."""
    height, width = rgb.shape[:2]
    band = max(2, min(height, width) // 40)
    border = np.concatenate([
        rgb[:band].reshape(-1, 3), rgb[-band:].reshape(-1, 3),
        rgb[:, :band].reshape(-1, 3), rgb[:, -band:].reshape(-1, 3),
    ])
    background = np.median(border, axis=0)
    distance = np.linalg.norm(rgb - background, axis=2)
    threshold = _otsu(distance)
    if threshold < MIN_CONTRAST:
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
    return corners, background  # type: ignore[return-value]


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

