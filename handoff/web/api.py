"""The desktop's REST API under /api/v1."""

import asyncio
import io
import json
import logging
import subprocess
from functools import cache
from pathlib import Path

import segno
from aiohttp import web

from .. import __version__
from .auth import Caller, authenticate, may_read_file, require_api_key, session_of
from .bodies import read_model
from ..errors import BadRequest, NotFound
from ..matching import new_match_number
from ..keys import (
    executor_key,
    metrics_key,
    ocr_languages_key,
    presenter_key,
    ratelimits_key,
    settings_key,
    store_key,
    tenants_key,
)
from ..models import CreateSessionRequest, Health, VersionInfo
from .idempotency import idempotent, key_of
from .requestid import bind_session
from .responses import json_model
from ..settings import Settings
from ..domain import closed_error
from ..store import NewSession, Record, Session, StoredFile, Tombstone
from ..store.base import expired_error

log = logging.getLogger(__name__)

#: Longest long-poll, whatever ``?wait=`` asks for.
MAX_WAIT = 60.0
#: Create bodies are small: 2,000 characters of intro text and 20 metadata pairs.
CREATE_BODY_LIMIT = 64 * 1024
#: Most sessions in one page of the listing (and the default page size).
LIST_LIMIT = 100


def session_response(request: web.Request, record: Record, status: int = 200) -> web.Response:
    body = request.app[presenter_key].session_json(record)
    response = web.Response(body=body, status=status, content_type="application/json")
    response.headers["ETag"] = f'"{record.version}"'
    return response


async def caller_of(request: web.Request, *, query_key: bool = False) -> Caller:
    app = request.app
    return await authenticate(request, app[tenants_key], app[store_key], query_key=query_key)


async def health(request: web.Request) -> web.Response:
    """Liveness: the process serves. It says nothing about the store (see ``ready``)."""
    return json_model(Health())


async def ready(request: web.Request) -> web.Response:
    """Readiness: 200 while the store answers, 503 ``store_unavailable`` otherwise."""
    await request.app[store_key].ping()
    return json_model(Health())


async def version(request: web.Request) -> web.Response:
    # The first call asks git (a subprocess); keep that off the loop. Later calls hit the cache.
    commit = await asyncio.get_running_loop().run_in_executor(None, _commit)
    return json_model(VersionInfo(version=__version__, commit=commit))


@cache
def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=2,
            cwd=Path(__file__).parent,
        ).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


async def create_session(request: web.Request) -> web.Response:
    owner = require_api_key(await caller_of(request))
    key_of(request)  # a malformed Idempotency-Key is refused before anything else happens
    settings = request.app[settings_key]
    spec = await read_model(
        request,
        CreateSessionRequest,
        limit=CREATE_BODY_LIMIT,
        context={"max_ttl": settings.max_session_ttl,
                 "ocr_languages": request.app[ocr_languages_key]},
    )

    async def create() -> web.Response:
        # Inside, so a replay neither counts against the limit nor makes a second session.
        await request.app[ratelimits_key].hit_create(owner)
        session = await request.app[store_key].create(new_session(spec, owner, settings))
        bind_session(request, session.id, session.action_type)
        request.app[metrics_key].session_created(session.action_type)
        log.info("created a %s session", session.action_type)
        response = session_response(request, session, status=201)
        response.headers["Location"] = request.app[presenter_key].session_path(session.id)
        return response

    return await idempotent(request, owner, create)


def new_session(spec: CreateSessionRequest, owner: str, settings: Settings) -> NewSession:
    """What the store needs to create a session, the server's defaults filled in."""
    return NewSession(
        owner=owner,
        action_type=spec.action_type,
        output_format=spec.output_format or "",
        intro_text=spec.intro_text,
        session_ttl=spec.session_ttl or settings.session_ttl,
        result_ttl=spec.result_ttl or settings.result_ttl,
        metadata=spec.metadata or None,
        document_mode=spec.document_mode,
        ocr_languages=tuple(spec.ocr_languages) if spec.ocr_languages else None,
        locale=spec.locale,
        match_number=new_match_number() if spec.confirm_match else None,
        include_strokes=spec.include_strokes,
    )


