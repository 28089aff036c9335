"""Deliveries in Redis: pending ones survive restarts and are sent by whichever process is up.

Every key shares the hash tag ``{webhooks}``, so the claim script also runs on
Redis Cluster: ``…:due`` (a sorted set of pending ids by due time), ``…:d:<id>``
(each delivery's JSON, kept a week) and ``…:t:<tenant>`` (each tenant's ids by
creation time, for the listing).
"""

import redis.asyncio as redis

from ..store.redis import connect, guarded
from ..store.redis_codec import text
from .base import KEEP_SECONDS, KEPT_PER_TENANT, Delivery, DeliveryQueue, DeliveryStatus

#: KEYS[1] the due set; ARGV[1] now, ARGV[2] most, ARGV[3] held until. -> claimed ids
CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[3], id) end
return ids
"""


class RedisQueue(DeliveryQueue):
    def __init__(self, client: redis.Redis, *, prefix: str) -> None:
        self._redis = client
        self._base = f"{prefix}:{{webhooks}}"
        self._due = f"{self._base}:due"
        self._keep_ms = int(KEEP_SECONDS * 1000)
        self._claim = client.register_script(CLAIM)

    @classmethod
    def open(cls, url: str, *, prefix: str) -> "RedisQueue":
        return cls(connect(url), prefix=prefix)

    def _key(self, delivery_id: str) -> str:
        return f"{self._base}:d:{delivery_id}"

    def _tenant(self, tenant: str) -> str:
        return f"{self._base}:t:{tenant}"

    @guarded
    async def add(self, delivery: Delivery) -> None:
        listing = self._tenant(delivery.tenant)
        async with self._redis.pipeline(transaction=True) as pipe:
            self._write(pipe, delivery)
            pipe.zadd(listing, {delivery.id: delivery.created_at})
            pipe.zremrangebyrank(listing, 0, -KEPT_PER_TENANT - 1)
            pipe.zremrangebyscore(listing, "-inf", delivery.created_at - KEEP_SECONDS)
            pipe.pexpire(listing, self._keep_ms)
            await pipe.execute()

    @guarded
    async def claim_due(self, now: float, limit: int, hold: float) -> list[Delivery]:
        ids = await self._claim(keys=[self._due], args=[now, limit, now + hold])
        if not ids:
            return []
        raws = await self._redis.mget([self._key(text(i)) for i in ids])
        return [Delivery.loads(raw) for raw in raws if raw is not None]

    @guarded
    async def release(self, deliveries: list[Delivery], now: float) -> None:
        if deliveries:  # XX: a delivery finished meanwhile (by anyone) stays out of the set
            await self._redis.zadd(self._due, {d.id: now for d in deliveries}, xx=True)

    @guarded
    async def save(self, delivery: Delivery) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self._write(pipe, delivery)
            await pipe.execute()

    def _write(self, pipe: "redis.client.Pipeline", delivery: Delivery) -> None:
        pipe.set(self._key(delivery.id), delivery.dumps(), px=self._keep_ms)
        if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
            pipe.zadd(self._due, {delivery.id: delivery.next_attempt_at})
        else:
            pipe.zrem(self._due, delivery.id)

    @guarded
    async def get(self, tenant: str, delivery_id: str) -> Delivery | None:
        raw = await self._redis.get(self._key(delivery_id))
        if raw is None:
            return None
        delivery = Delivery.loads(raw)
        return delivery if delivery.tenant == tenant else None

    @guarded
    async def recent(self, tenant: str, limit: int) -> list[Delivery]:
        ids = await self._redis.zrevrange(self._tenant(tenant), 0, limit - 1)
        if not ids:
            return []
        raws = await self._redis.mget([self._key(text(i)) for i in ids])
        return [Delivery.loads(raw) for raw in raws if raw is not None]

    @guarded
    async def next_due(self) -> float | None:
        first = await self._redis.zrange(self._due, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def close(self) -> None:
        await self._redis.aclose()
