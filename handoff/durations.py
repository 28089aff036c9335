"""Duration parsing in Go syntax (``1h30m``, ``250ms``) or plain seconds."""

import math
import re
from datetime import timedelta

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(value: object) -> float:
    """Return ``value`` as seconds.

    Accepts Go duration strings (``"90s"``, ``"1h30m"``), numbers of seconds
    (``2``, ``0.5``, ``"0.5"``) and ``timedelta``. Raises ``ValueError`` with a
    sentence a person can act on.
    """
    if isinstance(value, bool):
        raise ValueError("a duration must be a string such as '30m' or a number of seconds")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float
            seconds = math.inf
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    else:
        raise ValueError("a duration must be a string such as '30m' or a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a duration must be a finite, non-negative length of time")
    return seconds


def _parse_text(text: str) -> float:
    if not text:
        raise ValueError("a duration must not be empty")
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            raise ValueError(
                f"{text!r} is not a duration; use Go syntax such as '250ms', '90s', '5m', '1h30m' "
                "or a number of seconds"
            )
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total


def format_duration(seconds: float) -> str:
    """Render seconds in Go syntax, the shortest exact form (``1h30m``, ``250ms``)."""
    if seconds == 0:
        return "0s"
    nanos = round(seconds * 1e9)
    hours, nanos = divmod(nanos, 3600 * 10**9)
    minutes, nanos = divmod(nanos, 60 * 10**9)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if nanos:
        if not parts and nanos < 10**9:
            parts.append(f"{nanos / 1e6:g}ms")
        else:
            parts.append(f"{nanos / 1e9:g}s")
    return "".join(parts)


def to_nanoseconds(seconds: float) -> int:
    """Durations go over the wire as integer nanoseconds, as Go encodes them."""
    return round(seconds * 1e9)
