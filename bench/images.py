"""Server time of the image work, in a process of its own: a 12 MP photo and a corrected scan page.

    python bench/images.py REPEATS          -> one JSON line: medians in ms, SSIM, sizes
    python bench/images.py --peak PIXELS    -> one JSON line: peak RSS of one photo of that size

The server runs exactly these functions in its image threads (``process_photo``
for a photo upload, ``process_page`` for a scan page); the HTTP part around them
is the same for every implementation. The first output is kept in bench/out/ as
the reference: later runs report their SSIM against it, so a faster pipeline can
be checked for equal quality.
"""

import io
import json
import statistics
import subprocess
import sys
import time

import numpy as np
from PIL import Image

import load
from procs import OUT

from handoff.capture.photo import process_photo
from handoff.capture.scan.straighten import process_page

#: A page seen at an angle in the 4000x3000 photo (top-left, top-right, bottom-right, bottom-left).
CORNERS = [(600.0, 300.0), (3300.0, 420.0), (3500.0, 2800.0), (450.0, 2650.0)]


def peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that over from the
    parent across fork and exec, so a large bench process would hide the photo's peak."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def ssim(a: bytes, b: bytes) -> float:
    """Mean SSIM of the two images' luma, 8x8 windows (1.0: identical)."""
    x, y = (np.asarray(Image.open(io.BytesIO(d)).convert("L"), dtype=np.float64) for d in (a, b))
    if x.shape != y.shape:
        return 0.0
    h, w = (s // 8 * 8 for s in x.shape)

    def blocks(m: np.ndarray) -> np.ndarray:
        return m[:h, :w].reshape(h // 8, 8, w // 8, 8)

    bx, by = blocks(x), blocks(y)
    mx, my = bx.mean(axis=(1, 3)), by.mean(axis=(1, 3))
    vx, vy = bx.var(axis=(1, 3)), by.var(axis=(1, 3))
    cov = (bx * by).mean(axis=(1, 3)) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    value = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(value.mean())


def timed(repeats: int, job) -> tuple[float, bytes]:
    job()  # warm-up
    times, out = [], b""
    for _ in range(repeats):
        began = time.perf_counter()
        out = job()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), out


def compare(name: str, out: bytes) -> float | None:
    reference = OUT / f"images-reference-{name}"
    if not reference.exists():
        OUT.mkdir(exist_ok=True)
        reference.write_bytes(out)
        return None
    return ssim(reference.read_bytes(), out)


def main() -> None:
    if sys.argv[1] == "--make":  # the large test photo, made apart so its memory is not counted
        side = int(int(sys.argv[2]) ** 0.5)
        Image.radial_gradient("L").resize((side, side)).convert("RGB").save(sys.argv[3], quality=85)
        return
    if sys.argv[1] == "--peak":
        path = OUT / f"photo-{sys.argv[2]}px.jpg"
        if not path.exists():
            OUT.mkdir(exist_ok=True)
            subprocess.run([sys.executable, __file__, "--make", sys.argv[2], str(path)], check=True)
        data = path.read_bytes()
        side = int(int(sys.argv[2]) ** 0.5)
        before = peak_rss_kib()
        process_photo(data, "jpg")
        peak = peak_rss_kib()
        print(json.dumps({"pixels": side * side, "peak_mib": peak / 1024,
                          "before_mib": before / 1024}))
        return
    repeats = int(sys.argv[1])
    photo = load.twelve_megapixel_jpeg()
    photo_ms, photo_out = timed(repeats, lambda: process_photo(photo, "jpg").data)
    page_ms, page_out = timed(repeats, lambda: process_page(photo, CORNERS, "auto")[0])
    sizes = {n: Image.open(io.BytesIO(d)).size for n, d in (("photo", photo_out), ("page", page_out))}
    print(json.dumps({"photo_ms": photo_ms, "page_ms": page_ms, "sizes": sizes,
                      "photo_ssim": compare("photo.jpg", photo_out),
                      "page_ssim": compare("page.jpg", page_out)}))


if __name__ == "__main__":
    main()
