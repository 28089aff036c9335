"""Where a scan page's server time goes: each stage of ``process_page``, timed apart.

    python bench/page_stages.py REPEATS   -> one JSON line: median ms per stage and their sum

The stages are the calls ``process_page`` makes, in its order, on the page
``images.py`` times (the 12 MP photo, its corners, filter ``auto``); their sum
is that figure without the calls' own overhead.
"""

import json
import statistics
import sys
import time
from collections.abc import Callable

from PIL import Image

import load
from images import CORNERS

from handoff.capture.photo import encode, flatten, normalize, open_image
from handoff.capture.scan.filters import apply_filter, rotate
from handoff.capture.scan.straighten import straighten


def stages(photo: bytes) -> dict[str, float]:
    """Milliseconds of each stage of one page."""
    times: dict[str, float] = {}

    def stage(name: str, job: Callable[[], Image.Image]) -> Image.Image:
        began = time.perf_counter()
        out = job()
        times[name] = (time.perf_counter() - began) * 1000
        return out

    image = stage("decode", lambda: open_image(photo))
    image = stage("straighten", lambda: straighten(image, CORNERS))
    image = stage("normalize", lambda: rotate(flatten(normalize(image)), 0))
    image = stage("filter", lambda: apply_filter(image, "auto"))
    began = time.perf_counter()
    encode(image, "jpg")
    times["encode"] = (time.perf_counter() - began) * 1000
    return times


def main() -> None:
    photo = load.twelve_megapixel_jpeg()
    stages(photo)  # warm-up
    runs = [stages(photo) for _ in range(int(sys.argv[1]))]
    medians = {name: round(statistics.median(run[name] for run in runs), 1) for name in runs[0]}
    medians["sum"] = round(statistics.median(sum(run.values()) for run in runs), 1)
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
