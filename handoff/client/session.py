"""``Session``: one capture session seen from the desktop, with its event stream."""

import asyncio
from contextlib import aclosing
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from ..models import (
    ResultItem,
    ResultPoll,
    ScanResult,
    SessionOut,
    Status,
    StatusEvent,
    Tombstone,
)
from .errors import ended
from .events import follow_events

if TYPE_CHECKING:
    from .client import HandoffClient


class Session:
    """A handle on a session: its latest known ``state`` and calls about it.

    ``state`` is the server's :class:`SessionOut`, or a :class:`Tombstone` once the
    session has expired; :meth:`events` keeps it current.
    """

    def __init__(self, client: "HandoffClient", state: SessionOut | Tombstone) -> None:
        self.client = client
        self.state = state

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.status}>"

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def status(self) -> Status:
        return Status(self.state.status)

    @property
    def url(self) -> str:
        """The phone link; show it as a QR code."""
        return self._live().url

    @property
    def client_secret(self) -> str | None:
        return self._live().client_secret

    def _live(self) -> SessionOut:
        if isinstance(self.state, Tombstone):
            raise ended("expired")
        return self.state

    async def refresh(self) -> SessionOut | Tombstone:
        self.state = await self.client.session_state(self.id)
        return self.state

    async def events(self, *, follow: bool = False) -> AsyncGenerator[StatusEvent, None]:
        """Every state change in order, starting with the current state.

        Ends after ``completed``, ``cancelled`` or ``expired``; with ``follow=True`` it
        goes on past ``completed`` until the session is cancelled or expires.
        """
        async with aclosing(follow_events(self.client, self.id, follow=follow)) as stream:
            async for event in stream:
                self.state = event.session
                yield event

    async def wait_for_result(self, timeout: float | None = None) -> list[ResultItem] | ScanResult:
        """The result items (a scan's documents for a scan session) once the phone sends them.

        Raises :class:`Expired` or :class:`Cancelled` if the session ends without a
        result, and ``TimeoutError`` after ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout), aclosing(self.events()) as events:
            async for event in events:
                if event.status == "completed":
                    if event.data is None:
                        return []
                    return event.data
                if event.status in ("cancelled", "expired"):
                    raise ended(event.status)
        raise ended(self.status)  # the stream ended without a final status

    async def cancel(self) -> SessionOut:
        self.state = await self.client.cancel(self.id)
        return self.state

    async def result(self) -> ResultPoll:
        return await self.client.result(self.id)

    async def qr_svg(self) -> bytes:
        return await self.client.qr_svg(self.id)

    async def qr_png(self) -> bytes:
        return await self.client.qr_png(self.id)
