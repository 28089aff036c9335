"""Deliveries in Redis: pending ones survive restarts and are sent by whichever process is up.

Every key shares the hash tag ``{webhooks}``, so the claim script also runs on
Redis Cluster: ``…:due`` (a sorted set of pending ids by due time), ``…:d:<id>``
(each delivery's JSON, kept a week) and ``…:t:<tenant>`` (each tenant's ids by
creation time, for the listing).
"""

import redis.asyncio as redis

from ..store.redis import connect, guarded
from ..store.redis_codec import text
from .base import (
    KEEP_SECONDS,
    KEPT_PER_TENANT,
    Delivery,
    DeliveryQueue,
    DeliveryStatus,
    Requeued,
)

#: KEYS[1] the due set; ARGV[1] now, ARGV[2] most, ARGV[3] held until, ARGV[4] the hold
#: in ms, ARGV[5] the claim keys' prefix (same hash tag). -> claimed ids, each marked as
#: under way until its hold ends.
CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[3], id)
  redis.call('SET', ARGV[5] .. id, '1', 'PX', ARGV[4])
end
return ids
"""

#: KEYS[1] the claim key, KEYS[2] the delivery, KEYS[3] the due set; ARGV[1] the JSON read
#: before, ARGV[2] the new JSON, ARGV[3] kept for (ms), ARGV[4] its id, ARGV[5] when due.
#: -> 'changed' (not what was read), 'in_flight' (an attempt is under way) or 'queued'.
REQUEUE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 'changed' end
if redis.call('EXISTS', KEYS[1]) == 1 then return 'in_flight' end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return 'queued'
"""


class RedisQueue(DeliveryQueue):
    def __init__(self, client: redis.Redis, *, prefix: str) -> None:
        self._redis = client
        self._base = f"{prefix}:{{webhooks}}"
        self._due = f"{self._base}:due"
        self._keep_ms = int(KEEP_SECONDS * 1000)
        self._claim = client.register_script(CLAIM)
        self._requeue = client.register_script(REQUEUE)

    @classmethod
    def open(cls, url: str, *, prefix: str) -> "RedisQueue":
        return cls(connect(url), prefix=prefix)

    def _key(self, delivery_id: str) -> str:
        return f"{self._base}:d:{delivery_id}"

    def _claimed(self, delivery_id: str) -> str:
        return f"{self._base}:c:{delivery_id}"

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
        ids = await self._claim(
            keys=[self._due], args=[now, limit, now + hold, int(hold * 1000), f"{self._base}:c:"]
        )
        if not ids:
            return []
        raws = await self._redis.mget([self._key(text(i)) for i in ids])
        return [Delivery.loads(raw) for raw in raws if raw is not None]

    @guarded
    async def requeue(self, previous: Delivery, again: Delivery) -> Requeued:
        assert again.next_attempt_at is not None
        outcome = await self._requeue(
            keys=[self._claimed(again.id), self._key(again.id), self._due],
            args=[previous.dumps(), again.dumps(), self._keep_ms, again.id, again.next_attempt_at],
        )
        return Requeued(text(outcome))

    @guarded
    async def release(self, deliveries: list[Delivery], now: float) -> None:
        if not deliveries:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(*(self._claimed(d.id) for d in deliveries))
            # XX: a delivery finished meanwhile (by anyone) stays out of the set.
            pipe.zadd(self._due, {d.id: now for d in deliveries}, xx=True)
            await pipe.execute()

    @guarded
    async def save(self, delivery: Delivery) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self._write(pipe, delivery)
            await pipe.execute()

    def _write(self, pipe: "redis.client.Pipeline", delivery: Delivery) -> None:
        pipe.set(self._key(delivery.id), delivery.dumps(), px=self._keep_ms)
        pipe.delete(self._claimed(delivery.id))  # the attempt, if any, is over
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
