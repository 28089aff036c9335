"""Document photos made by the tests: a known page, photographed at a known angle."""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

#: The grid drawn on every test page: a line every GRID pixels, LINE pixels wide.
GRID = 50
LINE = 3


def grid_page(width: int = 400, height: int = 560, *, marks: int = 0) -> Image.Image:
    """A white page with a black grid; ``marks`` filled squares top-left tell pages apart."""
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    for x in range(GRID, width, GRID):
        draw.rectangle((x - LINE // 2, 0, x + LINE // 2, height), fill="black")
    for y in range(GRID, height, GRID):
        draw.rectangle((0, y - LINE // 2, width, y + LINE // 2), fill="black")
    for m in range(marks):
        draw.rectangle((10 + m * GRID, 10, 35 + m * GRID, 35), fill="#cc2222")
    return page


def _homography(src: list, dst: list) -> list[float]:
    """Coefficients taking points of ``dst`` back to ``src`` (Pillow's convention)."""
    rows, values = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([u, v, 1, 0, 0, 0, -u * x, -v * x])
        rows.append([0, 0, 0, u, v, 1, -u * y, -v * y])
        values += [x, y]
    return list(np.linalg.solve(np.array(rows, float), np.array(values, float)))


def photographed(page: Image.Image, corners: list, size: tuple[int, int] = (900, 1000),
                 background: str | tuple = "#6b6b6b", noise: float = 0.0, blur: float = 0.0,
                 seed: int = 1) -> Image.Image:
    """``page`` warped so its corners land on ``corners`` (TL, TR, BR, BL) over a background."""
    w, h = page.size
    coeffs = _homography([(0, 0), (w, 0), (w, h), (0, h)], corners)
    warped = page.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(
        size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    photo = Image.new("RGB", size, background)
    if noise:
        grain = np.random.default_rng(seed).normal(0, noise, (size[1], size[0], 1))
        photo = Image.fromarray(np.clip(np.asarray(photo, float) + grain, 0, 255).astype(np.uint8))
    photo.paste(warped, mask=mask)
    return photo.filter(ImageFilter.GaussianBlur(blur)) if blur else photo


def to_jpeg(image: Image.Image, quality: int = 92, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif if exif is not None else b"")
    return out.getvalue()


#: A page of 400×560 seen from below and to the left: its longest edges stay 400 and 560 long.
ANGLED = [(180.0, 150.0), (580.0, 150.0), (560.0, 710.0), (200.0, 680.0)]
