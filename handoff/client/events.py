"""A session's state changes: over the websocket, else by long-polling.

The websocket sends the current state on connect and then every change. A failed
connect or a dropped socket is retried with backoff; after ``ws_reconnect.tries``
failures in a row the stream carries on by long-polling ``GET
/api/v1/sessions/{id}?wait=N`` with ``If-None-Match``. Either way an event is
yielded only when the session's ``version`` has grown, so a reconnect never
repeats one. Long-polling sees the state at each answer: changes made faster than
one round trip arrive as their latest state.
"""

import asyncio
import logging
from contextlib import aclosing
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp

from ..models import SessionOut, Status, StatusEvent, Tombstone
from .errors import error_for
from .state import parse_state, state_version
from .transport import TRANSIENT

if TYPE_CHECKING:
    from .client import HandoffClient

log = logging.getLogger(__name__)

#: After these nothing happens to a session but, for ``completed``, its expiry.
CLOSED = frozenset({"cancelled", "expired"})
#: Handshake answers that say the websocket route itself is unusable here (a proxy, say).
_NO_WEBSOCKET = frozenset({400, 403, 405, 426, 501})


class Progress:
    """The newest version yielded, and whether the stream is over."""

    def __init__(self, follow: bool) -> None:
        self.follow = follow
        self.seen = 0
        self.done = False

    def fresh(self, event: StatusEvent) -> bool:
        if event.version <= self.seen:
            return False
        self.seen = event.version
        self.done = event.status in CLOSED or (event.status == "completed" and not self.follow)
        return True


def event_from_state(state: SessionOut | Tombstone, version: int) -> StatusEvent:
    """The websocket message the server would have sent for this state."""
    completed = state.status == "completed"
    data = None
    if completed and isinstance(state, SessionOut):
        data = state.scan_result if state.scan_result is not None else (state.result or [])
    return StatusEvent(
        type="completed" if completed else "status_update",
        session_id=state.id,
        status=Status(state.status),  # a tombstone's literal "expired" as the enum
        timestamp=datetime.now(UTC),
        data=data,
        version=version,
        session=state,
    )


async def follow_events(
    client: "HandoffClient", session_id: str, *, follow: bool
) -> AsyncGenerator[StatusEvent, None]:
    progress = Progress(follow)
    policy = client.ws_reconnect
    failures = 0
    while failures < policy.tries:
        try:
            ws = await client.transport.http.ws_connect(
                client.transport.url(f"/api/v1/sessions/{session_id}/ws"), heartbeat=30.0
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status >= 500:
                failures += 1
            elif exc.status in _NO_WEBSOCKET:
                log.info("websocket refused (%s); long-polling instead", exc.status)
                break
            else:
                # 401, 404, 410: the session's own answer says why, with the server's words.
                event = await _current(client, session_id)
                if event is None or event.status not in CLOSED:
                    raise error_for(exc.status, None, exc.message) from exc
                if progress.fresh(event):
                    yield event
                return
        except TRANSIENT:
            failures += 1
        else:
            try:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    event = StatusEvent.model_validate_json(message.data)
                    failures = 0
                    if progress.fresh(event):
                        yield event
                    if progress.done:
                        return
            finally:
                await ws.close()
            failures += 1  # closed before the session was over: reconnect
        if failures < policy.tries:
            await asyncio.sleep(policy.delay(failures))
    log.info("websocket for session %s unavailable; long-polling", session_id)
    async with aclosing(_long_poll(client, session_id, progress)) as polled:
        async for event in polled:
            yield event


async def _current(client: "HandoffClient", session_id: str) -> StatusEvent | None:
    reply = await client.transport.call("GET", f"/api/v1/sessions/{session_id}", idempotent=True)
    state = parse_state(reply)
    version = state_version(reply, state)
    return None if version is None else event_from_state(state, version)


async def _long_poll(
    client: "HandoffClient", session_id: str, progress: Progress
) -> AsyncGenerator[StatusEvent, None]:
    transport = client.transport
    path = f"/api/v1/sessions/{session_id}"
    while not progress.done:
        headers, params = {}, {}
        if progress.seen:
            headers["If-None-Match"] = f'"{progress.seen}"'
            params["wait"] = f"{client.poll_wait:g}"
        reply = await transport.call(
            "GET", path, idempotent=True, ok=(200, 304), headers=headers, params=params,
            read_timeout=client.poll_wait + transport.timeout,
        )
        if reply.status == 304:
            continue
        state = parse_state(reply)
        version = state_version(reply, state)
        if version is None:
            version = progress.seen + 1  # a server without ETags on tombstones
        event = event_from_state(state, version)
        if progress.fresh(event):
            yield event
