"""Small statistics and the wrk runner shared by the sections."""

import os
import re
import statistics
import subprocess
from dataclasses import dataclass, field

from procs import BENCH


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Row:
    """One line of the final table."""

    section: str
    figure: str
    value: str
    unit: str
    goal: str = ""
    met: bool | None = None
    raw: dict = field(default_factory=dict)
    before: str = ""  # the same figure for the --baseline commit's server


def wrk(url: str, seconds: float, *, api_key: str = "", etag: str = "", body: str = "",
        connections: int = 32) -> tuple[float, int]:
    """Requests per second and the number of failed responses of one wrk run."""
    env = {**os.environ, "API_KEY": api_key, "ETAG": etag, "BODY": body}
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(BENCH / "wrk.lua"), url],
        env=env, capture_output=True, text=True, timeout=seconds + 30, check=True,
    )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{done.stdout}{done.stderr}")
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", done.stdout)
    return float(rate.group(1)), int(failed.group(1) if failed else 0) + int(
        errors.group(1) if errors else 0)
