"""``HandoffClient``: the desktop API of a handoff server, as typed async calls."""

import mimetypes
import os
import re
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..durations import format_duration, parse_duration
from ..models import (
    ActionType,
    DocumentMode,
    Health,
    ResultItem,
    ResultPoll,
    SessionOut,
    VersionInfo,
)
from .session import Session
from .state import SessionState, parse_state
from .transport import RetryPolicy, Transport

_FILENAME = re.compile(r'filename="([^"]+)"')
_CHUNK = 64 * 1024
Duration = timedelta | str | float


def _duration(value: Duration) -> str:
    return format_duration(parse_duration(value))


def _download_id(item: str | ResultItem) -> str:
    return item.download_id if isinstance(item, ResultItem) else item


class HandoffClient:
    """Talks to one handoff server with one API key.

    Use it as ``async with HandoffClient(url, key) as client:``. Network failures and
    5xx answers of idempotent calls (GET, DELETE) are retried as ``retry`` says;
    creating a session is never retried, so it cannot happen twice.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        ws_reconnect: RetryPolicy = RetryPolicy(),
        poll_wait: float = 30.0,
    ) -> None:
        self.transport = Transport(base_url, api_key, retry=retry, timeout=timeout)
        #: Websocket attempts before ``events()`` falls back to long-polling, and their backoff.
        self.ws_reconnect = ws_reconnect
        #: Seconds each long-poll may wait for a change (the server caps it at 60).
        self.poll_wait = poll_wait

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.transport.close()

    # -- sessions ------------------------------------------------------------

    async def create_session(
        self,
        action_type: ActionType,
        output_format: str | None = None,
        *,
        intro_text: str | None = None,
        session_ttl: Duration | None = None,
        result_ttl: Duration | None = None,
        metadata: dict[str, str] | None = None,
        document_mode: DocumentMode | None = None,
    ) -> Session:
        """Create a capture session; show ``session.url`` (or its QR code) to the user."""
        body: dict[str, Any] = {"action_type": action_type, "output_format": output_format,
                                "intro_text": intro_text, "metadata": metadata,
                                "document_mode": document_mode}
        if session_ttl is not None:
            body["session_ttl"] = _duration(session_ttl)
        if result_ttl is not None:
            body["result_ttl"] = _duration(result_ttl)
        body = {name: value for name, value in body.items() if value is not None}
        reply = await self.transport.call(
            "POST", "/api/v1/sessions", json=body, idempotent=False, ok=(201,)
        )
        return Session(self, parse_state(reply))

    async def get_session(self, session_id: str) -> Session:
        """The session's current state (a :class:`Tombstone` once it has expired)."""
        return Session(self, await self.session_state(session_id))

    async def session_state(self, session_id: str) -> SessionState:
        reply = await self.transport.call("GET", f"/api/v1/sessions/{session_id}", idempotent=True)
        return parse_state(reply)

    async def list_sessions(self) -> list[Session]:
        """This key's sessions that have not expired, newest first."""
        reply = await self.transport.call("GET", "/api/v1/sessions", idempotent=True)
        return [Session(self, SessionOut.model_validate(s)) for s in reply.json()["sessions"]]

    async def cancel(self, session_id: str) -> SessionOut:
        """End the session and delete its result files; repeating it is harmless."""
        reply = await self.transport.call(
            "DELETE", f"/api/v1/sessions/{session_id}", idempotent=True
        )
        return SessionOut.model_validate_json(reply.body)

    async def result(self, session_id: str) -> ResultPoll:
        """Poll for the result: ``status`` is ``completed`` with ``items`` once it is there.

        Raises :class:`Expired` (or :class:`Cancelled`) when the session is over.
        """
        reply = await self.transport.call(
            "GET", f"/api/v1/sessions/{session_id}/result", idempotent=True, ok=(200, 202)
        )
        return ResultPoll.model_validate_json(reply.body)

    async def qr_svg(self, session_id: str) -> bytes:
        return await self._qr(session_id, "svg")

    async def qr_png(self, session_id: str) -> bytes:
        return await self._qr(session_id, "png")

    async def _qr(self, session_id: str, kind: str) -> bytes:
        path = f"/api/v1/sessions/{session_id}/qr.{kind}"
        return (await self.transport.call("GET", path, idempotent=True)).body

    # -- result files --------------------------------------------------------

    async def download(self, download_id: str | ResultItem) -> tuple[bytes, str]:
        """A result file's bytes and content type."""
        path = f"/api/v1/downloads/{_download_id(download_id)}"
        reply = await self.transport.call("GET", path, idempotent=True)
        return reply.body, reply.headers.get("Content-Type", "application/octet-stream")

    async def download_to(
        self, download_id: str | ResultItem, path: str | os.PathLike[str]
    ) -> Path:
        """Stream a result file to ``path``; into a directory it goes under the server's filename.

        Returns the path written. A partly written file is removed if the transfer fails.
        """
        target = Path(path)
        url = f"/api/v1/downloads/{_download_id(download_id)}"
        async with self.transport.stream("GET", url, idempotent=True) as response:
            if target.is_dir():
                target = target / _filename(response.headers, _download_id(download_id))
            try:
                with target.open("wb") as out:
                    async for chunk in response.content.iter_chunked(_CHUNK):
                        out.write(chunk)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        return target

    async def delete_download(self, download_id: str | ResultItem) -> None:
        """Drop a result file at once, rather than waiting for its expiry."""
        path = f"/api/v1/downloads/{_download_id(download_id)}"
        await self.transport.call("DELETE", path, idempotent=True, ok=(204,))

    # -- service -------------------------------------------------------------

    async def health(self) -> Health:
        reply = await self.transport.call("GET", "/api/v1/health", idempotent=True)
        return Health.model_validate_json(reply.body)

    async def version(self) -> VersionInfo:
        reply = await self.transport.call("GET", "/api/v1/version", idempotent=True)
        return VersionInfo.model_validate_json(reply.body)


def _filename(headers: Any, download_id: str) -> str:
    """The server's filename, reduced to a bare name so it cannot leave the directory."""
    match = _FILENAME.search(headers.get("Content-Disposition", ""))
    name = Path(match.group(1)).name if match else ""
    if not name or name in (".", ".."):
        extension = mimetypes.guess_extension(headers.get("Content-Type", "")) or ""
        name = download_id + extension
    return name
