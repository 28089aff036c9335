"""SIGTERM as documented: long-polls answered at once, uploads cut after a grace, out within 10 s."""

import asyncio
import signal

import aiohttp
import pytest

from ..conftest import A
from ..processes import ServerProcess, thread_names
from ..redis_support import RedisServer


async def test_sigterm_answers_a_pending_long_poll_with_the_current_state(tmp_path):
    server = ServerProcess(tmp_path, {})
    await server.start()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/api/v1/sessions", headers=A,
                             json={"action_type": "photo", "output_format": "jpg"}) as r:
            session = await r.json()
        poll = asyncio.create_task(http.get(
            f"{server.base_url}/api/v1/sessions/{session['id']}?wait=60",
            headers={**A, "If-None-Match": '"1"'},
        ))
        await asyncio.sleep(0.3)  # the poll is waiting on the server
        assert not poll.done()
        took = await server.stop(signal.SIGTERM)
        response = await poll
        assert response.status == 304 and response.headers["ETag"] == '"1"'
    assert took < 10


async def test_sigterm_cuts_a_trickling_upload_after_the_grace_and_exits_within_10s(tmp_path):
    server = ServerProcess(tmp_path, {})
    await server.start()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/api/v1/sessions", headers=A,
                             json={"action_type": "photo", "output_format": "jpg"}) as r:
            token = (await r.json())["url"].rsplit("/", 1)[-1]
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            f"POST /s/{token}/result HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n"
            .encode()
        )
        await writer.drain()

        async def trickle() -> None:
            while True:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.2)

        sending = asyncio.create_task(trickle())
        await asyncio.sleep(0.3)
        took = await server.stop(signal.SIGTERM)
        sending.cancel()
        writer.close()
    assert took < 10
    assert server.process is not None and server.process.returncode is not None


def booted(output: list[str]) -> set[str]:
    """The pids of the workers gunicorn has said it booted."""
    return {line.split("[", 2)[2].split("]")[0] for line in output
            if "Booting worker with pid" in line}


async def test_several_workers_serve_one_port_and_drain_on_sigterm(
    tmp_path, redis_server: RedisServer, redis_prefix: str
):
    server = ServerProcess(tmp_path, {"REDIS_URL": redis_server.url, "REDIS_PREFIX": redis_prefix})
    await server.start("--workers", "2")
    async with aiohttp.ClientSession() as http:
        ids = []
        for _ in range(6):
            async with http.post(f"{server.base_url}/api/v1/sessions", headers=A,
                                 json={"action_type": "photo", "output_format": "jpg"}) as r:
                assert r.status == 201
                ids.append((await r.json())["id"])
        for session_id in ids:  # whichever worker answers knows every session
            async with http.get(f"{server.base_url}/api/v1/sessions/{session_id}", headers=A) as r:
                assert r.status == 200
    # Each forked worker runs jemalloc's background thread again (ALLOCATOR=auto): wait
    # (bounded) for both to have said they booted and for each to show the thread.
    async with asyncio.timeout(10):
        while len(workers := booted(server.output)) < 2 or not all(
            "jemalloc_bg_thd" in thread_names(pid) for pid in workers
        ):
            await asyncio.sleep(0.05)
    took = await server.stop(signal.SIGTERM)
    assert took < 10
    assert any("2 workers" in line and "jemalloc" in line for line in server.output)
    assert len(booted(server.output)) == 2


async def test_several_workers_without_redis_stop_with_one_line(tmp_path):
    server = ServerProcess(tmp_path, {"WORKERS": "2"})
    with pytest.raises(AssertionError, match="server exited"):
        await server.start()
    lines = [line for line in server.output if line.strip()]
    assert lines == [
        "handoff: invalid WORKERS: several workers need a shared store: set REDIS_URL, "
        "or run one worker (got '2')\n"
    ]
