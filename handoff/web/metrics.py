"""``GET /metrics``, the route names requests are counted by, and the timing of uploads."""

import hmac
import time

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from ..errors import HandoffError, Unauthorized
from ..keys import action_key, metrics_key, settings_key, store_key
from ..store import StoreUnavailable

#: Routes whose refusals count as upload rejections, and whose successes as processing time.
UPLOAD_ROUTES = frozenset({"phone_result", "scan_upload", "scan_finalize"})


def route_of(request: web.Request) -> str:
    """The route's name, never the raw path (which holds ids and tokens)."""
    return request.match_info.route.name or "unmatched"


async def timed_upload(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time an accepted upload, and count a refused one by its code."""
    metrics = request.app[metrics_key]
    started = time.perf_counter()
    try:
        response = await handler(request)
    except HandoffError as exc:
        metrics.rejections.labels(exc.code).inc()
        raise
    if response.status < 400:
        action = request.get(action_key) or "unknown"
        metrics.upload_seconds.labels(action).observe(time.perf_counter() - started)
    return response


async def metrics_page(request: web.Request) -> web.Response:
    """``GET /metrics``: open without METRICS_TOKEN, else only with ``Authorization: Bearer``."""
    token = request.app[settings_key].metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            raise Unauthorized("The metrics need Authorization: Bearer with METRICS_TOKEN.",
                               code="invalid_metrics_token")
    try:
        live: int | None = await request.app[store_key].count_live()
    except StoreUnavailable:
        live = None  # the other figures matter most while the store is away
    body = await request.app[metrics_key].exposition(live)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
