"""Idle desktops: holds one websocket per session and notes when each message arrives.

Usage: wsclients.py BASE API_KEY IDS_FILE MAX_SECONDS. Connects to every
session id in IDS_FILE (one per line), prints ``ready CONNECTED FAILED``, then
answers commands on stdin: ``report`` prints a JSON object
{session_id: {status: arrival time (time.monotonic), "lag " + status: seconds from the
message's own ``timestamp`` (when the server made the change) to its arrival, by the
wall clock both share}}, ``quit`` closes all
sockets and exits. It also exits by itself after MAX_SECONDS.
"""

import asyncio
import json
import resource
import sys
import threading
import time
from datetime import datetime

import aiohttp

CONNECT_CONCURRENCY = 200


async def main() -> None:
    base, key, ids_file, max_seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ids = [line.strip() for line in open(ids_file) if line.strip()]
    arrivals: dict[str, dict[str, float]] = {}
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    readers: list[asyncio.Task[None]] = []
    failed = 0
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    ws_base = "ws" + base.removeprefix("http")

    async def read(session_id: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        seen = arrivals.setdefault(session_id, {})
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                at, wall = time.monotonic(), time.time()
                message = json.loads(msg.data)
                status = message["status"]
                if status not in seen:
                    seen[status] = at
                    changed = datetime.fromisoformat(message["timestamp"]).timestamp()
                    seen["lag " + status] = wall - changed

    async def connect(http: aiohttp.ClientSession, session_id: str) -> None:
        nonlocal failed
        async with gate:
            try:
                ws = await http.ws_connect(
                    f"{ws_base}/api/v1/sessions/{session_id}/ws?api_key={key}",
                    autoping=True, heartbeat=None, timeout=aiohttp.ClientWSTimeout(ws_close=2))
            except (TimeoutError, aiohttp.ClientError, OSError):
                failed += 1
                return
        sockets.append(ws)
        readers.append(asyncio.create_task(read(session_id, ws)))

    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:
        # A daemon thread, so a pending read never holds the process open at exit.
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "")

    threading.Thread(target=read_stdin, daemon=True).start()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        try:
            async with asyncio.timeout(max_seconds):
                await asyncio.gather(*(connect(http, sid) for sid in ids))
                print(f"ready {len(sockets)} {failed}", flush=True)
                while True:
                    line = await commands.get()
                    if line == "report":
                        print(json.dumps(arrivals), flush=True)
                    elif line in ("quit", ""):
                        break
        except TimeoutError:
            pass
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
