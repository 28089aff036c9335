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
    """Every point of every stroke in one ``(n, 2)`` array, and the stroke each is in;
    with ``widths``, the pen's width at each point (variable-width ink)."""

    points: NDArray[np.float64]
    ids: NDArray[np.intp]
    widths: NDArray[np.float64] | None = None

    @classmethod
    def of(
        cls, strokes: list[list[list[float]]], widths: NDArray[np.float64] | None = None
    ) -> "Strokes":
        """From the pad's strokes (points ``[x, y, ...]``); empty strokes are dropped.
        ``widths`` has one width per point of the non-empty strokes."""
        strokes = [stroke for stroke in strokes if stroke]
        counts = [len(stroke) for stroke in strokes]
        # A flat run of numbers converts to an array many times faster than a list of lists.
        points = np.fromiter(
            (v for stroke in strokes for p in stroke for v in (p[0], p[1])),
            dtype=np.float64, count=2 * sum(counts),
        )
        ids = np.repeat(np.arange(len(strokes)), counts)
        return cls(points.reshape(-1, 2), ids, widths)

    def __len__(self) -> int:
        return len(self.points)

    def scaled(self, factor: float) -> "Strokes":
        widths = None if self.widths is None else self.widths * factor
        return Strokes(self.points * factor, self.ids, widths)

    def _pick(self, keep: NDArray[np.bool_]) -> "Strokes":
        return Strokes(self.points[keep], self.ids[keep],
                       None if self.widths is None else self.widths[keep])

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
        return self._pick(keep)

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
        widths = None
        if self.widths is not None:
            # As the pad draws it: each curve at the mean width of the two points it leaves from.
            w = self.widths
            first_at, last_at = np.flatnonzero(firsts), np.flatnonzero(lasts)
            single = first_at == last_at
            widths = np.concatenate((
                np.where(single, w[first_at], (w[first_at] + w[np.minimum(first_at + 1, len(w) - 1)]) / 2),
                ((w[inner - 1] + w[inner]) / 2)[which],
                np.where(single, w[last_at], (w[last_at] + w[np.maximum(last_at - 1, 0)]) / 2),
            ))[order]
        return Strokes(np.concatenate((points[firsts], samples, points[lasts]))[order], ids[order], widths)

    def split(self) -> list[NDArray[np.float64]]:
        """One array of points per stroke."""
        return np.split(self.points, self._breaks())

    def split_widths(self) -> list[NDArray[np.float64]]:
        """One array of widths per stroke (the strokes must have widths)."""
        assert self.widths is not None
        return np.split(self.widths, self._breaks())

    def _breaks(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.ids[1:] != self.ids[:-1]) + 1

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


def draw_variable(size: tuple[int, int], strokes: Strokes) -> Image.Image:
    """An ``L`` mask of ``size``: the strokes (in its pixels) smoothed, each part as wide as
    its ``widths`` say, with round joins so the width changes without a seam."""
    mask = Image.new("L", size, 0)
    pen = ImageDraw.Draw(mask)
    step = strokes.step()
    path = strokes.thinned(step).curves(step)
    for points, widths in zip(path.split(), path.split_widths()):
        coords = points.tolist()
        sizes = np.maximum(1, np.rint(widths)).astype(int).tolist()
        for k in range(1, len(coords)):
            (x0, y0), (x1, y1) = coords[k - 1], coords[k]
            pen.line((x0, y0, x1, y1), fill=255, width=sizes[k])
        for (x, y), w in zip(coords, widths.tolist()):
            radius = max(0.5, w / 2)
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return mask


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
