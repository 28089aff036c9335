"""The phone's document scan: detect corners, upload pages one by one, finalize.

Pages are processed (corrected, cleaned, encoded) as they arrive and held by
the store until finalize assembles them, so finalize only has to build the
PDFs. The phone token in the path is the only credential, as for other actions.
"""

import asyncio
import logging

import pydantic_core
from aiohttp import web

from ..bodies import Form, read_form
from ...errors import BadRequest, PayloadTooLarge
from ...keys import executor_key, ocr_executor_key, settings_key, store_key
from ...models import CornerSuggestion, ScanCorners, ScanPageAccepted, UploadAccepted
from ..responses import json_model
from ...capture.scan.detect import suggest_corners
from ...capture.scan.assemble import Texts, assemble, page_dpi
from ...capture.scan.ocr import OcrFailed, PageText, read_page
from ...capture.scan.filters import FILTERS, ROTATIONS
from ...capture.scan.straighten import Point, process_page
from ...store import Session
from ...store.base import ensure_accepts_upload
from .match import ensure_matched

log = logging.getLogger(__name__)

#: Highest document or page index accepted; far above any real scan.
MAX_INDEX = 9999
#: Room for the multipart framing and the text fields around a page of the largest size.
FORM_SLACK = 64 * 1024


async def _scan_session(request: web.Request) -> Session:
    record = await request.app[store_key].get_by_token(request.match_info["token"])
    session = ensure_matched(ensure_accepts_upload(record))
    if session.action_type != "scan":
        raise BadRequest("This link is not for a document scan.", code="not_a_scan")
    return session


async def _read_page(request: web.Request) -> tuple[Form, bytes]:
    """The form and its ``file`` part, within the per-page size limit."""
    limit = request.app[settings_key].scan_upload_max_bytes
    try:
        form = await read_form(request, limit + FORM_SLACK)
    except PayloadTooLarge as exc:
        raise _page_too_large(limit) from exc
    data = form.files.get("file")
    if not data:
        raise BadRequest("Choose a photo of the page to send (a part named 'file').",
                         code="missing_file")
    if len(data) > limit:
        raise _page_too_large(limit)
    return form, data


def _page_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"This page is larger than the limit of {limit} bytes per page; "
        "take it again or at a lower resolution.",
        code="page_too_large",
        extra={"limit": limit},
    )


def _index(form: Form, name: str) -> int:
    raw = form.fields.get(name, "").strip()
    if not raw:
        return 0  # as the Go server: a missing index is 0
    # The length is checked first: int() refuses strings of more than 4,300 digits.
    if not raw.isdecimal() or len(raw) > len(str(MAX_INDEX)) or int(raw) > MAX_INDEX:
        raise BadRequest(f"{name} must be a whole number from 0 to {MAX_INDEX}.",
                         code="invalid_index")
    return int(raw)


def _corners(form: Form) -> list[Point] | None:
    raw = form.fields.get("corners", "").strip()
    if not raw:
        return None
    try:
        # pydantic's parser refuses deep nesting and overlong numbers; both raise ValueError.
        parsed = ScanCorners.model_validate({"corners": pydantic_core.from_json(raw)})
    except ValueError as exc:
        raise BadRequest(
            "corners must be four [x, y] points in the photo's pixels: "
            "top-left, top-right, bottom-right, bottom-left.",
            code="invalid_corners",
        ) from exc
    return [(x, y) for x, y in parsed.corners]


async def _read_text(request: web.Request, session: Session,
                     documents: list[list[bytes]]) -> Texts:
    """What OCR reads on every page, in the OCR pool (its size bounds how many run)."""
    if not session.ocr_languages:
        return None
    loop = asyncio.get_running_loop()
    command = request.app[settings_key].ocr_command

    async def page_text(page: bytes) -> PageText | OcrFailed:
        dpi = await loop.run_in_executor(request.app[executor_key], page_dpi, page)
        return await loop.run_in_executor(request.app[ocr_executor_key], read_page, page,
                                          session.ocr_languages or (), dpi, command)

    return [await asyncio.gather(*(page_text(page) for page in pages)) for pages in documents]


def _filter(form: Form) -> str:
    raw = form.fields.get("filter", "").strip() or "auto"
    if raw not in FILTERS:
        raise BadRequest(f"filter must be one of {', '.join(FILTERS)}.", code="invalid_filter")
    return raw


def _rotation(form: Form) -> int:
    raw = form.fields.get("rotation", "").strip() or "0"
    if raw not in {str(r) for r in ROTATIONS}:
        raise BadRequest("rotation must be 0, 90, 180 or 270 (degrees clockwise).",
                         code="invalid_rotation")
    return int(raw)


async def scan_upload(request: web.Request) -> web.Response:
    """Accept one page; a page sent again at the same indexes replaces it."""
    session = await _scan_session(request)
    form, data = await _read_page(request)
    document_index = _index(form, "document_index") if session.document_mode == "multi" else 0
    page_index = _index(form, "page_index")
    corners, look, rotation = _corners(form), _filter(form), _rotation(form)
    loop = asyncio.get_running_loop()
    page, (width, height) = await loop.run_in_executor(
        request.app[executor_key], process_page, data, corners, look, rotation
    )
    held = await request.app[store_key].put_scan_page(
        session.id, document_index, page_index, page,
        max_pages=request.app[settings_key].scan_max_pages,
    )
    log.debug("scan page %s/%s held for %s (%s in all)",
              document_index, page_index, session.id, held)
    body = ScanPageAccepted(document_index=document_index, page_index=page_index,
                            pages=held, width=width, height=height)
    return json_model(body)


async def scan_finalize(request: web.Request) -> web.Response:
    """Assemble the held pages into the result files and complete the session."""
    session = await _scan_session(request)
    store = request.app[store_key]
    # The same claim as a photo upload: racing finalizes complete exactly once.
    lease = await store.acquire_upload(session.id)
    try:
        documents = await store.scan_pages(session.id)
        if not documents:
            raise BadRequest("No page has been sent yet; scan at least one page first.",
                             code="no_pages")
        texts = await _read_text(request, session, documents)
        loop = asyncio.get_running_loop()
        files, layout = await loop.run_in_executor(
            request.app[executor_key], assemble, documents, session.output_format, texts
        )
        await store.complete(lease, files, tuple(layout))
    finally:
        await store.release_upload(lease)
    return json_model(UploadAccepted())


async def scan_clear(request: web.Request) -> web.Response:
    """Forget every held page, so a phone that sends again starts from nothing."""
    session = await _scan_session(request)
    await request.app[store_key].clear_scan_pages(session.id)
    return web.Response(status=204)


async def scan_detect(request: web.Request) -> web.Response:
    """Suggest where the page's corners are in a photo (a small copy is enough)."""
    session = await _scan_session(request)
    _, data = await _read_page(request)
    loop = asyncio.get_running_loop()
    suggestion = await loop.run_in_executor(request.app[executor_key], suggest_corners, data)
    log.debug("corners for %s: detected=%s", session.id, suggestion.detected)
    body = CornerSuggestion(
        corners=[[x, y] for x, y in suggestion.corners], detected=suggestion.detected,
        width=suggestion.width, height=suggestion.height,
    )
    return json_model(body)
