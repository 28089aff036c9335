"""Several real server processes sharing one Redis: any process serves any session."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
import redis.asyncio as redis

from ..conftest import A
from ..media import jpeg, png
from ..processes import ServerProcess
from ..redis_support import RedisServer

Starter = Callable[..., Awaitable[ServerProcess]]


@pytest.fixture
async def servers(
    redis_server: RedisServer, redis_prefix: str, tmp_path
) -> AsyncIterator[Starter]:
    """``await servers(SESSION_TTL="1s")``: a started server process on the shared Redis."""
    started: list[ServerProcess] = []

    async def start(redis_url: str = redis_server.url, **env: str) -> ServerProcess:
        server = ServerProcess(
            tmp_path, {"REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix, **env}
        )
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process is not None and server.process.returncode is None:
            await server.kill()


async def create(http: aiohttp.ClientSession, server: ServerProcess, **body: object) -> dict:
    payload = {"action_type": "photo", "output_format": "jpg", **body}
    async with http.post(f"{server.base_url}/api/v1/sessions", json=payload, headers=A) as r:
        assert r.status == 201, await r.text()
        return await r.json()


def token_of(session: dict) -> str:
    return session["url"].rsplit("/", 1)[-1]


async def upload(http: aiohttp.ClientSession, server: ServerProcess, token: str, image: bytes) -> int:
    form = aiohttp.FormData()
    form.add_field("file", image, filename="photo.jpg", content_type="image/jpeg")
    async with http.post(f"{server.base_url}/s/{token}/result", data=form) as response:
        return response.status


async def socket(http: aiohttp.ClientSession, server: ServerProcess, session_id: str):
    return await http.ws_connect(
        f"ws://127.0.0.1:{server.port}/api/v1/sessions/{session_id}/ws", headers=A
    )


async def statuses_until(ws: aiohttp.ClientWebSocketResponse, final: str, timeout: float = 15) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            seen.append(json.loads(message.data)["status"])
            if seen[-1] == final:
                break
    return seen


async def test_create_on_one_socket_on_another_phone_on_the_first_download_on_the_second(servers):
    a, b = await servers(), await servers()
    async with aiohttp.ClientSession() as http:
        session = await create(http, a)
        ws = await socket(http, b, session["id"])
        async with http.get(f"{a.base_url}/s/{token_of(session)}") as page:
            assert page.status == 200
        assert await upload(http, a, token_of(session), jpeg(640, 480)) == 200
        seen = await statuses_until(ws, "completed")
        assert seen == ["pending", "opened", "completed"] or seen == ["opened", "completed"]
        await ws.close()
        async with http.get(f"{b.base_url}/api/v1/sessions/{session['id']}", headers=A) as r:
            item = (await r.json())["result"][0]
        async with http.get(f"{b.base_url}/api/v1/downloads/{item['download_id']}", headers=A) as r:
            assert r.status == 200 and len(await r.read()) == item["size"]


async def test_expiry_reaches_every_process_socket_once(servers):
    a, b = await servers(SESSION_TTL="1s"), await servers(SESSION_TTL="1s")
    async with aiohttp.ClientSession() as http:
        session = await create(http, a)
        sockets = [await socket(http, server, session["id"]) for server in (a, b)]
        for ws in sockets:
            seen = await statuses_until(ws, "expired")
            assert seen.count("expired") == 1
            closing = await asyncio.wait_for(ws.receive(), 5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 1000


async def test_racing_uploads_across_processes_complete_once(servers):
    a, b = await servers(), await servers()
    image = jpeg(320, 240)
    async with aiohttp.ClientSession() as http:
        session = await create(http, a)
        token = token_of(session)
        codes = await asyncio.gather(
            *(upload(http, (a, b)[i % 2], token, image) for i in range(20))
        )
        assert codes.count(200) == 1
        assert set(codes) <= {200, 409}
        async with http.get(f"{b.base_url}/api/v1/sessions/{session['id']}", headers=A) as r:
            assert (await r.json())["status"] == "completed"


async def test_a_lease_held_by_a_killed_process_lapses_and_the_retry_succeeds(
    servers, redis_server, redis_prefix
):
    a = await servers(UPLOAD_LEASE_TTL="2s")
    b = await servers(UPLOAD_LEASE_TTL="2s")
    client = redis.Redis.from_url(redis_server.url)
    async with aiohttp.ClientSession() as http:
        session = await create(http, a, output_format="png")
        token = token_of(session)
        # A large photo keeps A busy converting it while it holds the lease.
        pending = asyncio.create_task(upload(http, a, token, png(4000, 3000)))
        lease = f"{redis_prefix}:{{{session['id']}}}:lease"
        async with asyncio.timeout(30):
            while not await client.exists(lease):
                assert not pending.done(), "the upload finished before its lease was seen"
                await asyncio.sleep(0.01)
        await a.kill()
        with pytest.raises(aiohttp.ClientError):
            await pending
        assert await upload(http, b, token, jpeg(320, 240)) == 409  # the lease still stands
        async with asyncio.timeout(10):
            while await client.exists(lease):
                await asyncio.sleep(0.05)
        assert await upload(http, b, token, jpeg(320, 240)) == 200
    await client.aclose()


async def test_sockets_get_the_current_state_after_a_redis_restart(servers, tmp_path):
    store = RedisServer(tmp_path / "redis", appendonly=True)
    store.directory.mkdir()
    store.start()
    try:
        a, b = await servers(store.url), await servers(store.url)
        async with aiohttp.ClientSession() as http:
            session = await create(http, a)
            ws = await socket(http, a, session["id"])
            assert await statuses_until(ws, "pending") == ["pending"]
            store.restart()
            async with asyncio.timeout(15):  # b answers again once Redis is back
                while True:
                    async with http.get(f"{b.base_url}/s/{token_of(session)}") as page:
                        if page.status == 200:
                            break
                    await asyncio.sleep(0.1)
            assert await statuses_until(ws, "opened") == ["opened"]
            await ws.close()
    finally:
        store.stop()


async def test_every_process_restarted_still_serves_session_result_and_tombstone(servers):
    a = await servers(SESSION_TTL="2s", RESULT_TTL="5m")
    async with aiohttp.ClientSession() as http:
        done = await create(http, a, session_ttl="10m")
        assert await upload(http, a, token_of(done), jpeg(320, 240)) == 200
        expiring = await create(http, a)
        await a.stop()
        await asyncio.sleep(2.1)  # the short session's lifetime passes while nothing runs
        again = await servers(SESSION_TTL="2s")
        async with http.get(f"{again.base_url}/api/v1/sessions/{expiring['id']}", headers=A) as r:
            assert await r.json() == {"id": expiring["id"], "status": "expired"}
        async with http.get(f"{again.base_url}/api/v1/sessions/{done['id']}", headers=A) as r:
            body = await r.json()
        assert body["status"] == "completed" and body["version"] == 2
        item = body["result"][0]
        async with http.get(f"{again.base_url}/api/v1/downloads/{item['download_id']}", headers=A) as r:
            assert r.status == 200 and len(await r.read()) == item["size"]
        async with http.get(f"{again.base_url}/s/{token_of(expiring)}") as page:
            assert page.status == 410
