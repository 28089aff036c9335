"""What the phone sees: pages under /s/{token}, the status probe and the upload.

The phone token in the path is the phone's only credential. Nothing here
reveals the session id, the client secret or a result.
"""

import asyncio
import time
from functools import partial

from aiohttp import web

from ..bodies import read_fields, read_form, read_model
from ...errors import BadRequest, NotFound
from ...capture.photo import process_photo
from .intro import render_intro
from ...keys import executor_key, settings_key, store_key, tenants_key
from ...locale import N_, translations
from .language import render_page, use_session
from .match import FAILED_MESSAGE, FAILED_TITLE, MATCH_FAILED, awaits_match, ensure_matched, match_page
from ..middlewares import wants_page
from ...models import PhoneStatus, SignatureStrokes, UploadAccepted
from ..responses import json_model
from ...capture import signature
from ...capture.signature import render_signature
from ...capture.strokes_file import strokes_file
from ...domain import NewFile, Status
from ...store import Record, Session, Tombstone
from ...store.base import ensure_accepts_upload

#: Who asks, in a neutral sentence when the tenant has no display name.
ASK = {
    "photo": N_("An app or website on your computer asks for a photo"),
    "signature": N_("An app or website on your computer asks for your signature"),
    "scan": N_("An app or website on your computer asks you to scan a document"),
}
#: The same, naming the requester (``requester`` in the page context).
ASK_BY = {
    "photo": N_("%(requester)s asks for a photo"),
    "signature": N_("%(requester)s asks for your signature"),
    "scan": N_("%(requester)s asks you to scan a document"),
}
DESCRIPTION = N_("Open this link on the phone you want to use. Nothing is sent until you press Send.")
#: How often an open capture page asks whether the desktop cancelled or the link expired.
STATUS_POLL_MS = 2500
#: Room for the most points a signature may hold (200,000) with time and pressure on each;
#: parsing JSON holds the interpreter's lock, so a larger body would stall the loop longer.
SIGNATURE_BODY_LIMIT = 8 * 1024 * 1024


async def _record(request: web.Request) -> Record | None:
    record = await request.app[store_key].get_by_token(request.match_info["token"])
    use_session(request, record)
    return record


def requester_context(request: web.Request, session: Session) -> dict[str, str | None]:
    """Who asks, for the page, its title and its share preview.

    ``requester`` is the tenant's ``display_name``; ``None`` when it has none.
    """
    requester = request.app[tenants_key].display_name(session.owner)
    catalogue = translations(use_session(request, session))
    if requester:
        ask = catalogue.gettext(ASK_BY[session.action_type]) % {"requester": requester}
    else:
        ask = catalogue.gettext(ASK[session.action_type])
    return {"requester": requester, "ask": ask, "page_title": ask,
            "page_description": catalogue.gettext(DESCRIPTION)}


def seconds_left(session: Session) -> int:
    """Whole seconds until the link expires, by the server's clock (the phone's may be off)."""
    return max(0, int(session.expires_at - time.time()))


def _closed_page(request: web.Request, record: Record | None) -> web.Response | None:
    """The page for a link that no longer leads to a capture screen, if any."""
    if record is None:
        return _message(request, 404, N_("Link not found"),
                        N_("This link is not valid. Ask for a new QR code on your computer."), "error")
    if isinstance(record, Tombstone):
        return _message(request, 410, N_("This link has expired"),
                        N_("Start again on your computer to get a new QR code."), "expired")
    if record.status == Status.CANCELLED and record.cancel_reason == MATCH_FAILED:
        return _message(request, 410, FAILED_TITLE, FAILED_MESSAGE, "error")
    if record.status == Status.CANCELLED:
        return _message(request, 410, N_("Cancelled"),
                        N_("This request was cancelled on the computer. You can close this page."),
                        "cancelled", record)
    if record.status == Status.COMPLETED:
        return _message(request, 200, N_("Done"),
                        N_("Sent. You can return to your computer and close this page."), "done",
                        record)
    return None


def _message(
    request: web.Request, status: int, title: str, message: str, tone: str,
    session: Session | None = None,
) -> web.Response:
    context = requester_context(request, session) if session else {}
    return render_page(
        request, "message.html",
        {**context, "title": title, "message": message, "tone": tone}, status=status,
    )


async def _open(request: web.Request) -> Session | web.Response:
    """The session behind the link, marked opened; or the page to show instead
    (the number match first, for a session that asks for one)."""
    record = await _record(request)
    if (page := _closed_page(request, record)) is not None:
        return page
    assert isinstance(record, Session)
    if awaits_match(record):
        return match_page(request, record, requester_context(request, record))
    opened = await request.app[store_key].mark_opened(record.id)
    if (page := _closed_page(request, opened)) is not None:
        return page  # it expired or was cancelled in between
    assert isinstance(opened, Session)
    return opened


