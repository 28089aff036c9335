"""Who is calling: an API key holder (a tenant), a client-secret holder, or nobody."""

from typing import NamedTuple

from aiohttp import web

from ..errors import Forbidden, NotFound, Unauthorized
from ..store import Record, SessionStore, StoredFile
from ..tenants import Tenants


class Caller(NamedTuple):
    """An API key holder has an ``owner``; a client-secret holder has one ``session_id``.

    A tuple rather than a frozen dataclass: one is made on every API request, and a
    frozen dataclass takes several times as long to make."""

    owner: str | None = None
    session_id: str | None = None


def presented_credential(request: web.Request, *, query_key: bool = False) -> str | None:
    """The credential from ``X-API-Key``, ``Authorization: Bearer``, or the query string."""
    if key := request.headers.get("X-API-Key"):
        return key
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if query_key and (key := request.query.get("api_key")):
        return key
    return request.query.get("client_secret") or None


async def authenticate(
    request: web.Request, tenants: Tenants, store: SessionStore, *, query_key: bool = False
) -> Caller:
    credential = presented_credential(request, query_key=query_key)
    if not credential:
        raise Unauthorized(
            "An API key is required: send it as X-API-Key or Authorization: Bearer.",
            code="missing_credentials",
        )
    if not _is_text(credential):
        raise Unauthorized(
            "The API key or client secret is not valid: it holds bytes that are not UTF-8 text.",
            code="invalid_credentials",
        )
    if owner := tenants.owner_of(credential):
        return Caller(owner=owner)
    if session_id := await store.session_for_secret(credential):
        return Caller(session_id=session_id)
    raise Unauthorized("The API key or client secret is not valid.", code="invalid_credentials")


def _is_text(credential: str) -> bool:
    # aiohttp keeps header bytes that are not UTF-8 as lone surrogates, which no key can match
    # and which nothing downstream (hashing, a store) can encode.
    try:
        credential.encode()
    except UnicodeEncodeError:
        return False
    return True


def require_api_key(caller: Caller) -> str:
    """The caller's tenant; client secrets may not create or list sessions."""
    if caller.owner is None:
        raise Forbidden(
            "A client secret only reads its own session; this needs an API key.",
            code="api_key_required",
        )
    return caller.owner


def may_access(caller: Caller, record: Record) -> bool:
    if caller.owner is not None:
        return record.owner == caller.owner
    return record.id == caller.session_id


def may_read_file(caller: Caller, stored: StoredFile) -> bool:
    if caller.owner is not None:
        return stored.owner == caller.owner
    return stored.session_id == caller.session_id


async def session_of(caller: Caller, store: SessionStore, session_id: str) -> Record:
    """The session the caller may see, or 404 (others' sessions look exactly like unknown ones)."""
    record = await store.get(session_id)
    if record is None or not may_access(caller, record):
        raise NotFound("There is no session with this id.", code="session_not_found")
    return record
