"""Client errors: one exception per kind, retries for idempotent calls only."""

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port

from handoff.client import (
    ApiError,
    Conflict,
    Forbidden,
    HandoffClient,
    NetworkError,
    NotFound,
    Session,
    Unauthorized,
)

from ..client_support import connect
from ..conftest import KEY_B, LiveServer


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
