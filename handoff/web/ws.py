"""The desktop's websocket: the current state at once, then every change in order."""

import asyncio
import contextlib
import logging
import time

from aiohttp import WSCloseCode, web

from .api import caller_of
from .auth import session_of
from ..errors import BadRequest, Gone
from ..keys import presenter_key, store_key, websockets_key
from ..store import Session, Subscription
from ..store.base import CLOSED

log = logging.getLogger(__name__)

#: Seconds between pings; a peer that does not answer is dropped.
HEARTBEAT = 30.0


async def session_events(request: web.Request) -> web.StreamResponse:
    # Credentials and state are checked before the upgrade, so failures are plain HTTP.
    caller = await caller_of(request, query_key=True)
    store = request.app[store_key]
    record = await session_of(caller, store, request.match_info["session_id"])
    if not isinstance(record, Session):
        raise Gone("This session has expired.", code="session_expired", extra={"status": "expired"})
    if record.status in CLOSED:
        raise Gone(
            "This session was cancelled.", code="session_cancelled", extra={"status": record.status}
        )

    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, compress=False)
    if not ws.can_prepare(request).ok:
        raise BadRequest(
            "This route is a websocket: connect with a websocket client (Upgrade: websocket).",
            code="websocket_required",
        )
    # Subscribing before the first message is rendered means no change can fall in between.
    subscription = store.subscribe(record.id)
    sockets = request.app[websockets_key]
    pump: asyncio.Task[None] | None = None
    try:
        await ws.prepare(request)
        sockets.add(ws)
        presenter = request.app[presenter_key]
        await ws.send_str(presenter.event_message(record, time.time()))
        pump = asyncio.create_task(_forward(ws, subscription, record.version))
        async for _ in ws:
            pass  # the desktop has nothing to say; reading keeps pings and close frames flowing
    finally:
        subscription.close()
        sockets.discard(ws)
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
    return ws


async def _forward(ws: web.WebSocketResponse, subscription: Subscription, sent: int) -> None:
    """Send each newer version; after a closing status, close with 1000."""
    try:
        async for event in subscription:
            if event.version <= sent:
                continue
            await ws.send_str(event.message)
            sent = event.version
            if event.status in CLOSED:
                await ws.close(code=WSCloseCode.OK)
                return
    except ConnectionResetError:
        log.debug("websocket peer went away for session %s", subscription.session_id)


async def close_websockets(app: web.Application) -> None:
    """On shutdown, close every socket with 1001 (going away)."""
    for ws in set(app[websockets_key]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
