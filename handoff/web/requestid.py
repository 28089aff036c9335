"""``X-Request-ID``: the caller's when it is sane, else a new one; on every response and log line."""

import os
import re
from contextvars import Token

from aiohttp import web

from ..keys import action_key, request_id_key, session_id_key
from ..logs import request_id_var, session_id_var

HEADER = "X-Request-ID"
#: What a caller's id may be; anything else (too long, odd bytes) is replaced, never echoed.
SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")


def begin(request: web.Request) -> tuple[Token[str | None], Token[str | None]]:
    """Give ``request`` its id and its log context; :func:`end` takes the context back."""
    given = request.headers.get(HEADER, "")
    # 32 random hex digits, as uuid4().hex but without building a UUID on every request.
    # From the system's generator: the process's own would give its state away to anyone
    # who reads a few hundred ids, and the system call measured at nothing per request.
    request_id = given if SANE.fullmatch(given) else os.urandom(16).hex()
    request[request_id_key] = request_id
    tokens = request_id_var.set(request_id), session_id_var.set(None)
    if session_id := request.match_info.get("session_id"):
        bind_session(request, session_id)
    return tokens


def end(tokens: tuple[Token[str | None], Token[str | None]]) -> None:
    request_id_var.reset(tokens[0])
    session_id_var.reset(tokens[1])


def bind_session(request: web.Request, session_id: str, action: str | None = None) -> None:
    """From here on, this request's log lines (and its access log line) name the session."""
    request[session_id_key] = session_id
    if action:
        request[action_key] = action
    session_id_var.set(session_id)
