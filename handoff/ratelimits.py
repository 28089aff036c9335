"""Rate limits (the ``limits`` library): creates per tenant; phone-link misses and wrong
short codes per address.

Counts live in memory, or in Redis when ``REDIS_URL`` is set, so a limit holds
across every worker. Which address a request comes from is the web layer's
business (:mod:`handoff.web.ratelimit`).
"""

import ipaddress
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (MovingWindowRateLimiter, RateLimiter,
                                   SlidingWindowCounterRateLimiter)
from limits.errors import StorageError

from .errors import TooManyRequests
from .settings import Settings

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(value: tuple[str, ...]) -> tuple[Network, ...] | None:
    """The proxies whose ``X-Forwarded-For`` is believed; ``None`` stands for ``*`` (any)."""
    if "*" in value:
        return None
    return tuple(ipaddress.ip_network(item, strict=False) for item in value)


class RateLimits:
    """The two limits and their shared counts; :meth:`open` in a ``cleanup_ctx``."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.create: RateLimitItem = parse(settings.rate_limit_create)
        self.phone_misses: RateLimitItem = parse(settings.rate_limit_phone_misses)
        self.code_misses: RateLimitItem = parse(settings.rate_limit_code_misses)
        self.trusted = trusted_networks(settings.forwarded_allow_ips)
        self._storage = storage
        # Misses are counted exactly, each in a moving window: they guard against guessing.
        self._limiter = MovingWindowRateLimiter(storage)
        # Creates, on the hot path, by a sliding window's two counters: the moving window's
        # in-memory storage trims its timestamps in a task and a thread after every hit
        # (about 130 µs of CPU per create in all), and keeps one timestamp per create.
        self._creates = SlidingWindowCounterRateLimiter(storage)

    @classmethod
    def open(cls, settings: Settings) -> "RateLimits":
        storage: Storage
        if settings.redis_url is None:
            storage = MemoryStorage()
        else:
            storage = RedisStorage(
                "async+" + settings.redis_url, implementation="redispy", wrap_exceptions=True,
                key_prefix=f"{settings.redis_prefix}:limits",
            )
        return cls(settings, storage)

    async def hit_create(self, owner: str) -> None:
        """Count one create of ``owner``; 429 once the tenant is over its limit."""
        if not await self._hit(self.create, "create", owner, limiter=self._creates):
            raise await self._refusal(
                self.create, ("create", owner), self._creates,
                "This API key's tenant creates sessions faster than allowed ({limit}); "
                "try again in {seconds} s.",
            )

    async def phone_missed(self, address: str) -> None:
        """Count a phone link from ``address`` that led nowhere; 429 once over the limit."""
        if not await self._hit(self.phone_misses, "phone", address):
            raise await self._refusal(
                self.phone_misses, ("phone", address), self._limiter,
                "Too many links that lead nowhere were opened from this address ({limit}); "
                "try again in {seconds} s.",
            )

    async def code_wait(self, address: str) -> int | None:
        """Seconds ``address`` must wait before it may try another short code, or ``None``.

        Only wrong codes count (:meth:`code_missed`), so a right code is never refused
        for the codes typed before it while the address is under its limit."""
        try:
            if await self._limiter.test(self.code_misses, "code", address):
                return None
        except StorageError as exc:
            log.warning("rate limit storage unavailable (%s); not limiting", exc)
            return None
        return await self._wait(self.code_misses, ("code", address), self._limiter)

    async def code_missed(self, address: str) -> None:
        """Count one wrong short code typed from ``address``."""
        await self._hit(self.code_misses, "code", address)

    async def _hit(
        self, item: RateLimitItem, *identifiers: str, limiter: RateLimiter | None = None
    ) -> bool:
        try:
            return await (limiter or self._limiter).hit(item, *identifiers)
        except StorageError as exc:  # limits must not take the API down with them
            log.warning("rate limit storage unavailable (%s); not limiting", exc)
            return True

    async def _refusal(
        self, item: RateLimitItem, identifiers: tuple[str, ...], limiter: RateLimiter,
        sentence: str,
    ) -> TooManyRequests:
        seconds = await self._wait(item, identifiers, limiter)
        limit = f"{item.amount} per {item.multiples} {item.GRANULARITY.name}"
        return TooManyRequests(
            sentence.format(limit=limit, seconds=seconds), code="rate_limited",
            headers={"Retry-After": str(seconds)}, extra={"retry_after": seconds},
        )

    async def _wait(
        self, item: RateLimitItem, identifiers: tuple[str, ...], limiter: RateLimiter
    ) -> int:
        """Whole seconds until ``identifiers`` may be counted again under ``item``."""
        try:
            stats = await limiter.get_window_stats(item, *identifiers)
            return max(1, math.ceil(stats.reset_time - time.time()))
        except StorageError:
            return item.get_expiry()

    async def close(self) -> None:
        # limits has no close of its own: shut its redis-py client so no connection outlives
        # the app (the counts stay in Redis for the other workers).
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()