async def phone_page(request: web.Request) -> web.Response:
    """First stop of the link: marks the session opened, then intro or capture."""
    session = await _open(request)
    if not isinstance(session, Session):
        return session
    if session.intro_text:
        return render_page(
            request,
            "intro.html",
            {**requester_context(request, session), "session": session,
             "intro": render_intro(session.intro_text), "token": session.phone_token,
             "poll_ms": STATUS_POLL_MS, "seconds_left": seconds_left(session)},
        )
    return await _capture_page(request, session)


async def phone_action(request: web.Request) -> web.Response:
    session = await _open(request)
    if not isinstance(session, Session):
        return session
    return await _capture_page(request, session)


async def _capture_page(request: web.Request, session: Session) -> web.Response:
    # Showing the capture screen is not capturing yet: its script reports the first
    # touch on the pad or the first photo chosen to phone_started.
    return render_page(
        request,
        f"{session.action_type}.html",
        {**requester_context(request, session), "session": session, "token": session.phone_token,
         "intro": render_intro(session.intro_text) if session.intro_text else None,
         "max_upload_bytes": request.app[settings_key].max_upload_bytes,
         "poll_ms": STATUS_POLL_MS, "seconds_left": seconds_left(session),
         "scan_max_pages": request.app[settings_key].scan_max_pages,
         "scan_upload_max_bytes": request.app[settings_key].scan_upload_max_bytes,
         # What the server refuses as too little ink, so the pad can say so before sending.
         "signature_min_points": signature.MIN_POINTS,
         "signature_min_extent": signature.MIN_EXTENT},
    )


async def phone_match(request: web.Request) -> web.Response:
    """The number the phone picked: the right one opens the session, a wrong one cancels it."""
    record = await _record(request)
    if (page := _closed_page(request, record)) is not None:
        return page
    assert isinstance(record, Session)
    if not awaits_match(record):
        raise web.HTTPSeeOther(request.app.router["phone_page"].url_for(token=record.phone_token))
    fields = await read_fields(request, limit=1024)
    store = request.app[store_key]
    if fields.get("number") == record.match_number:
        await store.mark_opened(record.id)
        raise web.HTTPSeeOther(request.app.router["phone_page"].url_for(token=record.phone_token))
    cancelled = await store.cancel(record.id, reason=MATCH_FAILED)
    page = _closed_page(request, cancelled)
    assert page is not None
    return page


async def phone_started(request: web.Request) -> web.Response:
    """The user began capturing (first stroke, photo chosen): the desktop sees action_started."""
    session = ensure_matched(ensure_accepts_upload(await _record(request)))
    await request.app[store_key].mark_action_started(session.id)
    return web.Response(status=204)


async def phone_status(request: web.Request) -> web.Response:
    record = await _record(request)
    if record is None:
        raise NotFound("This link is not valid.", code="session_not_found")
    return json_model(PhoneStatus(status=record.status))


def _photo_files(data: bytes, output_format: str) -> list[NewFile]:
    return [process_photo(data, output_format)]


def _signature_files(pad: SignatureStrokes, output_format: str, with_strokes: bool) -> list[NewFile]:
    picture = render_signature(pad, output_format)
    return [picture, strokes_file(pad)] if with_strokes else [picture]


async def phone_result(request: web.Request) -> web.Response:
    """Receive the photo or signature, convert it off the loop, complete the session."""
    session = ensure_matched(ensure_accepts_upload(await _record(request)))
    limit = request.app[settings_key].max_upload_bytes
    loop = asyncio.get_running_loop()
    executor = request.app[executor_key]
    if session.action_type == "photo":
        form = await read_form(request, limit)
        data = form.files.get("file")
        if not data:
            raise BadRequest("Choose a photo to send (a part named 'file').", code="missing_file")
        job = partial(_photo_files, data, session.output_format)
    elif session.action_type == "signature":
        pad = await read_model(request, SignatureStrokes, limit=min(limit, SIGNATURE_BODY_LIMIT))
        job = partial(_signature_files, pad, session.output_format, session.include_strokes)
    else:
        raise BadRequest("Scan pages are sent to /scan/upload.", code="wrong_endpoint")

    store = request.app[store_key]
    lease = await store.acquire_upload(session.id)
    try:
        files: list[NewFile] = await loop.run_in_executor(executor, job)
        await store.complete(lease, files)
    finally:
        await store.release_upload(lease)
    if wants_page(request):
        # A plain form post (the page's script did not run): show the done page.
        raise web.HTTPSeeOther(request.app.router["phone_page"].url_for(token=session.phone_token))
    return json_model(UploadAccepted())
