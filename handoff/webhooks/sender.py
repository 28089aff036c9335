"""Sends due deliveries in background tasks, a bounded number at a time, and retries them.

Nothing here runs on a request's path: a create or an upload only queues the
delivery. A slow receiver holds one of ``IN_FLIGHT`` slots for at most the
timeout; a dead one only delays its own deliveries.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

import aiohttp

from .. import __version__
from ..tenants import Tenant
from .base import Delivery, DeliveryQueue, DeliveryStatus, Requeued
from .signing import signed_headers

log = logging.getLogger(__name__)

#: Attempts sent at once by one process.
IN_FLIGHT = 8
#: Longest wait between looks at the queue (for deliveries another process queued or freed).
POLL = 1.0
#: How much longer than the timeout a claim holds a delivery from other processes.
HOLD_SLACK = 5.0
#: How long a stop waits for the loop to finish its Redis call (then for a cancelled task).
STOP_WAIT = 3.0
#: How often a retry asked for reads the delivery again when an attempt changed it meanwhile.
REQUEUE_TRIES = 5
#: Each retry's delay is its schedule entry times a random factor within ±JITTER.
JITTER = 0.1

TenantLookup = Callable[[str], Tenant | None]
Outcome = Callable[[str], None]


class Sender:
    """Owns the delivery loop and its HTTP client; :meth:`start` and :meth:`close` it."""

    def __init__(
        self, queue: DeliveryQueue, tenant_of: TenantLookup, *, schedule: tuple[float, ...],
        timeout: float, outcome: Outcome,
    ) -> None:
        self.queue = queue
        self._tenant_of = tenant_of
        self._schedule = schedule
        self._timeout = timeout
        self._outcome = outcome
        self._wake = asyncio.Event()
        self._in_flight: dict[asyncio.Task[None], Delivery] = {}
        self._queueing: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closed = False

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(
            headers={"User-Agent": f"handoff-webhooks/{__version__}"},
            timeout=aiohttp.ClientTimeout(total=self._timeout),
        )
        self._loop_task = asyncio.create_task(self._run(), name="handoff-webhooks")

    def submit(self, delivery: Delivery) -> None:
        """Queue a delivery without waiting (called from a store listener, which must not block)."""
        if self._closed:  # the store outlives the sender at shutdown; its queue is closing
            log.warning("webhook %s for session %s not queued: shutting down", delivery.id,
                        delivery.session_id)
            return
        task = asyncio.create_task(self._add(delivery))
        self._queueing.add(task)
        task.add_done_callback(self._queueing.discard)

    async def _add(self, delivery: Delivery) -> None:
        try:
            await self.queue.add(delivery)
        except Exception:
            log.exception("could not queue webhook %s for session %s", delivery.id,
                          delivery.session_id)
            return
        self._wake.set()

    async def retry_now(self, tenant: str, delivery_id: str) -> Delivery | None:
        for _ in range(REQUEUE_TRIES):
            delivery = await self.queue.get(tenant, delivery_id)
            if delivery is None:
                return None
            again = delivery.replace(status=DeliveryStatus.PENDING, next_attempt_at=time.time())
            outcome = await self.queue.requeue(delivery, again)
            if outcome == Requeued.IN_FLIGHT:
                return delivery  # an attempt is under way: that one is the retry asked for
            if outcome == Requeued.QUEUED:
                self._wake.set()
                return again
        return delivery  # it kept changing under us: attempts are being made anyway

    async def close(self) -> None:
        # Queue what the store has announced, then stop the loop. Attempts in flight are
        # cut short and their deliveries handed back, due at once, for whichever process
        # is up (if that fails, the claims lapse after their hold instead). Every wait is
        # bounded: a task that does not take its cancellation cannot hold the shutdown.
        self._closed = True
        if self._queueing:
            await asyncio.wait(set(self._queueing), timeout=2.0)
        self._wake.set()
        if self._loop_task is not None:
            await self._stop(self._loop_task, patience=STOP_WAIT)
        cut_short = [d for t, d in self._in_flight.items() if not t.done()]
        for task in list(self._in_flight):
            await self._stop(task, patience=0.0)
        await self._hand_back(cut_short)
        if self._http is not None:
            await self._http.close()

    @staticmethod
    async def _stop(task: asyncio.Task[None], *, patience: float) -> None:
        """Let ``task`` end on its own for ``patience`` seconds, then cancel it."""
        if patience > 0:
            await asyncio.wait({task}, timeout=patience)
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_WAIT)
        if task.done() and not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("the webhook sender stopped with an error: %r", exc)

    async def _hand_back(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        try:
            await self.queue.release(deliveries, time.time())
        except Exception as exc:
            log.warning("could not hand back %d webhook(s) in flight (%s); they fall due when "
                        "their claims lapse", len(deliveries), exc)

    async def _run(self) -> None:
        while not self._closed:
            delay = POLL
            free = IN_FLIGHT - len(self._in_flight)
            try:
                if free > 0:
                    claimed = await self.queue.claim_due(time.time(), free, self._timeout + HOLD_SLACK)
                    if self._closed:  # claimed while stopping: not ours to send any more
                        await self._hand_back(claimed)
                        return
                    for delivery in claimed:
                        self._spawn(delivery)
                    if len(claimed) < free and (due := await self.queue.next_due()) is not None:
                        delay = min(POLL, max(0.0, due - time.time()))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: try again on the next round
                log.warning("could not read the webhook queue (%s); retrying", exc)
            if self._closed:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    def _spawn(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self._deliver(delivery))
        self._in_flight[task] = delivery
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        self._wake.set()  # a slot is free

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            code, error = await self._attempt(delivery)
            await self.queue.save(self._after(delivery, code, error))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook %s for session %s: the attempt failed unexpectedly",
                          delivery.id, delivery.session_id)

    async def _attempt(self, delivery: Delivery) -> tuple[int | None, str | None]:
        """One POST: the answer's status code, or why there was none."""
        tenant = self._tenant_of(delivery.tenant)
        key = tenant.webhook_signing_key if tenant is not None else None
        if tenant is None or tenant.webhook_url is None or key is None:
            return None, "the tenant has no webhook_url any more"
        headers = signed_headers(key, delivery.id, int(time.time()), delivery.payload)
        headers["Content-Type"] = "application/json"
        assert self._http is not None
        try:
            async with self._http.post(
                tenant.webhook_url, data=delivery.payload.encode(), headers=headers,
                allow_redirects=False,
            ) as response:
                return response.status, None
        except TimeoutError:
            return None, f"no answer within {self._timeout:g} s"
        except aiohttp.ClientError as exc:
            return None, f"could not be sent: {type(exc).__name__}"

    def _after(self, delivery: Delivery, code: int | None, error: str | None) -> Delivery:
        attempts = delivery.attempts + 1
        now = time.time()
        if code is not None and 200 <= code < 300:
            outcome, status, next_at = "succeeded", DeliveryStatus.SUCCEEDED, None
        elif attempts <= len(self._schedule):
            delay = self._schedule[attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)
            outcome, status, next_at = "retrying", DeliveryStatus.PENDING, now + delay
        else:
            outcome, status, next_at = "failed", DeliveryStatus.FAILED, None
        if error is None and outcome != "succeeded":
            error = f"answered {code}"
        log.info("webhook %s (%s) for session %s: %s after %d attempt(s)%s", delivery.id,
                 delivery.type, delivery.session_id, outcome, attempts,
                 f", {error}" if error else "")
        self._outcome(outcome)
        return delivery.replace(attempts=attempts, status=status, next_attempt_at=next_at,
                                last_status_code=code, last_error=error)
