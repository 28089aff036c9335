"""Strokes drawn as anti-aliased ink, at a cost bounded by the picture's size.

The phone sends every pointer event, some a fraction of a pixel apart, and a
client may send 200,000 points in 2,000 strokes. Each stroke keeps at most one
point per ``step`` of its length, and the step grows with the total length, so
that a drawing never takes more than about twice :data:`MAX_SEGMENTS` line
segments however many points were sent; the work on the points is done on all
strokes at once, in numpy. Blocking: call in a thread.
"""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

#: Line segments in a whole drawing, at most; a real signature needs a few thousand.
MAX_SEGMENTS = 10_000
#: Curves are sampled about this many pixels apart unless MAX_SEGMENTS needs a longer step.
STEP = 2.0
#: Joins that turn by more than 30 degrees get a round cap, as a pen would leave.
_SHARP = math.cos(math.radians(30))


@dataclass(frozen=True, slots=True)
class Strokes:
    """Every point of every stroke in one ``(n, 2)`` array, and the stroke each is in."""

    points: NDArray[np.float64]
    ids: NDArray[np.intp]

    @classmethod
    def of(cls, strokes: list[list[list[float]]]) -> "Strokes":
        """From the pad's strokes (points ``[x, y, ...]``); empty strokes are dropped."""
        strokes = [stroke for stroke in strokes if stroke]
        points = np.array([(p[0], p[1]) for stroke in strokes for p in stroke], dtype=np.float64)
        ids = np.repeat(np.arange(len(strokes)), [len(stroke) for stroke in strokes])
        return cls(points.reshape(-1, 2), ids)

    def __len__(self) -> int:
        return len(self.points)

    def scaled(self, factor: float) -> "Strokes":
        return Strokes(self.points * factor, self.ids)

    @property
    def _firsts(self) -> NDArray[np.bool_]:
        return np.concatenate(([True], self.ids[1:] != self.ids[:-1]))

    @property
    def _lasts(self) -> NDArray[np.bool_]:
        return np.concatenate((self.ids[1:] != self.ids[:-1], [True]))

    def _moves(self) -> NDArray[np.float64]:
        """The distance from each point to the next one of its stroke (0 across strokes)."""
        moves: NDArray[np.float64] = np.hypot(*np.diff(self.points, axis=0).T)
        moves[self.ids[1:] != self.ids[:-1]] = 0.0
        return moves

    def length(self) -> float:
        """The length of all strokes, each a polyline through its points."""
        return float(self._moves().sum()) if len(self) > 1 else 0.0

    def step(self, smallest: float = STEP) -> float:
        """The sampling step that keeps the drawing within :data:`MAX_SEGMENTS`."""
        return max(smallest, self.length() / MAX_SEGMENTS)

    def thinned(self, step: float) -> "Strokes":
        """At most one point per ``step`` of each stroke's length; first and last points stay."""
        if len(self) < 3:
            return self
        bucket = np.floor(np.concatenate(([0.0], np.cumsum(self._moves()))) / step)
        keep = self._firsts | self._lasts
        keep[1:] |= bucket[1:] != bucket[:-1]
        return Strokes(self.points[keep], self.ids[keep])

    def curves(self, step: float) -> "Strokes":
        """Points about ``step`` apart along each stroke's smoothed path.

        The path is the one ``smooth_path`` writes into the SVG and the phone's
        pad draws: from the first point, a quadratic curve to the midpoint of
        each next pair, controlled by the point between, then a line to the last.
        """
        firsts, lasts, points = self._firsts, self._lasts, self.points
        inner = np.flatnonzero(~firsts & ~lasts)
        controls = points[inner]
        ends = (controls + points[inner + 1]) / 2
        after_first = firsts[inner - 1][:, None]
        starts = np.where(after_first, points[inner - 1], (points[inner - 1] + controls) / 2)
        spans = np.hypot(*(controls - starts).T) + np.hypot(*(ends - controls).T)
        steps = np.maximum(1, np.ceil(spans / step)).astype(np.intp)
        which = np.repeat(np.arange(len(inner)), steps)
        t = ((np.arange(which.size) - (np.cumsum(steps) - steps)[which] + 1) / steps[which])[:, None]
        samples = (1 - t) ** 2 * starts[which] + 2 * (1 - t) * t * controls[which] + t**2 * ends[which]
        # Each stroke: its first point, its samples in order, its last point.
        ids = np.concatenate((self.ids[firsts], self.ids[inner][which], self.ids[lasts]))
        rank = np.concatenate((np.full(firsts.sum(), -1), np.arange(which.size),
                               np.full(lasts.sum(), which.size)))
        order = np.lexsort((rank, ids))
        return Strokes(np.concatenate((points[firsts], samples, points[lasts]))[order], ids[order])

    def split(self) -> list[NDArray[np.float64]]:
        """One array of points per stroke."""
        return np.split(self.points, np.flatnonzero(self.ids[1:] != self.ids[:-1]) + 1)

    def round_spots(self) -> NDArray[np.float64]:
        """The ends and the sharp joins of every stroke, where a wide line needs a round cap."""
        spots = self._firsts | self._lasts
        if len(self) > 2:
            moves = np.diff(self.points, axis=0)
            norms = np.hypot(*moves.T)
            with np.errstate(invalid="ignore", divide="ignore"):
                turns = (moves[:-1] * moves[1:]).sum(axis=1) / (norms[:-1] * norms[1:])
            spots[1:-1] |= turns < _SHARP  # across two strokes the point is an end anyway
        return self.points[spots]


def draw(size: tuple[int, int], strokes: Strokes, width: int) -> Image.Image:
    """An ``L`` mask of ``size``: the strokes (in its pixels) smoothed, ``width`` wide, round-ended."""
    mask = Image.new("L", size, 0)
    pen = ImageDraw.Draw(mask)
    step = strokes.step()
    path = strokes.thinned(step).curves(step)
    for points in path.split():
        if len(points) > 1:
            pen.line(points.ravel().tolist(), fill=255, width=width)
    radius = width / 2
    for x, y in path.round_spots().tolist():
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return mask
