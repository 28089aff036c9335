"""HTTP calls with the API key, error mapping and retries for idempotent calls."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import NetworkError, error_for

log = logging.getLogger(__name__)

#: Failures worth another try: the server may be restarting or the network flaky.
TRANSIENT = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry.

    ``tries`` counts every attempt (3: the first and two retries). The n-th retry
    waits ``base_delay * factor ** (n - 1)`` seconds, at most ``max_delay``.
    """

    tries: int = 3
    base_delay: float = 0.25
    factor: float = 2.0
    max_delay: float = 4.0

    def delay(self, retry: int) -> float:
        return min(self.base_delay * self.factor ** (retry - 1), self.max_delay)


@dataclass(frozen=True, slots=True)
class Reply:
    """A response read in full."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class Transport:
    """One aiohttp ``ClientSession`` aimed at one server with one credential."""

    def __init__(
        self, base_url: str, api_key: str, *, retry: RetryPolicy, timeout: float
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self.timeout = timeout
        self.headers = {"X-API-Key": api_key}
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # Connect and read timeouts only: a download or a long-poll may rightly take long.
            self._http = aiohttp.ClientSession(
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self.timeout, sock_read=self.timeout
                ),
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def url(self, path: str) -> str:
        return self.base_url + path

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        ok: tuple[int, ...] = (200,),
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """An open response with an ``ok`` status; errors raised as :class:`ApiError`.

        Connection failures and 5xx answers are retried with backoff when the call is
        ``idempotent``; once the body starts flowing nothing is retried.
        """
        if read_timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(
                total=None, sock_connect=self.timeout, sock_read=read_timeout
            )
        tries = self.retry.tries if idempotent else 1
        for attempt in range(1, tries + 1):
            last = attempt == tries
            try:
                response = await self.http.request(method, self.url(path), **kwargs)
            except TRANSIENT as exc:
                if last:
                    raise NetworkError(f"{method} {path}: {exc or type(exc).__name__}") from exc
                log.info("%s %s failed (%s), retrying", method, path, exc)
            else:
                if response.status in ok:
                    try:
                        yield response
                    finally:
                        response.release()
                    return
                body = await self._read_quietly(response)
                if response.status < 500 or last:
                    raise error_for(response.status, _decoded(body), response.reason or "")
                log.info("%s %s answered %s, retrying", method, path, response.status)
            await asyncio.sleep(self.retry.delay(attempt))

    async def _read_quietly(self, response: aiohttp.ClientResponse) -> bytes:
        try:
            return await response.read()
        except TRANSIENT:
            return b""
        finally:
            response.release()

    async def call(self, method: str, path: str, **options: Any) -> Reply:
        """A whole response with an ``ok`` status; the options are those of :meth:`stream`."""
        async with self.stream(method, path, **options) as response:
            try:
                body = await response.read()
            except TRANSIENT as exc:
                raise NetworkError(f"{method} {path}: {exc or type(exc).__name__}") from exc
            return Reply(response.status, response.headers, body)

