"""The Python client against the real app on a real port."""

import asyncio
import hashlib
import io
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port
from PIL import Image

from handoff.client import (
    ApiError,
    Cancelled,
    Conflict,
    Expired,
    Forbidden,
    HandoffClient,
    NetworkError,
    NotFound,
    ResultItem,
    RetryPolicy,
    Session,
    SessionOut,
    StatusEvent,
    Tombstone,
    Unauthorized,
)
from handoff.client.sync import SyncHandoffClient
from handoff.ws import close_websockets

from .conftest import KEY_A, KEY_B, LiveServer
from .media import jpeg

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


def connect(server: LiveServer | str, key: str = KEY_A, **options: Any) -> HandoffClient:
    base = server if isinstance(server, str) else server.base_url
    options.setdefault("retry", FAST)
    options.setdefault("ws_reconnect", FAST)
    return HandoffClient(base, key, **options)


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[HandoffClient]:
    async with connect(live_server) as client:
        yield client


class Phone:
    """The phone's side, done with plain HTTP as a browser would."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _send(self, method: str, url: str, **kwargs: Any) -> int:
        async with aiohttp.ClientSession() as http, http.request(method, url, **kwargs) as response:
            await response.read()
            return response.status

    async def open(self) -> None:
        assert await self._send("GET", self.url) == 200

    async def start(self) -> None:
        assert await self._send("GET", self.url + "/action") == 200

    async def upload(self, data: bytes | None = None) -> None:
        form = aiohttp.FormData()
        form.add_field("file", data or jpeg(), filename="photo.jpg", content_type="image/jpeg")
        assert await self._send("POST", self.url + "/result", data=form) == 200


async def collect(
    session: Session, steps: list[Callable[[], Any]], **kwargs: Any
) -> list[StatusEvent]:
    """The events while the phone takes ``steps``, each after the previous event arrived."""
    events: list[StatusEvent] = []
    async for event in session.events(**kwargs):
        events.append(event)
        if len(events) <= len(steps):
            await steps[len(events) - 1]()
    return events


def statuses(events: list[StatusEvent]) -> list[str]:
    return [event.status for event in events]


# -- sessions -------------------------------------------------------------------


async def test_create_session_sends_every_field(api: HandoffClient) -> None:
    session = await api.create_session(
        "photo", "jpeg", intro_text="Photograph the **front** of your ID card.",
        session_ttl=timedelta(minutes=5), result_ttl="90s", metadata={"case": "A-17"},
    )
    state = session.state
    assert isinstance(state, SessionOut)
    assert (state.status, state.output_format) == ("pending", "jpg")
    assert (state.session_ttl, state.result_ttl) == (300 * 10**9, 90 * 10**9)
    assert state.intro_text == "Photograph the **front** of your ID card."
    assert state.metadata == {"case": "A-17"}
    assert session.url.startswith(api.transport.base_url + "/s/")
    assert session.client_secret


async def test_scan_session_takes_its_document_mode(api: HandoffClient) -> None:
    session = await api.create_session("scan", document_mode="multi")
    assert session.state.document_mode == "multi"  # type: ignore[union-attr]


async def test_get_and_list_return_the_callers_sessions_newest_first(
    live_server: LiveServer, api: HandoffClient
) -> None:
    first = await api.create_session("photo", "png")
    second = await api.create_session("signature", "svg")
    assert (await api.get_session(first.id)).state == first.state
    assert [s.id for s in await api.list_sessions()] == [second.id, first.id]
    async with connect(live_server, KEY_B) as other:
        assert await other.list_sessions() == []


async def test_qr_codes_are_svg_and_png(api: HandoffClient) -> None:
    session = await api.create_session("photo", "jpg")
    assert b"<svg" in await session.qr_svg()
    png = await api.qr_png(session.id)
    assert Image.open(io.BytesIO(png)).format == "PNG"


# -- events and results ---------------------------------------------------------


async def test_events_yield_every_status_through_completion(api: HandoffClient) -> None:
    session = await api.create_session("photo", "jpg", intro_text="Hello")
    phone = Phone(session.url)
    events = await collect(session, [phone.open, phone.start, phone.upload])
    assert statuses(events) == ["pending", "opened", "action_started", "completed"]
    assert [e.version for e in events] == [1, 2, 3, 4]
    done = events[-1]
    assert done.type == "completed" and isinstance(done.data, list)
    assert isinstance(done.data[0], ResultItem)
    assert session.status == "completed"


async def test_wait_for_result_then_download_the_bytes(api: HandoffClient, tmp_path) -> None:
    session = await api.create_session("photo", "jpg")
    waiting = asyncio.create_task(session.wait_for_result(timeout=5))
    await Phone(session.url).upload(jpeg(800, 600))
    items = await waiting
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    data, content_type = await api.download(item)
    assert content_type == "image/jpeg"
    assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size
    assert Image.open(io.BytesIO(data)).size == (800, 600)

    written = await api.download_to(item.download_id, tmp_path)
    assert written == tmp_path / "photo.jpg" and written.read_bytes() == data
    named = await api.download_to(item, tmp_path / "id-card.jpg")
    assert named.read_bytes() == data

    await api.delete_download(item)
    with pytest.raises(NotFound) as raised:
        await api.download(item)
    assert raised.value.code == "file_not_found"


async def test_result_poll_is_pending_then_completed(api: HandoffClient) -> None:
    session = await api.create_session("photo", "png")
    assert (await session.result()).status == "pending"
    await Phone(session.url).upload()
    poll = await api.result(session.id)
    assert poll.status == "completed" and poll.items and poll.items[0].content_type == "image/png"


async def test_websocket_drop_reconnects_without_repeating_events(
    live_server: LiveServer, api: HandoffClient
) -> None:
    session = await api.create_session("photo", "jpg", intro_text="Hello")
    phone = Phone(session.url)

    async def drop_then_open() -> None:
        await close_websockets(live_server.app)
        await phone.open()

    events = await collect(session, [drop_then_open, phone.start, phone.upload])
    assert statuses(events) == ["pending", "opened", "action_started", "completed"]


async def test_follow_goes_past_completed_until_expiry(start_server) -> None:
    server = await start_server(session_ttl=0.6)
    async with connect(server) as api:
        session = await api.create_session("photo", "jpg")
        events = await collect(session, [Phone(session.url).upload], follow=True)
    assert statuses(events) == ["pending", "completed", "expired"]
    assert isinstance(events[-1].session, Tombstone)


# -- cancel and expiry ----------------------------------------------------------


async def test_cancel_ends_the_events_and_the_wait(api: HandoffClient) -> None:
    session = await api.create_session("photo", "jpg")
    events = await collect(session, [lambda: api.cancel(session.id)])
    assert statuses(events) == ["pending", "cancelled"]
    with pytest.raises(Cancelled) as raised:
        await session.wait_for_result(timeout=5)
    assert raised.value.session_status == "cancelled"
    with pytest.raises(Cancelled):
        await api.result(session.id)
    assert (await session.cancel()).status == "cancelled"  # repeating is harmless


async def test_expiry_ends_the_wait_and_leaves_a_tombstone(start_server) -> None:
    server = await start_server(session_ttl=0.3)
    async with connect(server) as api:
        session = await api.create_session("signature", "png")
        with pytest.raises(Expired) as raised:
            await session.wait_for_result(timeout=5)
        assert raised.value.session_status == "expired"
        assert not isinstance(raised.value, Cancelled)
        assert isinstance((await api.get_session(session.id)).state, Tombstone)
        # A late listener gets the one final event.
        assert statuses([e async for e in session.events()]) == ["expired"]
        with pytest.raises(Expired):
            await api.result(session.id)
        with pytest.raises(Expired):
            await api.cancel(session.id)


async def test_wait_for_result_times_out(api: HandoffClient) -> None:
    session = await api.create_session("photo", "jpg")
    with pytest.raises(TimeoutError):
        await session.wait_for_result(timeout=0.2)


# -- errors ---------------------------------------------------------------------


async def test_wrong_key_is_unauthorized(live_server: LiveServer) -> None:
    async with connect(live_server, "not-a-key") as api:
        with pytest.raises(Unauthorized) as raised:
            await api.list_sessions()
    assert raised.value.status == 401 and raised.value.code == "invalid_credentials"


async def test_unknown_or_foreign_session_is_not_found(
    live_server: LiveServer, api: HandoffClient
) -> None:
    with pytest.raises(NotFound):
        await api.get_session("00000000-0000-4000-8000-000000000000")
    session = await api.create_session("photo", "jpg")
    async with connect(live_server, KEY_B) as other:
        with pytest.raises(NotFound) as raised:
            await other.get_session(session.id)
        with pytest.raises(NotFound):
            await anext(aiter(Session(other, session.state).events()))
    assert raised.value.message == "There is no session with this id."


async def test_invalid_create_is_an_api_error_naming_the_field(api: HandoffClient) -> None:
    with pytest.raises(ApiError) as raised:
        await api.create_session("photo", "svg")
    error = raised.value
    assert (error.status, error.code) == (400, "invalid_request")
    assert "output_format" in error.message


async def test_client_secret_cannot_list_sessions(
    live_server: LiveServer, api: HandoffClient
) -> None:
    session = await api.create_session("photo", "jpg")
    async with connect(live_server, session.client_secret or "") as holder:
        assert (await holder.get_session(session.id)).id == session.id
        with pytest.raises(Forbidden):
            await holder.list_sessions()


async def fixed_server(
    aiohttp_server: Any, status: int, body: dict[str, str]
) -> tuple[str, list[str]]:
    """A server that answers every request with ``status`` and records the methods."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.method)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), seen


