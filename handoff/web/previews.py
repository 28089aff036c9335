"""``GET /api/v1/downloads/{download_id}/preview``: page 1 of a PDF result as a JPEG.

Rendered when asked, in the thread pool, rather than kept beside each PDF: PDFs
come from photos, signatures and scans (some with an OCR text layer), and a
preview nobody asks for would cost store memory for every one of them.
"""

import asyncio

from aiohttp import web

from ..capture import pdf_preview
from ..errors import BadRequest, Conflict, NotFound
from ..keys import pdf_executor_key, preview_turns_key, store_key
from .api import file_of

async def download_preview(request: web.Request) -> web.Response:
    width = _width(request)
    stored = await file_of(request)
    info = stored.info
    if info.content_type != "application/pdf":
        raise Conflict(
            f"Only PDF files have a preview; this one is {info.content_type}.", code="not_a_pdf"
        )
    async with request.app[preview_turns_key].turn():
        # A result file is at most an upload's size (MAX_UPLOAD_BYTES, or SCAN_MAX_PAGES pages).
        store = request.app[store_key]
        data = b"".join([chunk async for chunk in store.file_chunks(info.download_id)])
        if len(data) != info.size:  # deleted or expired while it was being read
            raise NotFound(
                "There is no such file; it may have expired or been deleted.", code="file_not_found"
            )
        loop = asyncio.get_running_loop()
        preview = await loop.run_in_executor(
            request.app[pdf_executor_key], pdf_preview.first_page, data, width
        )
        del data
    return web.Response(
        body=preview.jpeg,
        headers={
            "Content-Type": "image/jpeg",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Page-Count": str(preview.page_count),
        },
    )


def _width(request: web.Request) -> int:
    low, high = pdf_preview.MIN_WIDTH, pdf_preview.MAX_WIDTH
    given = request.query.getall("width", [])
    if len(given) > 1:
        raise BadRequest("Give width once.", code="invalid_width")
    if not given or not given[0]:
        return pdf_preview.DEFAULT_WIDTH
    raw = given[0].lstrip("0")  # "0480" and "00000480" alike
    # The length first: int() refuses strings of more than 4,300 digits.
    digits = raw.isascii() and raw.isdecimal() and len(raw) <= len(str(high))
    if not digits or not low <= int(raw) <= high:
        raise BadRequest(f"width must be a whole number of pixels from {low} to {high}.",
                         code="invalid_width")
    return int(raw)
