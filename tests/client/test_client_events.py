"""Client events: websocket, reconnects, long-polling fallback, cancel and expiry."""

from typing import Any

import pytest
from aiohttp import web

from handoff.client import Cancelled, Expired, HandoffClient, ResultItem, Tombstone
from handoff.web.ws import close_websockets

from ..client_support import Phone, collect, connect, statuses
from ..conftest import LiveServer


# -- events -----------------------------------------------------------------------


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
