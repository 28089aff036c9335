"""Pillow against libvips (pyvips) for the server's image stages, in one process.

    python bench/vips_compare.py REPEATS            -> medians in ms and SSIM, one JSON line
    python bench/vips_compare.py --peak LIB PIXELS  -> peak RSS of one photo of that size

Needs ``pyvips`` and Debian's ``libvips42``, which handoff itself does not use:
this only measures whether it should. Both sides get the same input, a 12 MP
JPEG tagged with EXIF orientation 6 (so orienting is a real turn), and do what
the server does for a photo (decode, turn upright, at most 4096 px, JPEG at
quality 90 with 4:2:0 chroma, as Pillow, without metadata) and for a scan page (the same, with the page's
perspective corrected by bilinear sampling instead of the size cap). The page's
filter is numpy code either way and is left out. SSIM is of the libvips output
against Pillow's.
"""

import io
import json
import os
import statistics
import subprocess
import sys
import time

from PIL import Image, ImageOps

import load
from images import CORNERS, peak_rss_kib, ssim
from procs import OUT

from handoff.capture.photo import MAX_SIDE, encode, normalize
from handoff.capture.scan.straighten import check_corners, output_size, perspective_coefficients


def oriented_photo() -> bytes:
    image = Image.open(io.BytesIO(load.twelve_megapixel_jpeg()))
    exif = image.getexif()
    exif[0x0112] = 6  # stored turned: shown after a quarter turn clockwise
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def pillow_photo(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    return encode(normalize(image), "jpg")


def pillow_page(data: bytes, corners: list[tuple[float, float]]) -> bytes:
    image = Image.open(io.BytesIO(data))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    points = check_corners(corners, *image.size)
    width, height = output_size(points, image.size)
    page = image.transform((width, height), Image.Transform.PERSPECTIVE,
                           perspective_coefficients(points, width, height),
                           resample=Image.Resampling.BILINEAR, fillcolor="white")
    return encode(normalize(page), "jpg")


def vips_photo(data: bytes) -> bytes:
    import pyvips

    # Streaming decode only when no turn is needed: a turn reads the rows out of order.
    image = pyvips.Image.new_from_buffer(data, "", access="sequential")
    if image.get_typeof("orientation") and image.get("orientation") != 1:
        image = pyvips.Image.new_from_buffer(data, "").autorot()
    if max(image.width, image.height) > MAX_SIDE:
        image = image.thumbnail_image(MAX_SIDE, height=MAX_SIDE)
    return bytes(image.jpegsave_buffer(Q=90, strip=True, subsample_mode="on"))


def vips_page(data: bytes, corners: list[tuple[float, float]]) -> bytes:
    import pyvips

    image = pyvips.Image.new_from_buffer(data, "").autorot()
    points = check_corners(corners, image.width, image.height)
    width, height = output_size(points, (image.width, image.height))
    a, b, c, d, e, f, g, h = perspective_coefficients(points, width, height)
    # Pillow maps pixel centres (x + 0.5) and samples with the same half-pixel shift.
    xy = pyvips.Image.xyz(width, height) + 0.5
    x, y = xy[0], xy[1]
    den = x * g + y * h + 1
    index = ((x * a + y * b + c) / den - 0.5).bandjoin((x * d + y * e + f) / den - 0.5)
    page = image.mapim(index, interpolate=pyvips.Interpolate.new("bilinear"),
                       background=[255, 255, 255])
    return bytes(page.jpegsave_buffer(Q=90, strip=True, subsample_mode="on"))


def timed(repeats: int, job) -> tuple[float, bytes]:
    out = job()  # warm-up
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        out = job()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), out


def main() -> None:
    if sys.argv[1] == "--peak":
        side = int(int(sys.argv[3]) ** 0.5)
        path = OUT / f"photo-{sys.argv[3]}px.jpg"
        if not path.exists():  # made apart, so its memory is not counted
            OUT.mkdir(exist_ok=True)
            subprocess.run([sys.executable, "images.py", "--make", sys.argv[3], str(path)],
                           check=True, cwd=os.path.dirname(os.path.abspath(__file__)))
        data = path.read_bytes()
        if sys.argv[2] == "vips":
            import pyvips  # noqa: F401  (the library's own memory is not the photo's)
        before = peak_rss_kib()
        (vips_photo if sys.argv[2] == "vips" else pillow_photo)(data)
        peak = peak_rss_kib()
        print(json.dumps({"lib": sys.argv[2], "pixels": side * side,
                          "peak_over_start_mib": round((peak - before) / 1024, 1)}))
        return
    import pyvips

    pyvips.cache_set_max(0)  # each run does the whole work
    repeats = int(sys.argv[1])
    data = oriented_photo()
    corners = [(3000.0 - y, x) for x, y in CORNERS]  # the page, where it is once upright
    result: dict[str, object] = {"vips": pyvips.version(0), "vips_minor": pyvips.version(1),
                                 "VIPS_CONCURRENCY": os.environ.get("VIPS_CONCURRENCY", "default")}
    for name, pillow_job, vips_job in (
        ("photo", lambda: pillow_photo(data), lambda: vips_photo(data)),
        ("page", lambda: pillow_page(data, corners), lambda: vips_page(data, corners)),
    ):
        pillow_ms, pillow_out = timed(repeats, pillow_job)
        vips_ms, vips_out = timed(repeats, vips_job)
        result[name] = {"pillow_ms": round(pillow_ms), "vips_ms": round(vips_ms),
                        "vips_over_pillow": round(vips_ms / pillow_ms, 2),
                        "ssim": round(ssim(pillow_out, vips_out), 4),
                        "size": Image.open(io.BytesIO(vips_out)).size,
                        "bytes": {"pillow": len(pillow_out), "vips": len(vips_out)}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
