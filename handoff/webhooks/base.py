"""A delivery and the queue interface; the backends (memory, Redis) live beside this module.

A delivery is one event for one tenant's endpoint. It is *pending* until an
attempt succeeds (*succeeded*) or the retry schedule is used up (*failed*).
Due deliveries are *claimed* for a while before they are sent, so two
processes never send the same attempt, and a process that dies mid-attempt
leaves it to be claimed again (at least once, never lost).
"""

import abc
import dataclasses
import json
from dataclasses import dataclass
from enum import StrEnum

#: Deliveries each tenant's listing keeps, and how long a finished one is kept.
KEPT_PER_TENANT = 1000
KEEP_SECONDS = 7 * 24 * 3600.0


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint; ``id`` is its ``webhook-id``, kept by every redelivery."""

    id: str
    tenant: str
    session_id: str
    type: str
    #: The exact body sent each time (the signature covers it).
    payload: str
    created_at: float
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    #: POSIX time of the next attempt while pending.
    next_attempt_at: float | None = None
    last_status_code: int | None = None
    last_error: str | None = None

    def dumps(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def loads(cls, raw: str | bytes) -> "Delivery":
        fields = json.loads(raw)
        fields["status"] = DeliveryStatus(fields["status"])
        return cls(**fields)

    def replace(self, **changes: object) -> "Delivery":
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


class Requeued(StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    CHANGED = "changed"


class DeliveryQueue(abc.ABC):
    """Where deliveries wait; values go in and out, never live objects."""

    @abc.abstractmethod
    async def add(self, delivery: Delivery) -> None:
        """Keep a new pending delivery, due at its ``next_attempt_at``."""

    @abc.abstractmethod
    async def claim_due(self, now: float, limit: int, hold: float) -> list[Delivery]:
        """Up to ``limit`` pending deliveries due by ``now``, each held from other claims for
        ``hold`` seconds (then due again, in case whoever claimed it died)."""

    @abc.abstractmethod
    async def requeue(self, previous: Delivery, again: Delivery) -> Requeued:
        """Store ``again`` (pending, due at its ``next_attempt_at``) in place of ``previous``,
        as one step: unless an attempt is under way (that attempt is the one asked for;
        another would send it twice at once), or the stored delivery is no longer
        ``previous`` (an attempt ended meanwhile: read it again and retry)."""

    @abc.abstractmethod
    async def release(self, deliveries: list[Delivery], now: float) -> None:
        """Give claimed deliveries back, due at once (their attempts were cut short by a
        shutdown), so another process need not wait for the claims to lapse."""

    @abc.abstractmethod
    async def save(self, delivery: Delivery) -> None:
        """Store the delivery after an attempt: pending ones are due at ``next_attempt_at``."""

    @abc.abstractmethod
    async def get(self, tenant: str, delivery_id: str) -> Delivery | None: ...

    @abc.abstractmethod
    async def recent(self, tenant: str, limit: int) -> list[Delivery]:
        """The tenant's deliveries, newest first."""

    @abc.abstractmethod
    async def next_due(self) -> float | None:
        """When the earliest pending delivery falls due (``None``: nothing pending)."""

    async def close(self) -> None:
        return None
