"""Loop-health probe, from outside the server: times a tiny GET every 10 ms.

Usage: probe.py URL SECONDS. Stops after SECONDS or as soon as stdin closes,
then prints one JSON list of latencies in milliseconds.
A request that arrives while the server's event loop is blocked waits for it,
so each latency is an upper bound on the loop lag at that moment.
"""

import http.client
import json
import select
import sys
import time
from urllib.parse import urlsplit

INTERVAL = 0.010
MAX_SAMPLES = 100_000


def main() -> None:
    url = urlsplit(sys.argv[1])
    seconds = float(sys.argv[2])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    latencies: list[float] = []
    end = time.monotonic() + seconds
    next_at = time.monotonic()
    while time.monotonic() < end and len(latencies) < MAX_SAMPLES:
        started = time.monotonic()
        conn.request("GET", url.path)
        conn.getresponse().read()
        latencies.append((time.monotonic() - started) * 1000)
        next_at += INTERVAL
        pause = next_at - time.monotonic()
        if pause <= 0:
            next_at = time.monotonic()
            pause = 0
        if select.select([sys.stdin], [], [], pause)[0]:
            break  # stdin closed (or written to): the measured work is over
    conn.close()
    print(json.dumps(latencies), flush=True)


if __name__ == "__main__":
    main()
