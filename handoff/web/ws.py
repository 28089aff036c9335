"""The desktop's websocket: the current state at once, then every change in order."""

import asyncio
import contextlib
import logging
import time

from aiohttp import WSCloseCode, web

from ..domain import CLOSED, closed_error
from ..errors import BadRequest
from ..keys import metrics_key, presenter_key, store_key, websockets_key
from ..store import Interrupted, Subscription
from .api import caller_of
from .auth import session_of
from .presenter import Presenter

log = logging.getLogger(__name__)

#: Seconds between pings; a peer that does not answer is dropped.
HEARTBEAT = 30.0
#: Seconds sockets get at shutdown to say goodbye themselves before they are cut.
SHUTDOWN_CLOSE = 2.0


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
        open_sockets = request.app[metrics_key].websockets
        open_sockets.inc()
        handler = asyncio.current_task()
        assert handler is not None
        closing: asyncio.Future[WSCloseCode] = asyncio.get_running_loop().create_future()
        pump: asyncio.Task[None] | None = None
        try:
            presenter = request.app[presenter_key]
            await ws.send_str(presenter.event_message(record, time.time()))
            pump = asyncio.create_task(
                _forward(ws, presenter, subscription, record.version, closing, handler)
            )
            try:
                async for _ in ws:
                    pass  # the desktop has nothing to say; reading answers pings and close frames
            except asyncio.CancelledError:
                if not closing.done():
                    raise
                # The pump sent a final status (or the server is shutting down) and
                # stopped this read, so that the close below runs with no read pending:
                # aiohttp then waits for the desktop's close frame (up to the socket's
                # timeout), and a desktop that was not reading still gets the last
                # message and then the close code. Closed while a read is pending, it
                # would drop the connection at once (1006).
                handler.uncancel()
                await ws.close(code=closing.result())
        finally:
            sockets.discard(ws)
            open_sockets.dec()
            if pump is not None:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
    return ws


async def _forward(
    ws: web.WebSocketResponse,
    presenter: Presenter,
    subscription: Subscription,
    sent: int,
    closing: asyncio.Future[WSCloseCode],
    handler: asyncio.Task[web.StreamResponse],
) -> None:
    """Send each newer version; after a closing status have the handler close with 1000,
    and at shutdown with 1001."""
    try:
        async for event in subscription:
            if event.version <= sent:
                continue
            await ws.send_str(presenter.event_message(event.record, event.at))
            sent = event.version
            if event.status in CLOSED:
                closing.set_result(WSCloseCode.OK)
                handler.cancel()
                return
    except Interrupted:
        closing.set_result(WSCloseCode.GOING_AWAY)
        handler.cancel()
    except ConnectionResetError:
        log.debug("websocket peer went away for session %s", subscription.session_id)


async def close_websockets(app: web.Application) -> None:
    """On shutdown, answer long-polls now and have every socket close itself with 1001."""
    app[store_key].interrupt_waiters()
    sockets = app[websockets_key]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SHUTDOWN_CLOSE):
            while sockets:
                await asyncio.sleep(0.01)
    for ws in set(sockets):  # still busy sending: cut short
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
