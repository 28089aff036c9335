"""``handoff serve``: load settings, set up logging, serve (``run.py`` and ``python -m handoff`` too)."""

import logging
import sys

from aiohttp import web
from pydantic import ValidationError

from ..app import create_app
from ..settings import Settings, with_derived_base_url, with_development_key


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        message = error["msg"].removeprefix("Value error, ")
        sys.exit(f"handoff: invalid {name}: {message} (got {error.get('input')!r})")


def main() -> None:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=lambda _: print(f"handoff: listening on {settings.host}:{settings.port}", flush=True),
    )
