"""A blocking facade over :class:`HandoffClient` for scripts and GUI code without a loop.

Each call runs the async client on a private event loop owned by this object, so
use one ``SyncHandoffClient`` per thread and never from inside a running loop.
"""

import asyncio
import os
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from ..models import ResultItem, ResultPoll, ScanResult, SessionOut, StatusEvent
from .client import HandoffClient
from .session import Session

T = TypeVar("T")


class SyncSession:
    """The blocking twin of :class:`Session`."""

    def __init__(self, owner: "SyncHandoffClient", session: Session) -> None:
        self._run = owner._run
        self.session = session

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def status(self) -> str:
        return self.session.status

    @property
    def url(self) -> str:
        return self.session.url

    def events(self, *, follow: bool = False) -> Iterator[StatusEvent]:
        stream = self.session.events(follow=follow)
        try:
            while True:
                try:
                    yield self._run(anext(stream))
                except StopAsyncIteration:
                    return
        finally:
            self._run(stream.aclose())

    def wait_for_result(self, timeout: float | None = None) -> list[ResultItem] | ScanResult:
        return self._run(self.session.wait_for_result(timeout))

    def cancel(self) -> SessionOut:
        return self._run(self.session.cancel())

    def qr_svg(self) -> bytes:
        return self._run(self.session.qr_svg())

    def qr_png(self) -> bytes:
        return self._run(self.session.qr_png())


class SyncHandoffClient:
    """``with SyncHandoffClient(url, key) as client:``; the calls of :class:`HandoffClient`."""

    def __init__(self, base_url: str, api_key: str, **options: Any) -> None:
        self._runner = asyncio.Runner()
        self.client = HandoffClient(base_url, api_key, **options)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._run(self.client.close())
        self._runner.close()

    def create_session(self, action_type: Any, output_format: str | None = None,
                       **options: Any) -> SyncSession:
        return SyncSession(self, self._run(
            self.client.create_session(action_type, output_format, **options)))

    def get_session(self, session_id: str) -> SyncSession:
        return SyncSession(self, self._run(self.client.get_session(session_id)))

    def list_sessions(self) -> list[SyncSession]:
        return [SyncSession(self, s) for s in self._run(self.client.list_sessions())]

    def cancel(self, session_id: str) -> SessionOut:
        return self._run(self.client.cancel(session_id))

    def result(self, session_id: str) -> ResultPoll:
        return self._run(self.client.result(session_id))

    def download(self, download_id: str | ResultItem) -> tuple[bytes, str]:
        return self._run(self.client.download(download_id))

    def download_to(self, download_id: str | ResultItem, path: str | os.PathLike[str]) -> Path:
        return self._run(self.client.download_to(download_id, path))

    def delete_download(self, download_id: str | ResultItem) -> None:
        self._run(self.client.delete_download(download_id))

    def qr_svg(self, session_id: str) -> bytes:
        return self._run(self.client.qr_svg(session_id))

    def qr_png(self, session_id: str) -> bytes:
        return self._run(self.client.qr_png(session_id))
