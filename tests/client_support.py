"""Helpers of the client tests: a client that retries fast, and the phone's side."""

from collections.abc import Callable
from typing import Any

import aiohttp

from handoff.client import HandoffClient, RetryPolicy, Session, StatusEvent

from .conftest import KEY_A, LiveServer
from .media import jpeg

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


def connect(server: LiveServer | str, key: str = KEY_A, **options: Any) -> HandoffClient:
    base = server if isinstance(server, str) else server.base_url
    options.setdefault("retry", FAST)
    options.setdefault("ws_reconnect", FAST)
    return HandoffClient(base, key, **options)


class Phone:
    """The phone's side, done with plain HTTP as a browser would."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _send(self, method: str, url: str, **kwargs: Any) -> int:
        async with aiohttp.ClientSession() as http, http.request(method, url, **kwargs) as response:
            await response.read()
            return response.status

    async def open(self) -> None:
        assert await self._send("GET", self.url) == 200

    async def start(self) -> None:
        """Show the capture screen and begin capturing (the page's script reports that)."""
        assert await self._send("GET", self.url + "/action") == 200
        assert await self._send("POST", self.url + "/started") == 204

    async def upload(self, data: bytes | None = None) -> None:
        form = aiohttp.FormData()
        form.add_field("file", data or jpeg(), filename="photo.jpg", content_type="image/jpeg")
        assert await self._send("POST", self.url + "/result", data=form) == 200


async def collect(
    session: Session, steps: list[Callable[[], Any]], **kwargs: Any
) -> list[StatusEvent]:
    """The events while the phone takes ``steps``, each after the previous event arrived."""
    events: list[StatusEvent] = []
    async for event in session.events(**kwargs):
        events.append(event)
        if len(events) <= len(steps):
            await steps[len(events) - 1]()
    return events


def statuses(events: list[StatusEvent]) -> list[str]:
    return [event.status for event in events]
