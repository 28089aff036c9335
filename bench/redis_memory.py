"""Redis memory per live session, per tombstone and per stored megabyte (``INFO memory``).

    .venv/bin/python bench/redis_memory.py [--sessions 20000]

Starts its own redis-server (Debian's package) on a free loopback port with
persistence off, fills it through the real RedisStore and prints the figures.
"""

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis.asyncio as redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handoff.domain import NewFile  # noqa: E402
from handoff.store import NewSession  # noqa: E402
from handoff.store.redis import RedisStore  # noqa: E402

OWNER = "0123456789abcdef"  # a tenant id as the key ring makes them


def spec(ttl: float) -> NewSession:
    return NewSession(owner=OWNER, action_type="photo", output_format="jpg", intro_text="",
                      session_ttl=ttl, result_ttl=3600)


async def used(client: redis.Redis) -> int:
    await asyncio.sleep(0.2)
    return int((await client.info("memory"))["used_memory"])


async def measure(url: str, count: int) -> None:
    client = redis.Redis.from_url(url)
    store = await RedisStore.open(url, prefix="handoff", tombstone_ttl=3600, wait=5)
    try:
        base = await used(client)
        for _ in range(count):
            await store.create(spec(3600))
        print(f"live session: {(await used(client) - base) / count / 1024:.2f} KiB")

        await client.flushall()
        base = await used(client)
        for _ in range(count):
            await store.create(spec(1))
        await asyncio.sleep(1.2)
        while await client.zcard("handoff:deadlines"):  # the sweeper expires them
            await asyncio.sleep(0.2)
        print(f"tombstone: {(await used(client) - base) / count / 1024:.2f} KiB")

        await client.flushall()
        base = await used(client)
        files = 20
        for _ in range(files):
            session = await store.create(spec(3600))
            lease = await store.acquire_upload(session.id)
            await store.complete(lease, [NewFile.of("image/jpeg", "photo.jpg", bytes(1 << 20))])
        print(f"stored megabyte (MiB of results): {(await used(client) - base) / files / (1 << 20):.2f} MiB")
    finally:
        await store.close()
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.3)
            asyncio.run(measure(f"redis://127.0.0.1:{port}/0", args.sessions))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
