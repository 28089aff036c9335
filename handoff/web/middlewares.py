"""The middleware every request passes first (id, metrics, errors) and the headers
every response carries (its id, the security headers)."""

import logging
import time

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from ..errors import HandoffError
from ..keys import locale_key, metrics_key, request_id_key
from ..locale import N_
from . import requestid
from .accesslog import redact_path
from .metrics import route_of

log = logging.getLogger(__name__)

#: No inline script anywhere: pages load their modules from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

_REASONS = {
    404: ("This route does not exist.", "route_not_found"),
    405: ("This method is not allowed on this route.", "method_not_allowed"),
    413: ("The request body is too large.", "body_too_large"),
}
#: What the access log records for a request whose client left before the answer
#: (the status nginx logs for it); no client ever receives it.
CLIENT_CLOSED = 499


def wants_page(request: web.Request) -> bool:
    """A browser navigating (not a script's fetch): a page load, or a phone form posted without script."""
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


def error_response(request: web.Request, status: int, body: dict) -> web.StreamResponse:
    """JSON for API and upload routes; a page for a browser loading a phone link."""
    if wants_page(request):
        # A phone's failed form post (sent without the page's script) offers the capture screen again.
        posted = request.method == "POST" and request.path.startswith("/s/")
        retry = request.path.removesuffix("/result") + "/action" if posted else None
        return aiohttp_jinja2.render_template(
            "message.html",
            request,
            {"title": N_("Not found") if status == 404 else N_("Something went wrong"),
             "message": body["error"], "tone": "error", "retry_url": retry,
             "locale": request.get(locale_key)},
            status=status,
        )
    return web.json_response(body, status=status)


@web.middleware
async def request_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost layer of every request: its id and log context, its count and time,
    and its errors answered. One middleware rather than three, as each layer of aiohttp's
    chain costs a call and a suspended frame on every request.

    Errors are answered inside the timing, so they count with the status the client got.
    """
    tokens = requestid.begin(request)
    started, status = time.perf_counter(), 500
    try:
        try:
            response = await handler(request)
        except Exception as exc:
            response = error_answer(request, exc)
        status = response.status
        return response
    except web.HTTPException as exc:  # a redirect, raised on
        status = exc.status
        raise
    finally:
        request.app[metrics_key].answered(
            route_of(request), request.method, status, time.perf_counter() - started)
        requestid.end(tokens)


def error_answer(request: web.Request, exc: Exception) -> web.StreamResponse:
    """The answer to a request whose handler raised ``exc`` (from within its ``except``);
    raises ``exc`` again when there is nothing to answer: a redirect, or an answer begun."""
    if isinstance(exc, HandoffError):
        response = error_response(request, exc.status, exc.body())
        response.headers.update(exc.headers)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="handoff"'
        return response
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        message, code = _REASONS.get(exc.status, (exc.reason + ".", "http_error"))
        response = error_response(request, exc.status, {"error": message, "code": code})
        if allow := exc.headers.get("Allow"):
            response.headers["Allow"] = allow
        return response
    if isinstance(exc, ConnectionResetError) and _client_left(request):
        log.warning("%s %s: the client closed the connection before it was answered",
                    request.method, redact_path(request.path))
        return web.Response(status=CLIENT_CLOSED)
    if request.writer.output_size:
        raise exc  # the answer has begun (a websocket, say): aiohttp closes the connection
    log.exception("%s %s failed", request.method, redact_path(request.path))
    body = {"error": "Something went wrong on the server; please try again.",
            "code": "internal_error"}
    return error_response(request, 500, body)


def _client_left(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def response_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer, errors and websockets included, says its
    request's id; every one but a websocket's 101 carries the security headers (one
    callback for both, as each costs an await on every request).

    Not on a 101: no browser applies them to an upgrade, and the headers of that answer
    stay in memory for as long as the socket is open. Static assets may be cached.
    """
    headers = response.headers
    if (request_id := request.get(request_id_key)) is not None:
        headers[requestid.HEADER] = request_id
    if response.status == 101:
        return
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
