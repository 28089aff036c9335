"""The terminal QR code reads on light and dark terminals, and fits an 80×24 terminal."""

import re

import numpy as np
import zxingcpp
from PIL import Image

from handoff.cli.terminal import qr_lines

URL = "http://192.168.178.20:8080/s/Xr3kPq9vT2mW8nB5cY7dLs4h"
BLACK, WHITE = 0, 255
_SGR = re.compile(r"\x1b\[([\d;]*)m")
_HALVES = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}


def shown(lines: list[str], foreground: int, background: int) -> Image.Image:
    """What a terminal with these default colours shows: a pixel per half cell.

    Understands the codes the CLI writes (256-colour black and white, reset); any
    other colour is the terminal's default.
    """
    rows: list[list[int]] = []
    for line in lines:
        fg, bg = foreground, background
        top: list[int] = []
        bottom: list[int] = []
        position = 0
        for match in list(_SGR.finditer(line)) + [None]:
            text = line[position: match.start() if match else len(line)]
            for char in text:
                upper, lower = _HALVES[char]
                top.append(fg if upper else bg)
                bottom.append(fg if lower else bg)
            if match is None:
                break
            codes = match.group(1).split(";")
            if codes == ["0"] or codes == [""]:
                fg, bg = foreground, background
            if "38" in codes:
                fg = BLACK if codes[codes.index("38") + 2] == "16" else WHITE
            if "48" in codes:
                bg = WHITE if codes[codes.index("48") + 2] == "231" else BLACK
            position = match.end()
        rows += [top, bottom]
    image = Image.fromarray(np.array(rows, dtype=np.uint8), "L")
    return image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST)


def read(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image, try_invert=False)]


def test_the_code_reads_on_a_light_terminal():
    assert read(shown(qr_lines(URL), foreground=BLACK, background=WHITE)) == [URL]


def test_the_code_reads_on_a_dark_terminal():
    assert read(shown(qr_lines(URL), foreground=WHITE, background=BLACK)) == [URL]


def test_without_its_colours_the_code_would_not_read_on_a_dark_terminal():
    plain = [_SGR.sub("", line) for line in qr_lines(URL)]
    assert read(shown(plain, foreground=WHITE, background=BLACK)) == []
    assert read(shown(plain, foreground=BLACK, background=WHITE)) == [URL]


def test_the_code_leaves_room_in_an_80_by_24_terminal():
    lines = qr_lines(URL)
    assert max(len(_SGR.sub("", line)) for line in lines) <= 80
    # The code, the link and the short code, and five status lines below them.
    assert len(lines) + 2 + 5 <= 24
