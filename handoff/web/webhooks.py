"""Webhooks in the web layer: events become deliveries, and the tenant's delivery routes.

Each status change of a session whose tenant has a ``webhook_url`` becomes one
delivery whose body is ``{"type", "timestamp", "data"}``, ``data`` being the
session exactly as ``GET /api/v1/sessions/{id}`` shows it at that version.
"""

import json
import time
import uuid
from datetime import datetime

from aiohttp import web

from ..domain import Status
from ..errors import NotFound
from ..keys import tenants_key, webhooks_key
from ..models import DeliveryList, DeliveryOut
from ..store import Event, Tombstone
from ..tenants import Tenants
from ..webhooks import Delivery
from ..webhooks.sender import Sender
from .api import caller_of
from .auth import require_api_key
from .presenter import Presenter, rfc3339
from .responses import json_model

EVENT_TYPES = {
    Status.OPENED: "session.opened",
    Status.ACTION_STARTED: "session.action_started",
    Status.COMPLETED: "session.completed",
    Status.CANCELLED: "session.cancelled",
    Status.EXPIRED: "session.expired",
}
#: Deliveries in one listing.
LISTED = 100


def stamp(at: float) -> str:
    return rfc3339(at).isoformat().replace("+00:00", "Z")


class WebhookEvents:
    """The store listener that turns each change into a delivery for its tenant's endpoint."""

    def __init__(self, tenants: Tenants, presenter: Presenter, sender: Sender) -> None:
        self._tenants = tenants
        self._presenter = presenter
        self._sender = sender

    def on_change(self, event: Event) -> None:
        tenant = self._tenants.get(event.record.owner)
        kind = EVENT_TYPES.get(event.status)
        if tenant is None or tenant.webhook_url is None or kind is None:
            return
        if isinstance(event.record, Tombstone) and not event.record.ended_open:
            return  # a completed or cancelled session's end was already announced
        head = json.dumps({"type": kind, "timestamp": stamp(event.at)})
        payload = head[:-1] + ', "data": ' + self._presenter.session_json(event.record).decode() + "}"
        self._sender.submit(Delivery(
            id=f"msg_{uuid.uuid4().hex}", tenant=tenant.id, session_id=event.session_id,
            type=kind, payload=payload, created_at=time.time(), next_attempt_at=event.at,
        ))


def delivery_model(delivery: Delivery) -> DeliveryOut:
    def when(at: float | None) -> datetime | None:
        return None if at is None else rfc3339(at)

    return DeliveryOut(
        id=delivery.id, type=delivery.type, session_id=delivery.session_id,
        status=delivery.status.value, attempts=delivery.attempts,
        last_status_code=delivery.last_status_code, last_error=delivery.last_error,
        next_attempt_at=when(delivery.next_attempt_at), created_at=rfc3339(delivery.created_at),
    )


async def list_deliveries(request: web.Request) -> web.Response:
    owner = require_api_key(await caller_of(request))
    recent = await request.app[webhooks_key].queue.recent(owner, LISTED)
    return json_model(DeliveryList(deliveries=[delivery_model(d) for d in recent]))


async def retry_delivery(request: web.Request) -> web.Response:
    owner = require_api_key(await caller_of(request))
    tenant = request.app[tenants_key].get(owner)
    again = None
    if tenant is not None and tenant.webhook_url is not None:
        again = await request.app[webhooks_key].retry_now(owner, request.match_info["delivery_id"])
    if again is None:
        raise NotFound("There is no webhook delivery with this id.", code="delivery_not_found")
    return json_model(delivery_model(again), 202)
