"""``handoff serve``: load settings, set up logging, serve (``run.py`` and ``python -m handoff`` too).

The application and aiohttp are imported only once the allocator is settled (see
:func:`main`): the start on jemalloc starts the interpreter again, and what was
imported before it is imported twice.
"""

import asyncio
import gc
import sys
from typing import Any

from pydantic import ValidationError

from ..settings import Settings, with_derived_base_url, with_development_key
from ..logs import configure_logging, lean_records
from ..tenants import describe_error
from .allocator import restart_on_jemalloc

#: Settings whose values are credentials: their errors never repeat what was given.
SECRET_SETTINGS = frozenset({"api_keys", "metrics_token"})

#: Seconds requests in flight get at shutdown before they are cut (long-polls are
#: answered at once), so the process is gone within 10 s.
GRACE = 5.0


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        sys.exit(f"handoff: {startup_error(exc)}")


def startup_error(exc: ValidationError) -> str:
    """One line naming the setting (and, in TENANTS_FILE, the tenant and field), no secret."""
    error = exc.errors(include_url=False)[0]
    field = str(error["loc"][0]) if error["loc"] else "configuration"
    message = error["msg"].removeprefix("Value error, ")
    if field == "tenants_file":
        return f"invalid TENANTS_FILE: {describe_error(dict(error))}"
    if field in SECRET_SETTINGS or not error["loc"]:  # a check across settings has no one input
        return f"invalid {field.upper()}: {message}"
    return f"invalid {field.upper()}: {message} (got {error.get('input')!r})"


def freeze_startup_heap() -> None:
    """Set what the server is made of (modules, settings, templates) aside from the
    garbage collector: it lives as long as the process, and a full collection would
    otherwise walk all of it, more than the sessions themselves (about 60,000 objects).
    Before workers are forked, this also keeps the collector from copying the shared pages."""
    gc.collect()
    gc.freeze()


def loop_in_use(choice: str) -> str:
    """``asyncio`` or ``uvloop``: what ``EVENT_LOOP`` picks (see ``Settings.event_loop``);
    ``auto`` takes uvloop where it imports (a dependency, but not on every platform)."""
    if choice != "auto":
        return choice
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def running_loop() -> str:
    """``uvloop`` or ``asyncio``: the loop this code runs on, as start-up says it."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.split(".")[0] == "uvloop" else "asyncio"


def new_event_loop(choice: str) -> asyncio.AbstractEventLoop:
    """asyncio's loop, or uvloop (see :func:`loop_in_use`)."""
    if loop_in_use(choice) != "uvloop":
        return asyncio.new_event_loop()
    try:
        import uvloop
    except ImportError:
        sys.exit("handoff: EVENT_LOOP=uvloop, but uvloop is not installed: pip install uvloop")
    return uvloop.new_event_loop()


def main(workers: int | None = None) -> None:
    settings = load_settings(**({"workers": workers} if workers is not None else {}))
    # First, before anything is made, imported or said: this may start the process again.
    allocator = restart_on_jemalloc(settings.allocator)
    from aiohttp import web

    from ..app import create_app
    from ..store import StoreUnavailable

    configure_logging(settings.log_level, settings.log_format)
    lean_records()
    settings, generated_key = with_development_key(settings)
    settings = with_derived_base_url(settings)
    if generated_key is not None:
        # Printed (never logged) and flushed, so it shows even when output goes to a file.
        print(
            f"handoff: development mode, no API_KEYS set. API key for this run: {generated_key}",
            flush=True,
        )
        if settings.demo_enabled:
            print(f"handoff: demo page at {settings.public_base_url}/", flush=True)
    if settings.metrics_token is None:
        print("handoff: /metrics is open to anyone (set METRICS_TOKEN to require a token)", flush=True)
    try:
        if settings.workers > 1:
            from .workers import check_store, serve_workers

            check_store(settings)  # once, before forking, so a down Redis is one line
            print(f"handoff: {settings.workers} workers on {settings.host}:{settings.port} "
                  f"({loop_in_use(settings.event_loop)}, {allocator})", flush=True)
            freeze_startup_heap()
            serve_workers(settings)
            return
        app = create_app(settings)
        freeze_startup_heap()
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            shutdown_timeout=GRACE,
            loop=new_event_loop(settings.event_loop),
            print=lambda _: print(f"handoff: listening on {settings.host}:{settings.port} "
                                  f"({running_loop()}, {allocator})", flush=True),
        )
    except StoreUnavailable as exc:
        sys.exit(f"handoff: {exc.message}")
