"""The demo at ``/``: a browser tab playing the desktop application.

It creates sessions through its own server-side route, owned by the first
configured API key's tenant (so a desktop using that key sees them too), and
hands the browser only what a real desktop front end would get: the session's
client secret and its links. No API key ever reaches the page.
"""

import json
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from pydantic import BaseModel

from .api import CREATE_BODY_LIMIT, new_session
from .bodies import read_model
from ..errors import BadRequest, Forbidden
from ..keys import tenants_key, presenter_key, settings_key, store_key
from ..models import OUTPUT_FORMATS, CreateSessionRequest, SessionOut

#: The actions the demo offers, with a label each.
DEMO_ACTIONS = {"photo": "Photo", "signature": "Signature", "scan": "Scan"}
#: Owner of demo sessions when the server has no API key at all.
FALLBACK_OWNER = "demo"


class DemoSession(BaseModel):
    """What ``POST /demo/sessions`` gives the page: the session and same-origin links."""

    session: SessionOut
    session_url: str
    events_url: str
    qr_url: str


def setup_demo_routes(app: web.Application) -> None:
    """Register the demo, only when it is on (otherwise ``/`` is simply 404)."""
    if not app[settings_key].demo_enabled:
        return
    app.router.add_get("/", demo_page, name="demo")
    app.router.add_post("/demo/sessions", create_demo_session, name="demo_sessions")


async def demo_page(request: web.Request) -> web.Response:
    formats = {action: OUTPUT_FORMATS[action] for action in DEMO_ACTIONS}
    return aiohttp_jinja2.render_template(
        "demo.html",
        request,
        {"actions": DEMO_ACTIONS, "formats": formats, "formats_json": json.dumps(formats)},
    )


def _demo_owner(app: web.Application) -> str:
    keys = app[settings_key].api_keys
    return (app[tenants_key].owner_of(keys[0]) if keys else None) or FALLBACK_OWNER


def _check_same_origin(request: web.Request) -> None:
    # Browsers send Origin on cross-site POSTs; another site must not spend our owner's sessions.
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("Demo sessions can only be created from the demo page.", code="cross_origin")


async def create_demo_session(request: web.Request) -> web.Response:
    _check_same_origin(request)
    app = request.app
    settings = app[settings_key]
    spec = await read_model(
        request, CreateSessionRequest, limit=CREATE_BODY_LIMIT,
        context={"max_ttl": settings.max_session_ttl},
    )
    if spec.action_type not in DEMO_ACTIONS:
        raise BadRequest(
            f"action_type: the demo offers {', '.join(DEMO_ACTIONS)}.", code="invalid_request"
        )
    session = await app[store_key].create(new_session(spec, _demo_owner(app), settings))
    presenter = app[presenter_key]
    router = app.router
    # Links relative to this page, so they work whichever address the demo was opened on.
    qr = router["session_qr"].url_for(session_id=session.id, kind="svg")
    body = DemoSession(
        session=presenter.session_model(session),
        session_url=presenter.session_path(session.id),
        events_url=str(router["session_ws"].url_for(session_id=session.id)),
        qr_url=str(qr.with_query(client_secret=session.client_secret)),
    )
    return web.Response(
        body=body.model_dump_json(exclude_none=True), status=201, content_type="application/json"
    )
