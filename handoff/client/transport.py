"""HTTP calls with the API key, error mapping and retries for idempotent calls."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from .errors import ApiError, NetworkError, error_for

log = logging.getLogger(__name__)
T = TypeVar("T")

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

    async def _retrying(
        self, label: str, idempotent: bool, attempt: Callable[[], Awaitable[T]]
    ) -> T:
        """Run ``attempt``; connection failures and 5xx are tried again if ``idempotent``.

        aiohttp itself re-sends an idempotent request once when a kept-alive connection
        turns out to be closed before the answer starts; that is not counted here.
        """
        tries = self.retry.tries if idempotent else 1
        for n in range(1, tries + 1):
            try:
                return await attempt()
            except TRANSIENT as exc:
                if n == tries:
                    raise NetworkError(f"{label}: {exc or type(exc).__name__}") from exc
                log.info("%s failed (%s), retrying", label, exc or type(exc).__name__)
            except ApiError as exc:
                if exc.status < 500 or n == tries:
                    raise
                log.info("%s answered %s, retrying", label, exc.status)
            await asyncio.sleep(self.retry.delay(n))
        raise AssertionError("unreachable: the last try returns or raises")

    def _options(self, read_timeout: float | None, options: dict[str, Any]) -> dict[str, Any]:
        if read_timeout is not None:
            options["timeout"] = aiohttp.ClientTimeout(
                total=None, sock_connect=self.timeout, sock_read=read_timeout
            )
        return options

    async def call(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        ok: tuple[int, ...] = (200,),
        read_timeout: float | None = None,
        **options: Any,
    ) -> Reply:
        """A whole response with an ``ok`` status; any other status raises :class:`ApiError`."""
        options = self._options(read_timeout, options)

        async def attempt() -> Reply:
            async with self.http.request(method, self.url(path), **options) as response:
                body = await response.read()
                if response.status not in ok:
                    raise error_for(response.status, _decoded(body), response.reason or "")
                return Reply(response.status, response.headers, body)

        return await self._retrying(f"{method} {path}", idempotent, attempt)

    @asynccontextmanager
    async def stream(
        self, method: str, path: str, *, idempotent: bool, **options: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """An open 200 response whose body the caller reads in chunks.

        Getting the answer is retried like :meth:`call`; once the body flows, nothing is.
        """

        async def attempt() -> aiohttp.ClientResponse:
            response = await self.http.request(method, self.url(path), **options)
            if response.status != 200:
                try:
                    body = await response.read()
                finally:
                    response.release()
                raise error_for(response.status, _decoded(body), response.reason or "")
            return response

        response = await self._retrying(f"{method} {path}", idempotent, attempt)
        try:
            yield response
        finally:
            response.release()
