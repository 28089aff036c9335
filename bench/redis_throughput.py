"""Create and get throughput with the Redis store (one and two workers) against the memory
store, in one run, and push latency from a phone's request on one process to a websocket
on another.

    .venv/bin/python bench/redis_throughput.py [--seconds 3] [--rounds 2]

Starts its own redis-server on a free loopback port (persistence off) and the handoff
processes; wrk (Debian) drives 32 connections. Figures are ratios within the run.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-0123456789"
LUA = Path(__file__).resolve().parent / "wrk.lua"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "handoff", "serve", *args], cwd=ROOT,
        env={**os.environ, "API_KEYS": KEY, "HOST": "127.0.0.1", "PORT": str(port),
             "BASE_URL": base, "LOG_LEVEL": "warning",
             # A create limit the bench never reaches (the default would refuse it).
             "RATE_LIMIT_CREATE": "100000000/minute", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            try:
                async with http.get(f"{base}/api/v1/ready") as response:
                    if response.status == 200:
                        return process, base
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def wrk(url: str, seconds: float, body: str = "") -> float:
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{round(seconds)}s", "-s", str(LUA), url],
        env={**os.environ, "API_KEY": KEY, "BODY": body}, capture_output=True, text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec:"))
    return float(line.split()[1])


async def session_id(base: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/v1/sessions", headers={"X-API-Key": KEY},
                             json={"action_type": "photo", "output_format": "jpg"}) as r:
            return str((await r.json())["id"])


async def push_latency(a: str, b: str, samples: int) -> list[float]:
    """ms from the phone's page request on A to the 'opened' message on B's websocket."""
    waits: list[float] = []
    async with aiohttp.ClientSession() as http:
        for _ in range(samples):
            async with http.post(f"{a}/api/v1/sessions", headers={"X-API-Key": KEY},
                                 json={"action_type": "photo", "output_format": "jpg"}) as r:
                session = await r.json()
            ws = await http.ws_connect(
                b.replace("http", "ws") + f"/api/v1/sessions/{session['id']}/ws",
                headers={"X-API-Key": KEY})
            await ws.receive_json()
            started = time.perf_counter()
            page = asyncio.create_task(http.get(session["url"]))
            while (await ws.receive_json())["status"] != "opened":
                pass
            waits.append((time.perf_counter() - started) * 1000)
            (await page).release()
            await ws.close()
    return waits


async def main(seconds: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", directory], stdout=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{redis_port}/0"
        configs = {
            "memory, 1 process": ({}, ()),
            "redis, 1 process": ({"REDIS_URL": url}, ()),
            "redis, 2 workers": ({"REDIS_URL": url}, ("--workers", "2")),
        }
        results: dict[str, dict[str, list[float]]] = {name: {"create": [], "get": []} for name in configs}
        body = '{"action_type":"photo","output_format":"jpg"}'
        try:
            for _ in range(rounds):
                for name, (env, args) in configs.items():
                    process, base = await serve(env, *args)
                    try:
                        sid = await session_id(base)
                        results[name]["get"].append(wrk(f"{base}/api/v1/sessions/{sid}", seconds))
                        results[name]["create"].append(wrk(f"{base}/api/v1/sessions", seconds, body))
                    finally:
                        process.terminate()
                        process.wait(15)
            a, base_a = await serve({"REDIS_URL": url})
            b, base_b = await serve({"REDIS_URL": url})
            try:
                waits = await push_latency(base_a, base_b, 50)
            finally:
                for process in (a, b):
                    process.terminate()
                    process.wait(15)
        finally:
            redis.terminate()
            redis.wait(10)
    memory = {kind: statistics.median(results["memory, 1 process"][kind]) for kind in ("create", "get")}
    print(f"{'store':<20} {'create/s':>10} {'× memory':>9} {'get/s':>10} {'× memory':>9}")
    for name, figures in results.items():
        create, get = (statistics.median(figures[k]) for k in ("create", "get"))
        print(f"{name:<20} {create:>10.0f} {create / memory['create']:>9.2f} {get:>10.0f} "
              f"{get / memory['get']:>9.2f}")
    waits.sort()
    print(f"push A→B (phone page on A to 'opened' on B's websocket): "
          f"p50 {statistics.median(waits):.1f} ms, p90 {waits[int(len(waits) * 0.9)]:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    asyncio.run(main(options.seconds, options.rounds))
