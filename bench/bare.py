"""The reference: a bare aiohttp app answering handoff's session routes with bodies of the same size.

No store, no validation, no authentication: what aiohttp itself costs for
these routes. Started by ``run.py`` with ``PORT``, ``CREATE_BYTES`` and
``GET_BYTES`` (the sizes of handoff's own bodies, measured in the same run).
"""

import json
import logging
import os
import uuid

from aiohttp import web

from handoff.cli.serve import new_event_loop


def padded(size: int) -> bytes:
    body = {"id": str(uuid.uuid4()), "status": "pending", "pad": ""}
    body["pad"] = "x" * max(0, size - len(json.dumps(body)))
    return json.dumps(body).encode()


def make_app(create_bytes: int, get_bytes: int) -> web.Application:
    created = padded(create_bytes)
    fetched = padded(get_bytes)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def create(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=created, status=201, content_type="application/json",
                            headers={"Location": "/api/v1/sessions/x"})

    async def get(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"1"':
            return web.Response(status=304, headers={"ETag": '"1"'})
        return web.Response(body=fetched, content_type="application/json", headers={"ETag": '"1"'})

    app = web.Application()
    app.router.add_get("/api/v1/health", health)
    app.router.add_post("/api/v1/sessions", create)
    app.router.add_get("/api/v1/sessions/{session_id}", get)
    return app


if __name__ == "__main__":
    # Same logging as handoff's run.py, so both pay for the default access log, and the
    # same event loop as handoff's default (EVENT_LOOP as handoff reads it).
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = make_app(int(os.environ["CREATE_BYTES"]), int(os.environ["GET_BYTES"]))
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), print=None,
                loop=new_event_loop(os.environ.get("EVENT_LOOP", "auto")))
