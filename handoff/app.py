"""The application factory."""

import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .web.accesslog import AccessLogger
from .web.auth import KeyRing
from .web.cors import setup_cors
from .keys import (
    executor_key,
    keyring_key,
    presenter_key,
    settings_key,
    store_key,
    websockets_key,
)
from .web.middlewares import error_middleware, security_headers
from .web.presenter import Presenter
from .web.routes import setup_routes
from .web.serverlog import ServerLog
from .settings import Settings
from .store import MemoryStore
from .web.ws import close_websockets

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
#: Slack above the largest upload for multipart framing; handlers enforce the exact limits.
BODY_SLACK = 64 * 1024


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    app[store_key] = MemoryStore(tombstone_ttl=app[settings_key].tombstone_ttl)
    yield
    await app[store_key].close()


async def _executor_ctx(app: web.Application) -> AsyncIterator[None]:
    # Two workers: enough to use both cores, few enough that several large photos
    # cannot hold every decoded image in memory at once.
    app[executor_key] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="handoff-image")
    yield
    app[executor_key].shutdown(wait=True, cancel_futures=True)


def create_app(settings: Settings) -> web.Application:
    """Build the application; no I/O happens until it starts."""
    largest = max(settings.max_upload_bytes, settings.scan_upload_max_bytes)
    # The loggers travel with the app, so every way of serving it (run_app, tests) logs alike.
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=largest + BODY_SLACK,
        handler_args={"access_log_class": AccessLogger, "logger": ServerLog()},
    )

    # Configuration and credentials.
    app[settings_key] = settings
    app[keyring_key] = KeyRing(settings.api_keys)
    app[websockets_key] = weakref.WeakSet()

    # Routes, cross-origin access to the API when configured, then everything that builds links.
    setup_routes(app)
    if settings.cors_origins:
        setup_cors(app, settings.cors_origins)
    app[presenter_key] = Presenter(settings.public_base_url, app.router)

    # Phone page templates.
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True),
    )
    app[aiohttp_jinja2.static_root_key] = "/static"

    # Resources, started in order and stopped in reverse.
    app.cleanup_ctx.append(_executor_ctx)
    app.cleanup_ctx.append(_store_ctx)

    # Security headers on every response; websockets closed with 1001 on shutdown.
    app.on_response_prepare.append(security_headers)
    app.on_shutdown.append(close_websockets)
    return app
