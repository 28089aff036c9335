"""Document photos made by the tests: a known page, photographed at a known angle."""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

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


def camera_corners(page_size: tuple[float, float], tilt: float, turn: float = 0.0,
                   spin: float = 0.0, size: tuple[int, int] = (900, 1200),
                   focal: float = 0.6, fill: float = 0.6) -> list[tuple[float, float]]:
    """Where a page's corners (TL, TR, BR, BL) land in a pinhole camera's photo.

    The page (any unit) is tilted ``tilt`` degrees about its horizontal axis
    (top edge away from the camera), turned ``turn`` degrees about its vertical
    axis and spun ``spin`` degrees in its plane, then photographed by a camera
    whose focal length is ``focal`` × the photo's diagonal, from the distance at
    which the page's longer side spans about ``fill`` of the photo's shorter side.
    """
    w, h = page_size
    corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    a, b, c = np.radians([tilt, turn, spin])
    spin_m = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    tilt_m = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    turn_m = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    f = focal * float(np.hypot(*size))
    distance = f * max(w, h) / (fill * min(size))
    points = corners @ (turn_m @ tilt_m @ spin_m).T + [0, 0, distance]
    u = f * points[:, 0] / points[:, 2] + size[0] / 2
    v = f * points[:, 1] / points[:, 2] + size[1] / 2
    return [(float(x), float(y)) for x, y in zip(u, v)]


#: A 400×600 page (no paper's proportions) tilted 30° and turned 20° before a phone camera.
TILTED = camera_corners((400, 600), 30, 20, size=(900, 1000), fill=0.8)


FONTS = "/usr/share/fonts/truetype/dejavu/"


def text_page(lines: list[str], width: int = 1240, height: int = 1754, *,
              fonts: tuple[str, ...] = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono-Bold.ttf"),
              size: int = 44) -> tuple[Image.Image, dict[str, tuple[int, int, int, int]]]:
    """A white page (A4 at 150 dpi by default) with ``lines`` of black text, one
    font after another, and where each word was drawn (left, top, right, bottom)."""
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    y = height // 10
    for number, line in enumerate(lines):
        font = ImageFont.truetype(FONTS + fonts[number % len(fonts)], size)
        x = width // 10
        for word in line.split():
            box = draw.textbbox((x, y), word, font=font)
            draw.text((x, y), word, font=font, fill="black")
            boxes[word] = box
            x = box[2] + size // 2
        y += size * 2
    return page, boxes


def lit_from_side(image: Image.Image, darkest: float = 0.5) -> Image.Image:
    """``image`` lit from the left: brightness falls linearly to ``darkest`` at the right."""
    pixels = np.asarray(image, dtype=np.float32)
    ramp = np.linspace(1.0, darkest, pixels.shape[1], dtype=np.float32)[None, :, None]
    return Image.fromarray(np.clip(pixels * ramp, 0, 255).astype(np.uint8))


def dimmed(image: Image.Image, level: float = 0.88) -> Image.Image:
    """``image`` as a camera exposes white paper: its white at ``level`` of full scale."""
    return Image.fromarray((np.asarray(image, dtype=np.float32) * level).astype(np.uint8))


def with_glare(image: Image.Image, centre: tuple[float, float], radius: float,
               strength: float = 160.0) -> Image.Image:
    """``image`` with a lamp's reflection: a bright spot at ``centre`` that clips to white
    within about ``radius`` pixels and fades out around it."""
    pixels = np.asarray(image, dtype=np.float32)
    ys, xs = np.mgrid[: pixels.shape[0], : pixels.shape[1]]
    spot = strength * np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * (radius / 1.2) ** 2))
    return Image.fromarray(np.clip(pixels + spot[..., None], 0, 255).astype(np.uint8))


def y4m(frames: list[Image.Image], fps: int = 10) -> bytes:
    """``frames`` (RGB, even sizes) as a YUV4MPEG2 video, the format Chromium's fake camera plays."""
    width, height = frames[0].size
    out = [f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode()]
    for frame in frames:
        luma, blue, red = frame.convert("YCbCr").split()
        half = (width // 2, height // 2)
        out += [b"FRAME\n", luma.tobytes(), blue.resize(half, Image.Resampling.BOX).tobytes(),
                red.resize(half, Image.Resampling.BOX).tobytes()]
    return b"".join(out)


def with_shadow(image: Image.Image, darkest: float = 0.55, across: float = 0.45, soft: float = 40.0) -> Image.Image:
    """``image`` with a soft shadow (a hand's or the phone's) over its left part: darker
    by ``darkest`` left of the slanted line ``across`` of the way over, fading over ``soft`` px."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    ys, xs = np.mgrid[:height, :width]
    edge = across * width + 0.25 * (ys - height / 2)
    shade = darkest + (1 - darkest) / (1 + np.exp(-(xs - edge) / (soft / 4)))
    return Image.fromarray(np.clip(pixels * shade[..., None], 0, 255).astype(np.uint8))


def with_clutter(image: Image.Image) -> Image.Image:
    """``image`` with things lying about on the table: a pen, a blue card, a mug seen from above."""
    cluttered = image.copy()
    draw = ImageDraw.Draw(cluttered)
    width, height = image.size
    draw.line((0.06 * width, 0.90 * height, 0.45 * width, 0.97 * height), fill="#1b2a6b", width=14)
    draw.polygon([(0.76 * width, 0.84 * height), (0.95 * width, 0.81 * height),
                  (0.97 * width, 0.93 * height), (0.78 * width, 0.96 * height)], fill="#2b6cb0")
    draw.ellipse((0.78 * width, 0.03 * height, 0.97 * width, 0.20 * height), fill="#8b3a2b", outline="#f0e6d8", width=8)
    return cluttered