async def list_sessions(request: web.Request) -> web.Response:
    owner = require_api_key(await caller_of(request))
    limit = _limit(request)
    page = await request.app[store_key].list_live(
        owner, limit=limit, cursor=request.query.get("cursor") or None
    )
    presenter = request.app[presenter_key]
    body = b'{"sessions":[' + b",".join(presenter.session_json(s) for s in page.sessions) + b"]"
    if page.cursor is not None:
        body += b',"next_cursor":' + json.dumps(page.cursor).encode()
    return web.Response(body=body + b"}", content_type="application/json")


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "")
    if not raw:
        return LIST_LIMIT
    # The length first: int() refuses strings of more than 4,300 digits.
    digits = raw.isascii() and raw.isdecimal() and len(raw) <= len(str(LIST_LIMIT))
    if not digits or not 1 <= int(raw) <= LIST_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {LIST_LIMIT}.",
                         code="invalid_limit")
    return int(raw)


def _matches(request: web.Request, record: Record) -> bool:
    """Whether ``If-None-Match`` names the record's version (or ``*``)."""
    given = request.headers.get("If-None-Match")
    if not given:
        return False
    if given == f'"{record.version}"':  # the ETag this server gave, as clients send it back
        return True
    tags = request.if_none_match  # a list, weak tags: parsed
    return bool(tags) and any(tag.value in ("*", str(record.version)) for tag in tags)


async def get_session(request: web.Request) -> web.StreamResponse:
    caller = await caller_of(request)
    session_id = request.match_info["session_id"]
    store = request.app[store_key]
    wait = _wait_seconds(request)
    record = await session_of(caller, store, session_id)
    matched = _matches(request, record)
    if matched and wait > 0:
        await store.wait_for_change(session_id, record.version, wait)
        record = await session_of(caller, store, session_id)
        matched = _matches(request, record)
    if matched:
        return web.Response(status=304, headers={"ETag": f'"{record.version}"'})
    return session_response(request, record)


def _wait_seconds(request: web.Request) -> float:
    raw = request.query.get("wait")
    if raw is None:
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        wait = -1.0
    if not wait >= 0:  # also refuses NaN
        raise BadRequest("wait must be a number of seconds (0 to 60).", code="invalid_wait")
    return min(wait, MAX_WAIT)


async def get_result(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    record = await session_of(caller, request.app[store_key], request.match_info["session_id"])
    status, body = request.app[presenter_key].result_poll(record)
    return json_model(body, status)


async def cancel_session(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    store = request.app[store_key]
    record = await session_of(caller, store, request.match_info["session_id"])
    if isinstance(record, Tombstone):
        raise expired_error()
    cancelled = await store.cancel(record.id)
    if cancelled is None:  # forgotten in between
        raise NotFound("There is no session with this id.", code="session_not_found")
    return session_response(request, cancelled)


async def file_of(request: web.Request) -> StoredFile:
    """The file named by the path's download id, if the caller may read it; else 404."""
    caller = await caller_of(request)
    stored = await request.app[store_key].file_info(request.match_info["download_id"])
    if stored is None or not may_read_file(caller, stored):
        raise NotFound(
            "There is no such file; it may have expired or been deleted.", code="file_not_found"
        )
    return stored


async def download(request: web.Request) -> web.StreamResponse:
    stored = await file_of(request)
    info = stored.info
    response = web.StreamResponse(
        headers={
            "Content-Type": info.content_type,
            "Content-Disposition": f'attachment; filename="{info.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
    response.content_length = info.size
    chunks = request.app[store_key].file_chunks(info.download_id)
    first = await anext(chunks, None)
    if first is None and info.size:
        raise NotFound(
            "There is no such file; it may have expired or been deleted.", code="file_not_found"
        )
    await response.prepare(request)
    if first is not None:
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
    await response.write_eof()
    return response


async def delete_download(request: web.Request) -> web.Response:
    stored = await file_of(request)
    await request.app[store_key].delete_file(stored.info.download_id)
    return web.Response(status=204)


async def qr_code(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    record = await session_of(caller, request.app[store_key], request.match_info["session_id"])
    if (gone := closed_error(record.status)) is not None:
        raise gone
    assert isinstance(record, Session)
    kind = request.match_info["kind"]
    url = request.app[presenter_key].phone_url(record.phone_token)
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(request.app[executor_key], _render_qr, url, kind)
    content_type = "image/svg+xml" if kind == "svg" else "image/png"
    return web.Response(body=data, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def _render_qr(url: str, kind: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind=kind, scale=8, border=4)
    return out.getvalue()

