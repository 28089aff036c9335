"""Turns for work that runs one at a time, behind a short queue (PDF previews)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ..errors import ServiceUnavailable

#: Previews that may wait for their turn behind the one being drawn; more are refused (503).
WAITING = 8


class Turns:
    """One holder at a time, and at most ``waiting`` more in line; past that, 503 with
    ``Retry-After`` at once rather than an ever longer wait. A preview takes its turn
    before it reads its PDF, so a burst holds one copy in memory, not one per request."""

    def __init__(self, waiting: int = WAITING) -> None:
        self._turn = asyncio.Semaphore(1)
        self._most = waiting
        self._waiting = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._turn.locked() and self._waiting >= self._most:
            raise ServiceUnavailable("Too many previews are being drawn right now; try again "
                                     "in a moment.", headers={"Retry-After": "1"})
        self._waiting += 1
        try:
            await self._turn.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._turn.release()
