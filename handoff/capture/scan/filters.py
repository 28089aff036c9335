"""Per-page looks of a scan: evened-out colour, as captured, grey, black and white.

Everything here blocks. The page's paper is found by a coarse closing (the
brightest level around each spot, which text and lines do not reach): dividing
by it turns a page lit from one side, or shaded by the phone, into an evenly
white one. Works in bands of rows so a 12-megapixel page never needs more
than a few tens of megabytes at once.
"""

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

FILTERS = ("auto", "color", "grayscale", "bw")
ROTATIONS = (0, 90, 180, 270)

#: Cells along the page's longer side in which the paper's brightness is read.
_GRID = 96
#: Samples (pixels times channels) looked up at once: a band's index and output
#: then stay in a core's cache, which made the lookup twice as fast as bands of
#: 512 rows.
_BAND = 1 << 18
#: The paper is never taken as darker than this share of its brightest level,
#: so a large dark area (a photo on the page) is not brightened into grey.
_FLOOR = 0.35
#: In ``auto``, anything at least this bright relative to the paper becomes white.
_WHITE = 0.9

#: Maps pixel-over-paper ratios in [0, 1] to output levels.
Curve = Callable[[np.ndarray], np.ndarray]

_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # Pillow turns counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def rotate(image: Image.Image, degrees: int) -> Image.Image:
    """``image`` turned clockwise by 0, 90, 180 or 270 degrees."""
    return image.transpose(_TRANSPOSE[degrees]) if degrees else image


def apply_filter(image: Image.Image, name: str) -> Image.Image:
    """An RGB page with filter ``name`` applied: RGB for ``auto`` and ``color``,
    L for ``grayscale``, 1-bit for ``bw``."""
    if name == "color":
        return image
    if name == "grayscale":
        return image.convert("L")
    if name == "auto":
        return _auto(image)
    if name == "bw":
        return _black_and_white(image)
    raise ValueError(f"unknown filter {name!r}")


def paper(image: Image.Image) -> Image.Image:
    """The paper's brightness around each pixel, as a small smooth image of ``image``'s mode."""
    cell = max(1, max(image.size) // _GRID)
    # Averaging small squares first takes the JPEG grain out of the maximum below.
    step = max(1, cell // 4)
    pixels = np.asarray(image.reduce(step) if step > 1 else image)
    cell = max(1, cell // step)
    height, width = pixels.shape[:2]
    rows, columns = -(-height // cell), -(-width // cell)
    padded = np.pad(pixels, [(0, rows * cell - height), (0, columns * cell - width)]
                    + [(0, 0)] * (pixels.ndim - 2), mode="edge")
    bright = padded.reshape((rows, cell, columns, cell) + pixels.shape[2:]).max(axis=(1, 3))
    small = Image.fromarray(bright.astype(np.uint8))
    # Closing: text and lines narrower than 7 cells disappear, the paper's edges stay.
    small = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.MinFilter(7))
    return small.filter(ImageFilter.GaussianBlur(2))


class _Paged:
    """A page's pixels and, for each, its paper level: the smooth background
    enlarged to the page, read once for both the levels and the division."""

    def __init__(self, image: Image.Image) -> None:
        background = paper(image)
        self.pixels = np.asarray(image)
        self.light = np.asarray(background.resize(image.size, Image.Resampling.BILINEAR))
        #: The paper is never taken as darker than this (never below ``_FLOOR`` of
        #: the brightest, never 0).
        self.floor = max(1, round(_FLOOR * np.asarray(background).max()))

    def sample_ratios(self) -> np.ndarray:
        """Pixel over paper for every 4th pixel each way: enough to set levels from."""
        light = np.maximum(self.light[::4, ::4], self.floor)
        return np.minimum(self.pixels[::4, ::4] / light.astype(np.float32), 1.0)

    def divided(self, curve: Curve) -> np.ndarray:
        """Each pixel divided by its paper and mapped through ``curve`` (in bands).

        A table indexed by pixel and paper level does the division, the floor and
        the curve in one lookup, several times faster than float arithmetic. Its
        flat index fits 16 bits, which numpy's ``take`` reads about twice as fast
        as the two index arrays of ``table[pixels, light]``.
        """
        levels = np.arange(256, dtype=np.float32)
        ratio = levels[:, None] / np.maximum(levels, self.floor)[None, :]
        table = curve(np.minimum(ratio, 1.0)).ravel()
        out = np.empty(self.pixels.shape, dtype=table.dtype)
        rows = max(1, _BAND // self.pixels[0].size)
        for top in range(0, self.pixels.shape[0], rows):
            band = slice(top, top + rows)
            index = self.pixels[band].astype(np.uint16)
            index <<= 8
            index |= self.light[band]
            np.take(table, index, out=out[band])
        return out


def _auto(image: Image.Image) -> Image.Image:
    """Paper flattened to white, colour kept, contrast stretched between the
    darkest ink and ``_WHITE``."""
    paged = _Paged(image)
    sample = paged.sample_ratios() @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    black = min(float(np.percentile(sample, 0.5)), 0.5)

    def levels(ratio: np.ndarray) -> np.ndarray:
        stretched = np.clip((ratio - black) / (_WHITE - black), 0, 1)
        return np.round(255 * stretched ** 1.2).astype(np.uint8)  # a little gamma keeps text black

    result = Image.fromarray(paged.divided(levels))
    if "icc_profile" in image.info:
        result.info["icc_profile"] = image.info["icc_profile"]
    return result


def _black_and_white(image: Image.Image) -> Image.Image:
    """A photocopy: the flattened page thresholded between its ink and its paper."""
    paged = _Paged(image.convert("L"))
    threshold = float(np.clip(_otsu(paged.sample_ratios()), 0.55, 0.85))
    return Image.fromarray(paged.divided(lambda ratio: ratio >= threshold))


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1]."""
    histogram, edges = np.histogram(np.clip(values, 0, 1), bins=256, range=(0, 1))
    weights = histogram.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(weights)
    mean_below = np.cumsum(weights * centres)
    total, grand = below[-1], mean_below[-1]
    above = total - below
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (grand * below / total - mean_below) ** 2 / (below * above)
    scores = between[:-1]
    scores = np.where(np.isfinite(scores), scores, -1.0)
    if scores.max() < 0:  # one value throughout (a blank page): nothing to separate
        return 0.5
    return float(centres[int(np.argmax(scores))])
