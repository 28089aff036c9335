"""Cross-origin access to the desktop API for web apps served from other origins.

A desktop web app on another origin follows a session with the browser client:
its websocket needs no CORS, but the long-poll fallback sends
``Authorization: Bearer <client secret>`` and ``If-None-Match`` and reads
``ETag``, which browsers allow cross-origin only with these headers. Off unless
``CORS_ORIGINS`` names the allowed origins. Credentials travel in headers, never
cookies, so ``Access-Control-Allow-Credentials`` stays off.
"""

import aiohttp_cors
from aiohttp import web

API_PREFIX = "/api/v1/"


def setup_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    options = aiohttp_cors.ResourceOptions(
        allow_credentials=False,
        allow_headers=("Authorization", "X-API-Key", "Content-Type", "If-None-Match",
                       "Idempotency-Key", "X-Request-ID"),
        expose_headers=("ETag", "Location", "Idempotent-Replayed", "Retry-After", "X-Request-ID"),
        allow_methods=("GET", "POST", "DELETE"),
        max_age=600,
    )
    cors = aiohttp_cors.setup(app, defaults={origin: options for origin in origins})
    for route in list(app.router.routes()):
        resource = route.resource
        if resource is not None and resource.canonical.startswith(API_PREFIX) and route.method != "HEAD":
            cors.add(route)
