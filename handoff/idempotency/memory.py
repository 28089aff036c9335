"""Remembered responses in this process's memory: one timer handle per key."""

import asyncio
import json

from .base import CLAIM_TTL, KEEP, Begun, IdempotencyStore, Outcome, Remembered, new_claim, outcome_of


class MemoryIdempotency(IdempotencyStore):
    """Must be created inside a running loop; a stale timer never drops a fresh entry."""

    def __init__(self, *, keep: float = KEEP, claim_ttl: float = CLAIM_TTL) -> None:
        self._loop = asyncio.get_running_loop()
        self._keep, self._claim_ttl = keep, claim_ttl
        self._entries: dict[tuple[str, str], str] = {}
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}

    async def begin(self, scope: str, key: str, fingerprint: str) -> Outcome:
        slot = (scope, key)
        if (raw := self._entries.get(slot)) is not None:
            return outcome_of(raw, fingerprint)
        begun, claim = new_claim(fingerprint)
        self._put(slot, claim, self._claim_ttl)
        return begun

    async def finish(self, scope: str, key: str, begun: Begun, response: Remembered) -> None:
        if self._holds((scope, key), begun):
            self._put((scope, key), response.dumps(), self._keep)

    async def release(self, scope: str, key: str, begun: Begun) -> None:
        if self._holds((scope, key), begun):
            self._drop((scope, key))

    async def close(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._entries.clear()

    def _holds(self, slot: tuple[str, str], begun: Begun) -> bool:
        raw = self._entries.get(slot)
        return raw is not None and json.loads(raw).get("token") == begun.token

    def _put(self, slot: tuple[str, str], raw: str, ttl: float) -> None:
        if (old := self._timers.pop(slot, None)) is not None:
            old.cancel()
        self._entries[slot] = raw
        self._timers[slot] = self._loop.call_later(ttl, self._drop, slot)

    def _drop(self, slot: tuple[str, str]) -> None:
        if (handle := self._timers.pop(slot, None)) is not None:
            handle.cancel()
        self._entries.pop(slot, None)
