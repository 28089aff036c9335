"""A page's true proportions from its four corners in a photo, and paper sizes.

The corners of a rectangle seen in perspective fix its aspect ratio once the
camera's focal length is known, and two vanishing points fix the focal length
(Zhang and He, "Whiteboard scanning and image enhancement", 2007). The
principal point is taken as the photo's centre: phones neither crop nor shift
it. numpy only.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]

#: Focal length assumed when the corners cannot give one (one or no vanishing
#: point), as a fraction of the photo's diagonal: a phone's main camera (26 mm
#: equivalent on the 43.3 mm diagonal of 35 mm film).
DEFAULT_FOCAL = 0.6
#: Focal lengths outside this range (× diagonal) are noise, not a camera: from
#: an ultra-wide lens (13 mm equivalent) to a 3× telephoto.
FOCAL_RANGE = (0.3, 2.0)
#: How strong both vanishing points must be (the relative depth difference
#: along each pair of edges) before the focal length is read from them; below
#: it a pixel of corner error moves the estimate more than the default is off.
MIN_PERSPECTIVE = 0.05
#: How close (relative) a ratio must be to a paper's to be snapped to it.
SNAP_TOLERANCE = 0.03
_MM = 72 / 25.4


@dataclass(frozen=True, slots=True)
class Paper:
    name: str
    width_mm: float  # the shorter side
    height_mm: float

    @property
    def ratio(self) -> float:
        """Shorter over longer side."""
        return self.width_mm / self.height_mm

    def points(self, landscape: bool) -> tuple[float, float]:
        """The page size in PDF points, width first."""
        short, long = self.width_mm * _MM, self.height_mm * _MM
        return (long, short) if landscape else (short, long)


PAPERS = (
    Paper("A4", 210.0, 297.0),
    Paper("Letter", 215.9, 279.4),
    Paper("ID-1", 53.98, 85.6),  # bank and identity cards
)


def page_ratio(corners: Sequence[Point], image_size: tuple[int, int]) -> float:
    """Width over height of the real rectangle whose photo has these corners.

    ``corners`` are top-left, top-right, bottom-right, bottom-left in the
    photo's pixels; ``image_size`` is the whole photo's (for its centre).
    """
    tl, tr, br, bl = (np.array([x, y, 1.0]) for x, y in corners)
    m1, m2, m3, m4 = tl, tr, bl, br  # the paper's numbering
    k2 = np.dot(np.cross(m1, m4), m3) / np.dot(np.cross(m2, m4), m3)
    k3 = np.dot(np.cross(m1, m4), m2) / np.dot(np.cross(m3, m4), m2)
    n2 = k2 * m2 - m1  # the images of the page's two edge directions
    n3 = k3 * m3 - m1
    if abs(k2 - 1) < 1e-4 and abs(k3 - 1) < 1e-4:
        # A parallelogram: no perspective to undo, the edge lengths are true.
        return float(math.hypot(n2[0], n2[1]) / math.hypot(n3[0], n3[1]))
    u0, v0 = image_size[0] / 2, image_size[1] / 2
    diagonal = math.hypot(*image_size)
    strong = min(abs(k2 - 1), abs(k3 - 1)) >= MIN_PERSPECTIVE
    f = _focal(n2, n3, u0, v0, diagonal) if strong else None
    f = f or DEFAULT_FOCAL * diagonal
    inverse = np.linalg.inv(np.array([[f, 0, u0], [0, f, v0], [0, 0, 1.0]]))
    b = inverse.T @ inverse
    return float(math.sqrt((n2 @ b @ n2) / (n3 @ b @ n3)))


def _focal(n2: np.ndarray, n3: np.ndarray, u0: float, v0: float, diagonal: float) -> float | None:
    """The focal length in pixels the two vanishing directions imply, or None
    when they imply no plausible camera."""
    denominator = n2[2] * n3[2]
    if abs(denominator) > 1e-12:
        f2 = -(
            (n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + denominator * u0 * u0)
            + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + denominator * v0 * v0)
        ) / denominator
        if f2 > 0 and FOCAL_RANGE[0] <= math.sqrt(f2) / diagonal <= FOCAL_RANGE[1]:
            return math.sqrt(f2)
    return None


def snap(ratio: float) -> tuple[float, Paper | None]:
    """``ratio`` (width over height), or a paper's exact ratio within SNAP_TOLERANCE."""
    landscape = ratio > 1
    short = 1 / ratio if landscape else ratio
    for paper in PAPERS:
        if abs(short - paper.ratio) <= SNAP_TOLERANCE * paper.ratio:
            return (1 / paper.ratio if landscape else paper.ratio), paper
    return ratio, None


def paper_of(width: int, height: int) -> Paper | None:
    """The paper an image of this many pixels is (within SNAP_TOLERANCE), if any."""
    return snap(width / height)[1]
