"""Fitting a page's quadrilateral: convex hull, largest inscribed quadrilateral,
and edges refined to well under a pixel. numpy only; everything here blocks."""

import numpy as np

Point = tuple[float, float]


def refine(rgb: np.ndarray, background: np.ndarray, quad: list[Point], reach: float) -> list[Point]:
    """Sharpen coarse corners: find each edge along its normal, fit a line, intersect.

    The coarse outline loses the tips of the corners; the middle of each edge
    does not, and four straight lines meet exactly at the corners. Falls back to
    ``quad`` wherever the edges cannot be found. ``background`` is the table's
    colour: one for the whole photo, or one per pixel.
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


def convex_hull(points: np.ndarray) -> np.ndarray:
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


def simplify(hull: np.ndarray, keep: int) -> np.ndarray:
    """Drop the vertices that change the hull least until ``keep`` remain."""
    points = [tuple(p) for p in hull]
    while len(points) > keep:
        n = len(points)
        areas = [abs(_cross(points[i - 1], points[i], points[(i + 1) % n])) for i in range(n)]
        points.pop(int(np.argmin(areas)))
    return np.array(points)


def largest_quad(hull: np.ndarray) -> np.ndarray:
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


def polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)