async def test_conflict_keeps_the_servers_message_and_code(aiohttp_server: Any) -> None:
    base, _ = await fixed_server(aiohttp_server, 409, {"error": "Already done.", "code": "busy"})
    async with connect(base) as api:
        with pytest.raises(Conflict) as raised:
            await api.get_session("x")
    assert (raised.value.message, raised.value.code) == ("Already done.", "busy")


async def test_5xx_is_retried_three_times_for_idempotent_calls_only(aiohttp_server: Any) -> None:
    base, seen = await fixed_server(aiohttp_server, 503, {"error": "Restarting."})
    async with connect(base) as api:
        with pytest.raises(ApiError) as raised:
            await api.get_session("x")
        assert raised.value.status == 503 and seen == ["GET"] * 3
        seen.clear()
        with pytest.raises(ApiError):
            await api.delete_download("x")
        assert seen == ["DELETE"] * 3
        seen.clear()
        with pytest.raises(ApiError):
            await api.create_session("photo", "jpg")
        assert seen == ["POST"]


async def test_broken_answers_are_retried_three_times_then_a_network_error() -> None:
    accepted: list[str] = []

    async def break_off(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append((await reader.readline()).decode().split()[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")  # then hang up
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(break_off, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with connect(f"http://127.0.0.1:{port}") as api:
            with pytest.raises(NetworkError):
                await api.get_session("x")
            with pytest.raises(NetworkError):
                await api.create_session("photo", "jpg")
    finally:
        server.close()
        await server.wait_closed()
    assert accepted == ["GET", "GET", "GET", "POST"]


async def test_unreachable_server_is_a_network_error() -> None:
    async with connect(f"http://127.0.0.1:{unused_port()}") as api:
        with pytest.raises(NetworkError):
            await api.list_sessions()


# -- long-polling fallback ------------------------------------------------------


async def test_without_websocket_events_fall_back_to_long_polling(start_server) -> None:
    upgrades: list[str] = []
    polls: list[str] = []

    @web.middleware
    async def no_websockets(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith("/ws"):
            upgrades.append(request.path)
            raise web.HTTPServiceUnavailable()
        if "wait" in request.query:
            polls.append(request.headers["If-None-Match"])
        return await handler(request)

    server = await start_server(prepare=lambda app: app.middlewares.append(no_websockets))
    async with connect(server, poll_wait=5) as api:
        session = await api.create_session("photo", "jpg", intro_text="Hello")
        phone = Phone(session.url)
        events = await collect(session, [phone.open, phone.start, phone.upload])
    assert statuses(events) == ["pending", "opened", "action_started", "completed"]
    assert [e.version for e in events] == [1, 2, 3, 4]
    assert events[-1].type == "completed" and events[-1].data
    assert len(upgrades) == 3
    assert polls[:3] == ['"1"', '"2"', '"3"']


# -- packaging ------------------------------------------------------------------


def test_importing_the_client_does_not_load_the_server() -> None:
    probe = (
        "import sys, handoff.client, handoff.client.sync; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('handoff.', 'aiohttp.web', 'PIL', 'jinja2'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a printed list of module names
    light = ("handoff.client", "handoff.models", "handoff.durations")
    assert loaded and all(module.startswith(light) for module in loaded)


# -- synchronous facade ---------------------------------------------------------


async def test_sync_client_runs_the_same_flow_without_a_loop(live_server: LiveServer) -> None:
    """The blocking client runs in a worker thread, as a GUI's code would."""

    def desktop(steps: list[Callable[[str], None]]) -> tuple[list[str], bytes]:
        with SyncHandoffClient(live_server.base_url, KEY_A, retry=FAST) as client:
            session = client.create_session("photo", "jpg", intro_text="Hi")
            seen = []
            for event in session.events():
                seen.append(event.status)
                if len(seen) <= len(steps):
                    steps[len(seen) - 1](session.url)
            items = session.wait_for_result(timeout=5)
            assert isinstance(items, list)
            data, _ = client.download(items[0])
            assert [s.id for s in client.list_sessions()] == [session.id]
            return seen, data

    loop = asyncio.get_running_loop()

    def phone(step: str) -> Callable[[str], None]:
        # The phone acts from the test's loop, where the server runs.
        return lambda url: asyncio.run_coroutine_threadsafe(
            getattr(Phone(url), step)(), loop).result(5)

    steps = [phone("open"), phone("start"), phone("upload")]
    seen, data = await asyncio.to_thread(desktop, steps)
    assert seen == ["pending", "opened", "action_started", "completed"]
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
