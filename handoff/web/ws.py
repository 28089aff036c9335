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
        pusher = _Pusher(ws, request.app[presenter_key], subscription, record.version, handler)
        try:
            await ws.send_str(pusher.presenter.event_message(record, time.time()))
            del record, caller  # this frame waits as long as the socket is open
            subscription.listen(pusher.wake)
            try:
                async for _ in ws:
                    pass  # the desktop has nothing to say; reading answers pings and close frames
            except asyncio.CancelledError:
                if pusher.close_code is None:
                    raise
                # The pusher sent a final status (or the server is shutting down) and
                # stopped this read, so that the close below runs with no read pending:
                # aiohttp then waits for the desktop's close frame (up to the socket's
                # timeout), and a desktop that was not reading still gets the last
                # message and then the close code. Closed while a read is pending, it
                # would drop the connection at once (1006).
                handler.uncancel()
                await ws.close(code=pusher.close_code)
        finally:
            sockets.discard(ws)
            open_sockets.dec()
            await pusher.stop()
    return ws


class _Pusher:
    """Sends a socket's newer versions in order, from a task that exists only while
    there is something to send: an idle socket holds no task of its own besides its
    handler, which reads. After a closing status it has the handler close with 1000,
    and at shutdown with 1001."""

    __slots__ = ("ws", "presenter", "subscription", "sent", "handler", "close_code", "task")

    def __init__(
        self,
        ws: web.WebSocketResponse,
        presenter: Presenter,
        subscription: Subscription,
        sent: int,
        handler: asyncio.Task[web.StreamResponse],
    ) -> None:
        self.ws = ws
        self.presenter = presenter
        self.subscription = subscription
        self.sent = sent
        self.handler = handler
        self.close_code: WSCloseCode | None = None
        self.task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """The subscription's listener: start sending unless already sending or closing."""
        if self.task is None and self.close_code is None:
            self.task = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        try:
            # Events that arrive while a message is being sent are taken by this loop;
            # once it finds none it ends without awaiting, so no event can slip between.
            while (event := self.subscription.pop()) is not None:
                if event.version <= self.sent:
                    continue
                await self.ws.send_str(self.presenter.event_message(event.record, event.at))
                self.sent = event.version
                if event.status in CLOSED:
                    self._close(WSCloseCode.OK)
                    return
        except Interrupted:
            self._close(WSCloseCode.GOING_AWAY)
        except ConnectionResetError:
            log.debug("websocket peer went away for session %s", self.subscription.session_id)
        except Exception:
            log.exception("pushing to the websocket of session %s failed",
                          self.subscription.session_id)
        finally:
            self.task = None

    def _close(self, code: WSCloseCode) -> None:
        self.close_code = code
        self.handler.cancel()

    async def stop(self) -> None:
        """Wait for no send: cancel one in progress (the socket is going away)."""
        self.close_code = self.close_code or WSCloseCode.GOING_AWAY  # no new sends
        if (task := self.task) is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


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
