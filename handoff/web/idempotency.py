"""``Idempotency-Key`` on create (the IETF draft "The Idempotency-Key HTTP Header Field").

The first request with a key creates; a repeat with the same body within 24 h
answers the very same status and body with ``Idempotent-Replayed: true``; the
same key with another body answers 422 ``idempotency_key_reused``; a repeat
while the first is still being handled answers 409 ``idempotency_key_in_use``.
Keys belong to the tenant. Failed requests are not remembered, so they can be
retried with the same key.
"""

import hashlib
import json
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import BadRequest, Conflict, Unprocessable
from ..idempotency import Begun, InUse, Remembered, Reused
from ..keys import idempotency_key

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
#: 1 to 255 visible ASCII characters; a structured-field string ("…") is unquoted first.
KEY = re.compile(r'[\x21-\x7e]{1,255}')
#: The response headers a replay repeats.
KEPT_HEADERS = ("Location", "ETag", "Content-Type")


def key_of(request: web.Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    if not KEY.fullmatch(raw):
        raise BadRequest(
            f"{HEADER} must be 1 to 255 visible ASCII characters (no spaces).",
            code="invalid_idempotency_key",
        )
    return raw


def fingerprint(body: bytes) -> str:
    """The same JSON with keys in another order or other spacing is the same body."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (UnicodeDecodeError, json.JSONDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


async def idempotent(
    request: web.Request, owner: str, handle: Callable[[], Awaitable[web.Response]]
) -> web.Response:
    """Run ``handle`` once per (tenant, key, body); replay its success afterwards."""
    key = key_of(request)
    if key is None:
        return await handle()
    store = request.app[idempotency_key]
    printed = fingerprint(await request.read())  # read_model has read it; aiohttp keeps it
    outcome = await store.begin(owner, key, printed)
    if isinstance(outcome, Reused):
        raise Unprocessable(
            f"This {HEADER} was already used with a different request body; use a new key.",
            code="idempotency_key_reused",
        )
    if isinstance(outcome, InUse):
        raise Conflict(
            f"A request with this {HEADER} is still being handled; retry once it has finished.",
            code="idempotency_key_in_use",
        )
    if isinstance(outcome, Remembered):
        return replay(outcome)
    assert isinstance(outcome, Begun)
    try:
        response = await handle()
    except BaseException:
        await store.release(owner, key, outcome)
        raise
    if 200 <= response.status < 300 and isinstance(response.body, bytes):
        kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        await store.finish(owner, key, outcome, Remembered(
            printed, response.status, kept, response.body.decode()))
    else:
        await store.release(owner, key, outcome)
    return response


def replay(remembered: Remembered) -> web.Response:
    response = web.Response(status=remembered.status, body=remembered.body.encode(),
                            headers=remembered.headers)
    response.headers[REPLAYED] = "true"
    return response
