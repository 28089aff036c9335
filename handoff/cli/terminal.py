"""The phone link as a QR code in a terminal, readable whatever the terminal's colours.

Two module rows per line with half blocks (``▀``, ``▄``, ``█``), black on an
explicit white background, quiet zone included: a dark terminal would otherwise
show the code inverted and without its light margin, which cameras do not read.
"""

import segno

#: ANSI: black foreground on a white background (256-colour palette), and back to normal.
INK = "\x1b[38;5;16;48;5;231m"
RESET = "\x1b[0m"
#: Light modules around the code; 4 is the standard's, 2 keeps the code small and still reads.
QUIET_ZONE = 2
_CELLS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_lines(url: str, quiet_zone: int = QUIET_ZONE) -> list[str]:
    """The code as terminal lines, each starting with :data:`INK` and ending with :data:`RESET`."""
    code = segno.make(url, error="l", micro=False)
    rows = [[bool(module) for module in row] for row in code.matrix_iter(scale=1, border=quiet_zone)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [
        INK + "".join(_CELLS[top, bottom] for top, bottom in zip(upper, lower)) + RESET
        for upper, lower in zip(rows[::2], rows[1::2])
    ]
