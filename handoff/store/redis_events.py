"""Push across processes: one pattern subscription per process carries every session's events.

Each process holds a single pub/sub connection subscribed to ``<prefix>:{*}:ev``
and hands each event to the local subscriptions of its session. Subscribing
locally is instant and the pattern is always subscribed, so nothing published
after ``subscribe`` returns can be missed; after the connection was lost, every
local subscription is handed its session's current state, so a change made
during an outage is not silently lost.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import redis.asyncio as redis

from .base import Event, Record, Subscription
from .redis_codec import record_of
from .watchers import Watchers

log = logging.getLogger(__name__)

#: Longest wait between attempts to reconnect the pub/sub connection.
MAX_BACKOFF = 2.0


class EventHub:
    """The process's pub/sub connection and the local subscriptions it feeds."""

    def __init__(
        self,
        client: redis.Redis,
        pattern: str,
        current: Callable[[str], Awaitable[Record | None]],
    ) -> None:
        """``current(session_id)`` reads a session's record, for catching up after an outage."""
        self._client = client
        self._pattern = pattern
        self._current = current
        self._watchers = Watchers()
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        #: Set when redis-py reconnected the pub/sub connection by itself (its retries):
        #: events published while it was down were missed, so catch up as after an outage.
        self._reconnected = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="handoff-redis-events")
        await self._subscribed.wait()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The listening task (the store stops it at shutdown)."""
        return self._task

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._watchers.subscribe(session_id)

    def interrupt_waiters(self) -> None:
        self._watchers.interrupt_all()

    def deliver(self, event: Event) -> None:
        self._watchers.deliver(event)

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self._pattern)
                assert pubsub.connection is not None
                pubsub.connection.register_connect_callback(self._on_reconnect)
                if self._subscribed.is_set():
                    log.info("event connection to Redis is back; catching up")
                    await self._catch_up()
                self._subscribed.set()
                backoff = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._dispatch(message["data"])
                    if self._reconnected:
                        # The resubscription was confirmed by the read that returned.
                        self._reconnected = False
                        log.info("event connection to Redis was re-established; catching up")
                        await self._catch_up()
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                log.warning("event connection to Redis lost (%s); retrying in %.1fs", exc, backoff)
                self._subscribed.set()  # start-up goes on; catching up happens on reconnect
            finally:
                if pubsub.connection is not None:
                    pubsub.connection.deregister_connect_callback(self._on_reconnect)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _on_reconnect(self, connection: object) -> None:
        """redis-py's callback after it (re)connected the pub/sub connection and resubscribed."""
        self._reconnected = True

    def _dispatch(self, data: bytes) -> None:
        try:
            payload = json.loads(data)
            record = record_of(payload["record"])
        except (ValueError, KeyError, TypeError):
            log.exception("unreadable event on the Redis channel")
            return
        if record is not None:
            self.deliver(Event(record, float(payload["at"])))

    async def _catch_up(self) -> None:
        """Hand every local subscription its session's current state."""
        for session_id in self._watchers.sessions():
            record = await self._current(session_id)
            if record is not None:
                self.deliver(Event(record, time.time()))
