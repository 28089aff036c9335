"""The desktop's websocket: the current state at once, then every change in order."""

import asyncio
import contextlib
import logging
import time

from aiohttp import WSCloseCode, web

from ..domain import CLOSED, closed_error
from ..errors import BadRequest
from ..keys import presenter_key, store_key, websockets_key
from ..store import Interrupted, Subscription
from .api import caller_of
from .auth import session_of
from .presenter import Presenter

log = logging.getLogger(__name__)

#: Seconds between pings; a peer that does not answer is dropped.
HEARTBEAT = 30.0


async def session_events(request: web.Request) -> web.StreamResponse:
    # Credentials and state are checked before the upgrade, so failures are plain HTTP.
    caller = await caller_of(request, query_key=True)
    store = request.app[store_key]
    session_id = request.match_info["session_id"]
    # Subscribing before the current state is read means no change can fall in between.
    async with store.subscribe(session_id) as subscription:
        record = await session_of(caller, store, session_id)
        if (gone := closed_error(record.status)) is not None:
            raise gone
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT, compress=False)
        if not ws.can_prepare(request).ok:
            raise BadRequest(
                "This route is a websocket: connect with a websocket client (Upgrade: websocket).",
                code="websocket_required",
            )
        await ws.prepare(request)
        sockets = request.app[websockets_key]
        sockets.add(ws)
        closing = asyncio.Event()
        pump: asyncio.Task[None] | None = None
        try:
            presenter = request.app[presenter_key]
            await ws.send_str(presenter.event_message(record, time.time()))
            pump = asyncio.create_task(
                _forward(ws, presenter, subscription, record.version, closing)
            )
            async for _ in ws:
                pass  # the desktop has nothing to say; reading keeps pings and close frames flowing
        finally:
            sockets.discard(ws)
            if pump is not None:
                # A pump that is closing waits for the desktop's close frame (at most the
                # socket's timeout); cancelling it then would drop the connection unclosed.
                if not closing.is_set():
                    pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
    return ws


async def _forward(
    ws: web.WebSocketResponse,
    presenter: Presenter,
    subscription: Subscription,
    sent: int,
    closing: asyncio.Event,
) -> None:
    """Send each newer version; after a closing status, close with 1000."""
    try:
        async for event in subscription:
            if event.version <= sent:
                continue
            await ws.send_str(presenter.event_message(event.record, event.at))
            sent = event.version
            if event.status in CLOSED:
                closing.set()
                await ws.close(code=WSCloseCode.OK)
                return
    except Interrupted:
        return  # shutting down: close_websockets says goodbye with 1001
    except ConnectionResetError:
        log.debug("websocket peer went away for session %s", subscription.session_id)


async def close_websockets(app: web.Application) -> None:
    """On shutdown, close every socket with 1001 (going away), and answer long-polls now."""
    app[store_key].interrupt_waiters()
    for ws in set(app[websockets_key]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
