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

from .imaging import open_image

Point = tuple[float, float]

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
    hull = _convex_hull(_outline(page))
    if len(hull) < 4:
        return None
    quad = _largest_quad(_simplify(hull, MAX_HULL))
    area = _polygon_area(quad)
    if not (0.08 * page.size <= area <= 0.985 * page.size):
        return None
    # A page is nearly all of its quadrilateral; a blob of another shape is not a page.
    if page.sum() < 0.88 * area or area < 0.9 * _polygon_area(hull):
        return None
    # Pixel centres lie half a pixel inside the page's true edge.
    centre = np.mean(quad, axis=0)
    corners = [tuple(p + 0.5 + 0.5 * np.sign(p - centre)) for p in quad]
    return corners, background  # type: ignore[return-value]


def refine(rgb: np.ndarray, background: np.ndarray, quad: list[Point], reach: float) -> list[Point]:
    """Sharpen coarse corners: find each edge along its normal, fit a line, intersect.

    The coarse outline loses the tips of the corners; the middle of each edge
    does not, and four straight lines meet exactly at the corners. Falls back to
    ``quad`` wherever the edges cannot be found.
    """
    distance = np.linalg.norm(rgb - background, axis=2)
    points = np.array(quad)
    centre = points.mean(axis=0)
    lines = []
    for e in range(4):
        a, b = points[e], points[(e + 1) % 4]
        along = (b - a) / np.linalg.norm(b - a)
        normal = np.array([along[1], -along[0]])
        if np.dot(normal, (a + b) / 2 - centre) < 0:
            normal = -normal
        line = _edge_line(distance, a, b, normal, reach)
        if line is None:
            return quad
        lines.append(line)
    corners = []
    for e in range(4):
        corner = _intersect(lines[e - 1], lines[e])
        if corner is None or np.linalg.norm(corner - points[e]) > 2 * reach:
            return quad
        corners.append((float(corner[0]), float(corner[1])))
    return corners


def _edge_line(distance: np.ndarray, a: np.ndarray, b: np.ndarray, normal: np.ndarray,
               reach: float) -> tuple[np.ndarray, np.ndarray] | None:
    """A point on and the direction of the page's edge near the segment a–b."""
    steps = np.linspace(0.1, 0.9, 60)
    offsets = np.arange(-reach, reach + 0.25, 0.25)
    base = a + steps[:, None] * (b - a)
    probes = base[:, None, :] + offsets[None, :, None] * normal
    values = _sample(distance, probes.reshape(-1, 2)).reshape(len(steps), len(offsets))
    found = []
    for row, origin in zip(values, base, strict=True):
        inside, outside = np.median(row[: len(row) // 4]), np.median(row[-len(row) // 4 :])
        if inside - outside < 12:
            continue  # no clear step from page to background here
        level = (inside + outside) / 2
        # The last inside-to-outside crossing: text on the page lies before it.
        above = row >= level
        cross = np.nonzero(above[:-1] & ~above[1:])[0]
        if not len(cross):
            continue
        i = cross[-1]
        t = offsets[i] + (row[i] - level) / (row[i] - row[i + 1]) * (offsets[1] - offsets[0])
        found.append(origin + t * normal)
    if len(found) < 12:
        return None
    pts = np.array(found)
    for _ in range(2):
        middle = pts.mean(axis=0)
        direction = np.linalg.svd(pts - middle)[2][0]
        offsets = pts - middle
        residual = np.abs(direction[0] * offsets[:, 1] - direction[1] * offsets[:, 0])
        keep = residual <= max(1.0, 2.5 * float(np.median(residual)))
        if keep.sum() < 12:
            break
        pts = pts[keep]
    middle = pts.mean(axis=0)
    return middle, np.linalg.svd(pts - middle)[2][0]


def _intersect(first: tuple[np.ndarray, np.ndarray],
               second: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, r), (q, s) = first, second
    denominator = r[0] * s[1] - r[1] * s[0]
    if abs(denominator) < 1e-6:
        return None
    t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / denominator
    return p + t * r


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of a 2-D array at (x, y) points, clamped to its edges."""
    height, width = image.shape
    x = np.clip(points[:, 0] - 0.5, 0, width - 1.001)
    y = np.clip(points[:, 1] - 0.5, 0, height - 1.001)
    x0, y0 = x.astype(int), y.astype(int)
    fx, fy = x - x0, y - y0
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


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


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain; vertices in positive orientation (clockwise on screen)."""
    ordered = sorted(map(tuple, np.unique(points, axis=0)))

    def chain(sequence: list) -> list:
        out: list = []
        for p in sequence:
            while len(out) >= 2 and _cross(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out[:-1]

    return np.array(chain(ordered) + chain(ordered[::-1]))


def _cross(o: tuple, a: tuple, b: tuple) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _simplify(hull: np.ndarray, keep: int) -> np.ndarray:
    """Drop the vertices that change the hull least until ``keep`` remain."""
    points = [tuple(p) for p in hull]
    while len(points) > keep:
        n = len(points)
        areas = [abs(_cross(points[i - 1], points[i], points[(i + 1) % n])) for i in range(n)]
        points.pop(int(np.argmin(areas)))
    return np.array(points)


def _largest_quad(hull: np.ndarray) -> np.ndarray:
    """The four hull vertices spanning the largest area, starting at the top-left."""
    n = len(hull)
    d = hull[None, :, None, :] - hull[:, None, None, :]
    e = hull[None, None, :, :] - hull[:, None, None, :]
    tri = d[..., 0] * e[..., 1] - d[..., 1] * e[..., 0]  # tri[i, j, k]: twice the area
    i, j, k = np.ogrid[:n, :n, :n]
    first = np.where((i < j) & (j < k), tri, -np.inf)  # the corner between i and k
    second = np.where(j < k, tri, -np.inf)  # tri[i, k, l]: the corner after k
    best_j, best_l = first.argmax(axis=1), second.argmax(axis=2)
    total = first.max(axis=1) + second.max(axis=2)
    total[np.tril_indices(n)] = -np.inf
    a, c = np.unravel_index(int(np.argmax(total)), total.shape)
    quad = hull[[a, best_j[a, c], c, best_l[a, c]]]
    start = int(np.argmin(quad.sum(axis=1)))
    return np.roll(quad, -start, axis=0)


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)
