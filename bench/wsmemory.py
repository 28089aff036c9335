"""What an idle desktop websocket holds in the server: tracemalloc across N connections.

Usage: wsmemory.py [N] [--frames K]. Serves handoff's real app in this process on
127.0.0.1 with tracemalloc on, creates N sessions, snapshots, lets ``wsclients.py``
(a separate process) open one idle websocket per session, snapshots again and
prints what grew, per socket, by allocating line (``--frames`` > 1: by traceback),
with the live objects by type. Bounded: the clients exit after 120 s at most.
"""

import asyncio
import collections
import gc
import os
import socket
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import aiohttp
from aiohttp import web

from handoff.app import create_app
from handoff.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from load import create_sessions  # noqa: E402

KEY = "bench-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def types_now() -> collections.Counter[str]:
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


async def main(count: int, frames: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(api_keys=[KEY], host="127.0.0.1", port=port, base_url=base,
                        rate_limit_create="1000000/minute")
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as http:
        made = await create_sessions(http, base, KEY, count)
    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as ids:
        ids.write("\n".join(sid for sid, _ in made))
    await asyncio.sleep(0.5)
    gc.collect()
    before = tracemalloc.take_snapshot()
    types_before = types_now()
    clients = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).parent / "wsclients.py"), base, KEY, ids.name, "120",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert clients.stdout is not None and clients.stdin is not None
    ready = (await clients.stdout.readline()).decode().split()
    await asyncio.sleep(1.0)
    gc.collect()
    after = tracemalloc.take_snapshot()
    types_after = types_now()
    connected = int(ready[1])
    print(f"{connected} sockets connected, {ready[2]} failed", file=sys.stderr)
    key = "traceback" if frames > 1 else "lineno"
    stats = after.compare_to(before, key)
    total = sum(s.size_diff for s in stats)
    print(f"total growth {total / connected:.0f} B per socket (traced Python allocations)")
    for stat in stats[:30]:
        if stat.size_diff <= 0:
            continue
        where = stat.traceback.format()[-2 * frames:] if frames > 1 else [str(stat.traceback[0])]
        print(f"{stat.size_diff / connected:8.0f} B {stat.count_diff / connected:6.2f} blocks  "
              + " <- ".join(line.strip() for line in where if not line.startswith("    ")))
    print("by file:")
    for stat in after.compare_to(before, "filename")[:12]:
        print(f"{stat.size_diff / connected:8.0f} B  {stat.traceback[0].filename}")
    print("objects per socket by type:")
    for name, diff in (types_after - types_before).most_common(25):
        print(f"  {diff / connected:6.2f} {name}")
    clients.stdin.write(b"quit\n")
    await clients.stdin.drain()
    await asyncio.wait_for(clients.wait(), 30)
    os.unlink(ids.name)
    await runner.cleanup()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000
    k = int(sys.argv[sys.argv.index("--frames") + 1]) if "--frames" in sys.argv else 1
    tracemalloc.start(max(k, 1))
    asyncio.run(main(n, k))
