"""``handoff serve --workers N``: N server processes on one port, under gunicorn.

gunicorn forks the workers, restarts one that dies, and on SIGTERM drains
them all. Each worker builds its own application after the fork (so each has
its own loop, store connection and thread pool); the settings, including a
development key made before the fork, are the same for all.
"""

import asyncio
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from ..app import create_app
from ..metrics import multiprocess_dir
from ..settings import Settings
from ..store.redis import RedisStore
from ..heap import resume_background_thread
from .serve import GRACE, loop_in_use



class Workers(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        settings = self._settings
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        for name, value in {
            "bind": [f"{host}:{settings.port}"],
            "workers": settings.workers,
            "worker_class": _worker_class(settings.event_loop),
            "graceful_timeout": int(GRACE) + 2,
            "loglevel": settings.log_level,
            "proc_name": "handoff",
            "child_exit": _forget_worker_gauges,
            "post_fork": lambda server, worker: resume_background_thread(),
        }.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        settings = self._settings

        async def runner() -> web.AppRunner:
            # The app carries its own access log (no query strings, phone tokens shortened).
            return web.AppRunner(create_app(settings), shutdown_timeout=GRACE)

        return runner


def _forget_worker_gauges(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's open-websocket gauge stops counting."""
    if multiprocess_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _worker_class(choice: str) -> str:
    """aiohttp's uvloop worker when ``EVENT_LOOP`` picks uvloop (see ``serve.loop_in_use``)."""
    uvloop = loop_in_use(choice) == "uvloop"
    return "aiohttp.GunicornUVLoopWebWorker" if uvloop else "aiohttp.GunicornWebWorker"


def check_store(settings: Settings) -> None:
    """Reach Redis once before forking (retrying for REDIS_STARTUP_WAIT), or stop."""
    url = settings.redis_url
    assert url is not None

    async def ping() -> None:
        store = await RedisStore.open(
            url, prefix=settings.redis_prefix,
            tombstone_ttl=settings.tombstone_ttl, wait=settings.redis_startup_wait,
        )
        await store.close()

    asyncio.run(ping())


def serve_workers(settings: Settings) -> None:
    Workers(settings).run()
