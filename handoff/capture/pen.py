"""How wide the phone's pen was at each point: the width model of ``static/signature-pad.js``.

The pad draws a line that thins as the finger speeds up and, for a pen, widens
with pressure, smoothed so the width changes gradually. The server replays the
same model on the points it received, so every format shows the strokes the
phone showed. Widths are in pad pixels. Keep the constants equal to the script's.
"""

import numpy as np
from numpy.typing import NDArray

MIN_WIDTH = 1.5
MAX_WIDTH = 4.2
#: Speed (pad pixels per millisecond) at which the line is at its thinnest.
FAST = 3.0
#: Weight of the previous width: a low-pass filter, so width changes are gradual.
SMOOTHING = 0.7


def has_timing(strokes: list[list[list[float]]]) -> bool:
    """True when every point carries its time (``[x, y, t, ...]``); older clients send ``[x, y]``."""
    return all(len(point) >= 3 for stroke in strokes for point in stroke)


def widths(strokes: list[list[list[float]]]) -> NDArray[np.float64]:
    """The pen's width at every point of the (non-empty) strokes, in order.

    A pressure of 0 (or none) means the device did not measure it: speed alone decides.
    The script smooths point by point; here the same recurrence runs on all points at
    once (a prefix scan), so a long signature costs milliseconds, not seconds.
    """
    points = [point for stroke in strokes for point in stroke]
    # A flat list converts to an array ten times faster than a list of lists.
    table = np.fromiter(
        (v for p in points for v in (p[0], p[1], p[2], p[3] if len(p) > 3 else 0.0)),
        dtype=np.float64, count=4 * len(points),
    ).reshape(-1, 4)
    xy, t, pressure = table[:, :2], table[:, 2], table[:, 3]
    first = np.zeros(len(points), dtype=bool)
    first[np.cumsum([0] + [len(stroke) for stroke in strokes[:-1]])] = True

    speed = np.zeros(len(points))
    if len(points) > 1:
        speed[1:] = np.hypot(*np.diff(xy, axis=0).T) / np.maximum(1.0, np.diff(t))
    target = np.where(first, (MIN_WIDTH + MAX_WIDTH) / 2,
                      MAX_WIDTH - (MAX_WIDTH - MIN_WIDTH) * np.minimum(1.0, speed / FAST))
    target = np.where(pressure > 0, target * (0.4 + 1.2 * np.minimum(pressure, 1.0)), target)
    # width[i] = a[i] * width[i - 1] + b[i]; a stroke's first point starts afresh (a = 0).
    a = np.where(first, 0.0, SMOOTHING)
    b = np.where(first, target, (1 - SMOOTHING) * target)
    shift = 1
    while shift < len(points):
        a_before, b_before = a[:-shift].copy(), b[:-shift].copy()
        b[shift:] += a[shift:] * b_before
        a[shift:] *= a_before
        shift *= 2
    return b
