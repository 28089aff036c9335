"""The application factory."""

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .assets import TEMPLATES_DIR
from .capture.scan.ocr import installed_languages
from .web.accesslog import AccessLogger
from .web.cors import setup_cors
from .keys import (
    executor_key,
    idempotency_key,
    metrics_key,
    ratelimits_key,
    tenants_key,
    webhooks_key,
    ocr_executor_key,
    pdf_executor_key,
    preview_turns_key,
    ocr_languages_key,
    presenter_key,
    settings_key,
    store_key,
    websockets_key,
)
from .web.middlewares import request_middleware, response_headers
from .metrics import Metrics
from .web.turns import Turns
from .web.phone.language import install_translations
from .web.phone.layers import phone_layers
from .web.presenter import Presenter
from .web.routes import setup_routes
from .web.serverlog import ServerLog
from .settings import Settings
from .idempotency import MemoryIdempotency
from .ratelimits import RateLimits
from .tenants import Tenants
from .webhooks import DeliveryQueue, MemoryQueue
from .webhooks.sender import Sender
from .web.webhooks import WebhookEvents
from .store import MemoryStore
from .web.ws import close_websockets

#: Slack above the largest upload for multipart framing; handlers enforce the exact limits.
BODY_SLACK = 64 * 1024
#: Tesseract processes running at once.
OCR_WORKERS = 1


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    if settings.redis_url is None:
        app[store_key] = MemoryStore(
            tombstone_ttl=settings.tombstone_ttl, lease_ttl=settings.upload_lease_ttl
        )
    else:
        from .store.redis import RedisStore  # only deployments that use Redis load it

        app[store_key] = await RedisStore.open(
            settings.redis_url,
            prefix=settings.redis_prefix,
            tombstone_ttl=settings.tombstone_ttl,
            wait=settings.redis_startup_wait,
            lease_ttl=settings.upload_lease_ttl,
        )
    app[store_key].add_listener(app[metrics_key].on_change)
    yield
    await app[store_key].close()


async def _idempotency_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    if settings.redis_url is None:
        app[idempotency_key] = MemoryIdempotency()
    else:
        from .idempotency.redis import RedisIdempotency

        app[idempotency_key] = RedisIdempotency.open(settings.redis_url, prefix=settings.redis_prefix)
    yield
    await app[idempotency_key].close()


async def _webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    queue: DeliveryQueue
    if settings.redis_url is None:
        queue = MemoryQueue()
    else:
        from .webhooks.redis import RedisQueue

        queue = RedisQueue.open(settings.redis_url, prefix=settings.redis_prefix)
    counter = app[metrics_key].webhooks
    app[webhooks_key] = sender = Sender(
        queue, app[tenants_key].get, schedule=settings.webhook_retry_schedule,
        timeout=settings.webhook_timeout, outcome=lambda outcome: counter.labels(outcome).inc(),
    )
    await sender.start()
    events = WebhookEvents(app[tenants_key], app[presenter_key], sender)
    app[store_key].add_listener(events.on_change)
    yield
    await sender.close()
    await queue.close()


async def _ratelimits_ctx(app: web.Application) -> AsyncIterator[None]:
    app[ratelimits_key] = RateLimits.open(app[settings_key])
    yield
    await app[ratelimits_key].close()


async def _presenter_ctx(app: web.Application) -> AsyncIterator[None]:
    sweeps = asyncio.get_running_loop().create_task(app[presenter_key].sweep_forever())
    yield
    sweeps.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweeps


async def _executor_ctx(app: web.Application) -> AsyncIterator[None]:
    # Two workers: enough to use both cores, few enough that several large photos
    # cannot hold every decoded image in memory at once.
    app[executor_key] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="handoff-image")
    app[pdf_executor_key] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-pdf")
    yield
    app[pdf_executor_key].shutdown(wait=True, cancel_futures=True)
    app[executor_key].shutdown(wait=True, cancel_futures=True)


async def _ocr_ctx(app: web.Application) -> AsyncIterator[None]:
    # One Tesseract at a time (each single-threaded): OCR leaves the other core
    # and the image pool to uploads.
    app[ocr_executor_key] = ThreadPoolExecutor(max_workers=OCR_WORKERS, thread_name_prefix="handoff-ocr")
    loop = asyncio.get_running_loop()
    app[ocr_languages_key] = await loop.run_in_executor(
        app[ocr_executor_key], installed_languages, app[settings_key].ocr_command
    )
    yield
    app[ocr_executor_key].shutdown(wait=True, cancel_futures=True)


def create_app(settings: Settings) -> web.Application:
    """Build the application; no I/O happens until it starts."""
    largest = max(settings.max_upload_bytes, settings.scan_upload_max_bytes)
    # Each request gets its id, its timing and its error answers first, after phone routes
    # have put their errors into the user's language.
    # The loggers travel with the app, so every way of serving it (run_app, tests) logs alike.
    app = web.Application(
        middlewares=[request_middleware, phone_layers],
        client_max_size=largest + BODY_SLACK,
        handler_args={"access_log_class": AccessLogger, "logger": ServerLog()},
    )

    # Configuration and credentials.
    app[settings_key] = settings
    app[tenants_key] = tenants = Tenants.from_config(settings.api_keys, settings.tenants_file)
    app[websockets_key] = weakref.WeakSet()
    app[metrics_key] = Metrics()
    app[preview_turns_key] = Turns()

    # Routes, cross-origin access to the API when configured, then everything that builds links.
    setup_routes(app)
    if origins := tuple(dict.fromkeys((*settings.cors_origins, *tenants.cors_origins()))):
        setup_cors(app, origins)
    app[presenter_key] = Presenter(settings.public_base_url, app.router)

    # Phone page templates, translated into each request's language.
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    install_translations(env)
    app[aiohttp_jinja2.static_root_key] = "/static"

    # Resources, started in order and stopped in reverse.
    app.cleanup_ctx.append(_executor_ctx)
    app.cleanup_ctx.append(_ocr_ctx)
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_ratelimits_ctx)
    app.cleanup_ctx.append(_idempotency_ctx)
    app.cleanup_ctx.append(_webhooks_ctx)
    app.cleanup_ctx.append(_presenter_ctx)

    # Its id and the security headers on every response; websockets closed with 1001 on shutdown.
    app.on_response_prepare.append(response_headers)
    app.on_shutdown.append(close_websockets)
    return app
