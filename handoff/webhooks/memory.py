"""Deliveries in this process's memory: lost with the process (the docs say so)."""

import time
from collections import OrderedDict

from .base import KEPT_PER_TENANT, Delivery, DeliveryQueue, DeliveryStatus, Requeued


class MemoryQueue(DeliveryQueue):
    def __init__(self, kept_per_tenant: int = KEPT_PER_TENANT) -> None:
        self._kept = kept_per_tenant
        self._by_tenant: dict[str, OrderedDict[str, Delivery]] = {}
        #: delivery id -> (tenant, when it is due); pending deliveries only.
        self._due: dict[str, tuple[str, float]] = {}
        #: delivery id -> until when its claim holds (an attempt is under way).
        self._claimed: dict[str, float] = {}

    async def add(self, delivery: Delivery) -> None:
        await self.save(delivery)
        kept = self._by_tenant[delivery.tenant]
        while len(kept) > self._kept:
            old_id, _ = kept.popitem(last=False)
            self._due.pop(old_id, None)

    async def claim_due(self, now: float, limit: int, hold: float) -> list[Delivery]:
        due = sorted((when, delivery_id, tenant) for delivery_id, (tenant, when) in self._due.items()
                     if when <= now)[:limit]
        claimed = []
        for _, delivery_id, tenant in due:
            self._due[delivery_id] = (tenant, now + hold)
            self._claimed[delivery_id] = now + hold
            claimed.append(self._by_tenant[tenant][delivery_id])
        return claimed

    async def requeue(self, previous: Delivery, again: Delivery) -> Requeued:
        if await self.get(previous.tenant, previous.id) != previous:
            return Requeued.CHANGED
        if self._claimed.get(again.id, 0.0) > time.time():
            return Requeued.IN_FLIGHT
        await self.save(again)
        return Requeued.QUEUED

    async def release(self, deliveries: list[Delivery], now: float) -> None:
        for delivery in deliveries:
            self._claimed.pop(delivery.id, None)
            if delivery.id in self._due:
                self._due[delivery.id] = (delivery.tenant, now)

    async def save(self, delivery: Delivery) -> None:
        self._claimed.pop(delivery.id, None)
        self._by_tenant.setdefault(delivery.tenant, OrderedDict())[delivery.id] = delivery
        if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
            self._due[delivery.id] = (delivery.tenant, delivery.next_attempt_at)
        else:
            self._due.pop(delivery.id, None)

    async def get(self, tenant: str, delivery_id: str) -> Delivery | None:
        kept = self._by_tenant.get(tenant)
        return None if kept is None else kept.get(delivery_id)

    async def recent(self, tenant: str, limit: int) -> list[Delivery]:
        kept = self._by_tenant.get(tenant)
        return [] if kept is None else list(reversed(kept.values()))[:limit]

    async def next_due(self) -> float | None:
        return min((when for _, when in self._due.values()), default=None)
