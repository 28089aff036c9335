"""Every metric handoff exports, from the official ``prometheus-client``.

Each app has its own registry (tests build many apps in one process). With
``PROMETHEUS_MULTIPROC_DIR`` set in the environment before start-up, the
client keeps every counter and histogram in files in that directory, one set
per process, and the exposition of any process sums them all (the client's
multiprocess mode), so several workers answer the same totals. The number of
live sessions is asked of the shared store at each scrape rather than counted
per process, so it is right whichever process made or expired them.
"""

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .domain import Status
from .store import Event, Tombstone

FINISHED = frozenset({Status.COMPLETED, Status.CANCELLED, Status.EXPIRED})


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


#: The ``method`` labels; every other method is counted as ``OTHER``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})


class Metrics:
    """Every metric handoff exports; labels never hold an id, token or tenant."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("handoff_http_requests_total", "HTTP requests answered.",
                                ["route", "method", "status"], registry=r)
        self.duration = Histogram("handoff_http_request_duration_seconds",
                                  "Time to answer an HTTP request.", ["route"], registry=r)
        self.created = Counter("handoff_sessions_created_total", "Sessions created.",
                               ["action"], registry=r)
        self.finished = Counter("handoff_sessions_finished_total",
                                "Sessions that completed, were cancelled or expired.",
                                ["action", "status"], registry=r)
        self.websockets = Gauge("handoff_websockets_open", "Desktop websockets open.",
                                registry=r, multiprocess_mode="livesum")
        self.upload_seconds = Histogram(
            "handoff_upload_processing_seconds", "Time to receive, process and store an accepted upload.",
            ["action"], registry=r, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.rejections = Counter("handoff_upload_rejections_total", "Uploads refused, by error code.",
                                  ["code"], registry=r)
        self.webhooks = Counter("handoff_webhook_deliveries_total",
                                "Webhook delivery attempts, by outcome.", ["outcome"], registry=r)
        # The labelled series of every request, looked up once: ``labels()`` validates and
        # takes a lock on each call, a few per cent of a small request's time.
        self._answers: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._created: dict[str, Counter] = {}

    def answered(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its time. Any method token parses, so methods
        beyond HTTP's own are counted as ``OTHER``: a client cannot add series at will."""
        if method not in METHODS:
            method = "OTHER"
        series = self._answers.get((route, method, status))
        if series is None:
            series = (self.requests.labels(route, method, str(status)),
                      self.duration.labels(route))
            self._answers[(route, method, status)] = series
        series[0].inc()
        series[1].observe(seconds)

    def session_created(self, action: str) -> None:
        """Count one created session (actions are the API's few, so the series are too)."""
        series = self._created.get(action)
        if series is None:
            series = self._created[action] = self.created.labels(action)
        series.inc()

    def on_change(self, event: Event) -> None:
        """A store listener: count sessions as they finish (once, in the process that did it)."""
        record = event.record
        if isinstance(record, Tombstone) and not record.ended_open:
            return  # it already counted when it completed or was cancelled
        if event.status in FINISHED:
            action = record.action_type or "unknown"
            self.finished.labels(action, event.status.value).inc()

    async def exposition(self, live_sessions: int | None) -> bytes:
        """The text format; ``live_sessions`` is left out when the store could not count."""
        registry = self.registry
        if multiprocess_dir() is not None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        if live_sessions is None:
            return generate_latest(registry)
        registry.register(live := LiveSessions(live_sessions))
        try:
            return generate_latest(registry)
        finally:
            registry.unregister(live)


class LiveSessions(Collector):
    """The store-wide count, measured at scrape time (a per-process gauge could not be summed)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("handoff_sessions_live", "Sessions that have not expired.",
                                value=self.value)
