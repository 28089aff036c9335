"""Real images and signatures made by the tests."""

import io

from PIL import Image, ImageDraw


def jpeg(width: int = 640, height: int = 480, *, exif: Image.Exif | None = None,
         color: str = "#3366cc", quality: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), color)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill="#ff0000")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif if exif is not None else b"")
    return out.getvalue()


def png(width: int = 320, height: int = 240, mode: str = "RGB") -> bytes:
    image = Image.new(mode, (width, height), "#22aa55")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def signature_strokes(width: int = 400, height: int = 200) -> dict:
    """A two-stroke signature across the middle of the pad."""
    first = [[40 + i * 8, 100 + (20 if i % 2 else -20), i * 16] for i in range(30)]
    second = [[60 + i * 10, 150, 600 + i * 16] for i in range(20)]
    return {"width": width, "height": height, "strokes": [first, second]}
