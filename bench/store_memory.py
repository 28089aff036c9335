"""Not a section: the in-memory store's memory per live session and per tombstone, in-process.

Builds a MemoryStore, creates sessions the way ``POST /api/v1/sessions`` does (the
body parsed by the request model, the spec built by ``new_session``), and reports
tracemalloc's and VmRSS's growth per session. A fast loop while changing the store;
``bench/run.py --only memory`` measures through a real server.

    python bench/store_memory.py live 100000
    python bench/store_memory.py tombstones 100000
    python bench/store_memory.py forget 100000
"""

import asyncio
import gc
import sys
import time
import tracemalloc

from handoff.models import CreateSessionRequest
from handoff.settings import Settings
from handoff.store.memory import MemoryStore
from handoff.web.api import new_session
from handoff.web.bodies import parse_model


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def create(store: MemoryStore, n: int, ttl: float, settings: Settings) -> None:
    body = b'{"action_type": "signature", "output_format": "png", "session_ttl": %g}' % ttl
    for i in range(n):
        spec = parse_model(body, CreateSessionRequest, {"max_ttl": 86400.0})
        await store.create(new_session(spec, "bench-owner", settings))
        if i % 64 == 0:  # let timers run, as between a server's requests
            await asyncio.sleep(0)


async def main(mode: str, n: int, trace: bool) -> None:
    settings = Settings()
    tombstone_ttl = 3.0 if mode == "forget" else 3600.0
    store = MemoryStore(tombstone_ttl=tombstone_ttl)
    await create(store, 10, 3600.0, settings)  # warm up
    gc.collect()
    if trace:
        tracemalloc.start()
    start_rss = rss_kib()
    start_traced = tracemalloc.get_traced_memory()[0] if trace else 0
    began = time.monotonic()
    await create(store, n, 3600.0 if mode == "live" else 1.0, settings)
    made = time.monotonic() - began
    if mode != "live":
        await asyncio.sleep(max(0.0, 1.5 - made))
        while await store.count_live() > 10:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
    if mode == "forget":
        peak = rss_kib()
        await asyncio.sleep(tombstone_ttl + 2.0)
        while len(store._records) > 10:  # noqa: SLF001 - a bench may look inside
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
    gc.collect()
    rss = rss_kib()
    traced = tracemalloc.get_traced_memory()[0] - start_traced if trace else 0
    line = f"{mode} n={n:,}: RSS {(rss - start_rss) / n:.3f} KiB each"
    if trace:
        line += f", traced {traced / 1024 / n:.3f} KiB each"
    if mode == "forget":
        line = (f"forget n={n:,}: RSS {start_rss / 1024:.0f} -> {peak / 1024:.0f} -> "
                f"{rss / 1024:.0f} MiB, {(rss - start_rss) / 1024:+.1f} MiB over start")
    print(line, f"(created in {made:.1f} s)")
    if trace and "--top" in sys.argv:
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:12]:
            print("  ", stat)
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), "--trace" in sys.argv))
