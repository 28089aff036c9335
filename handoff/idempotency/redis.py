"""Remembered responses in Redis, so every worker replays the same answer."""

import hashlib

import redis.asyncio as redis

from ..store.redis import connect, guarded
from ..store.redis_codec import text
from .base import CLAIM_TTL, KEEP, Begun, IdempotencyStore, InUse, Outcome, Remembered, new_claim, outcome_of

#: KEYS[1] the entry, ARGV[1] the claim's token, ARGV[2] the new value ('' deletes), ARGV[3] ms.
IF_HELD = """
local raw = redis.call('GET', KEYS[1])
if not raw or cjson.decode(raw)['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


class RedisIdempotency(IdempotencyStore):
    def __init__(self, client: redis.Redis, *, prefix: str, keep: float = KEEP,
                 claim_ttl: float = CLAIM_TTL) -> None:
        self._redis = client
        self._prefix = prefix
        self._keep_ms, self._claim_ms = int(keep * 1000), int(claim_ttl * 1000)
        self._if_held = client.register_script(IF_HELD)

    @classmethod
    def open(cls, url: str, *, prefix: str) -> "RedisIdempotency":
        return cls(connect(url), prefix=prefix)

    def _key(self, scope: str, key: str) -> str:
        # Hashed: a key is the caller's text, of any visible characters.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{self._prefix}:idem:{{{scope}}}:{digest}"

    @guarded
    async def begin(self, scope: str, key: str, fingerprint: str) -> Outcome:
        name = self._key(scope, key)
        begun, claim = new_claim(fingerprint)
        if await self._redis.set(name, claim, px=self._claim_ms, nx=True):
            return begun
        raw = await self._redis.get(name)
        if raw is None:  # it lapsed between the two calls: as good as in progress
            return InUse()
        return outcome_of(text(raw), fingerprint)

    @guarded
    async def finish(self, scope: str, key: str, begun: Begun, response: Remembered) -> None:
        await self._if_held(keys=[self._key(scope, key)],
                            args=[begun.token, response.dumps(), self._keep_ms])

    @guarded
    async def release(self, scope: str, key: str, begun: Begun) -> None:
        await self._if_held(keys=[self._key(scope, key)], args=[begun.token, "", 0])

    async def close(self) -> None:
        await self._redis.aclose()
