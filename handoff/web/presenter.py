"""Turns store records into the JSON the desktop sees (sessions, results, events).

A session's JSON is built once per version and kept in a bounded cache, so
repeated GETs and pushes cost a dictionary lookup while thousands of idle
sessions do not each carry half a kilobyte of serialised JSON.
"""

import asyncio
import json
import time
from collections import OrderedDict
from datetime import UTC, datetime

from aiohttp import web

from .. import shortcode
from ..durations import to_nanoseconds
from ..models import (
    ResultItem,
    ResultPoll,
    ScanDocument,
    ScanPage,
    ScanResult,
    SessionOut,
)
from ..domain import Status, closed_error
from ..store import Record, ResultInfo, Session, Tombstone

#: Sessions whose current JSON is kept (about 0.75 KiB each): the ones being read.
CACHED_VERSIONS = 4096
#: Seconds between sweeps of the cache for sessions past their expiry.
SWEEP_EVERY = 5.0


def rfc3339(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class Presenter:
    """Builds absolute links from the public base URL and the app's named routes."""

    def __init__(self, base_url: str, router: web.UrlDispatcher) -> None:
        self._base = base_url.rstrip("/")
        self._ws_base = "ws" + self._base.removeprefix("http")
        self._router = router
        # Each linked route's pattern, e.g. ``/s/{token}``. Ids and tokens are URL-safe
        # by construction (UUIDs, ``token_urlsafe``), so formatting the pattern gives
        # what ``url_for`` gives, without its per-call quoting and URL objects (a tenth
        # of the cost of creating a session).
        self._patterns = {
            name: router[name].get_info()["formatter"]
            for name in ("phone_page", "session_ws", "download", "download_preview", "session")
        }
        self._code_url = self._base + router["code_page"].get_info()["path"]
        # session id -> (version, JSON, expires at), most recently read last; an entry of
        # an older version is never served. Entries go when their session expires
        # (:meth:`sweep`), so nothing of a forgotten session is left pinning memory.
        self._cache: OrderedDict[str, tuple[int, bytes, float]] = OrderedDict()

    # -- links -------------------------------------------------------------

    def phone_url(self, phone_token: str) -> str:
        return self._base + self._path("phone_page").format(token=phone_token)

    def events_url(self, session_id: str) -> str:
        return self._ws_base + self._path("session_ws").format(session_id=session_id)

    def download_url(self, download_id: str) -> str:
        return self._base + self._path("download").format(download_id=download_id)

    def preview_url(self, download_id: str) -> str:
        return self._base + self._path("download_preview").format(download_id=download_id)

    def session_path(self, session_id: str) -> str:
        return self._path("session").format(session_id=session_id)

    def _path(self, name: str) -> str:
        return self._patterns[name]

    # -- shapes ------------------------------------------------------------

    def result_items(self, session: Session) -> list[ResultItem]:
        return [self.result_item(info) for info in session.result]

    def result_item(self, info: ResultInfo) -> ResultItem:
        return ResultItem(
            download_id=info.download_id,
            content_type=info.content_type,
            filename=info.filename,
            size=info.size,
            sha256=info.sha256,
            expires_at=rfc3339(info.expires_at),
            download_url=self.download_url(info.download_id),
            preview_url=(
                self.preview_url(info.download_id) if info.content_type == "application/pdf" else None
            ),
        )

    def scan_result(self, session: Session) -> ScanResult | None:
        if session.scan_documents is None:
            return None
        types = {info.download_id: info.content_type for info in session.result}
        documents = []
        for document in session.scan_documents:
            pdf = document.get("pdf")
            pages = document.get("pages")
            documents.append(
                ScanDocument(
                    pdf_url=self.download_url(pdf) if pdf else None,
                    pdf_preview_url=self.preview_url(pdf) if pdf else None,
                    pages=[
                        ScanPage(url=self.download_url(page), content_type=types[page])
                        for page in pages
                    ]
                    if pages
                    else None,
                    text_url=self.download_url(document["text"]) if "text" in document else None,
                    ocr=document.get("ocr"),
                    ocr_error=document.get("ocr_error"),
                )
            )
        return ScanResult(documents=documents)

    def session_model(self, session: Session) -> SessionOut:
        completed = session.status == Status.COMPLETED
        return SessionOut(
            id=session.id,
            action_type=session.action_type,  # type: ignore[arg-type]
            status=session.status,
            intro_text=session.intro_text or None,
            output_format=session.output_format,
            session_ttl=to_nanoseconds(session.session_ttl),
            result_ttl=to_nanoseconds(session.result_ttl),
            url=self.phone_url(session.phone_token),
            created_at=rfc3339(session.created_at),
            completed_at=rfc3339(session.completed_at) if session.completed_at else None,
            result=self.result_items(session) if completed else None,
            document_mode=session.document_mode,  # type: ignore[arg-type]
            scan_output_format=(
                session.output_format if session.action_type == "scan" else None  # type: ignore[arg-type]
            ),
            scan_result=self.scan_result(session) if completed else None,
            scan_pages=session.scan_pages if session.action_type == "scan" else None,
            opened_at=rfc3339(session.opened_at) if session.opened_at else None,
            expires_at=rfc3339(session.expires_at),
            version=session.version,
            events_url=self.events_url(session.id),
            metadata=session.metadata,
            client_secret=session.client_secret,
            short_code=shortcode.display(session.short_code) if session.short_code else None,
            short_code_url=self._code_url,
            match_number=session.match_number,
            cancel_reason=session.cancel_reason,  # type: ignore[arg-type]
        )

    def session_json(self, record: Record) -> bytes:
        """The JSON body of ``GET /api/v1/sessions/{id}`` for this record."""
        if isinstance(record, Tombstone):
            self._cache.pop(record.id, None)  # nothing of an expired session is kept
            return json.dumps({"id": record.id, "status": record.status}).encode()
        cached = self._cache.get(record.id)
        if cached is not None and cached[0] == record.version:
            self._cache.move_to_end(record.id)
            return cached[1]
        body = self.session_model(record).model_dump_json(exclude_none=True).encode()
        self._cache[record.id] = (record.version, body, record.expires_at)
        self._cache.move_to_end(record.id)
        if len(self._cache) > CACHED_VERSIONS:
            self._cache.popitem(last=False)
        return body

    def sweep(self, now: float) -> int:
        """Drop the JSON of sessions past their expiry, which can never be served again
        (their next read finds a tombstone); how many went."""
        cache = self._cache
        gone = [session_id for session_id, (_, _, until) in cache.items() if until <= now]
        for session_id in gone:
            del cache[session_id]
        return len(gone)

    async def sweep_forever(self) -> None:
        """Sweep every :data:`SWEEP_EVERY` seconds: after a wave of sessions expires
        unread, their bodies would otherwise wait for the LRU to push them out."""
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            self.sweep(time.time())

    def result_poll(self, record: Record) -> tuple[int, ResultPoll]:
        """Status code and body of the result poll."""
        if (gone := closed_error(record.status)) is not None:
            return gone.status, ResultPoll(status=record.status, error=gone.message, code=gone.code)
        assert isinstance(record, Session)
        if record.status != Status.COMPLETED:
            return 202, ResultPoll(status=record.status)
        return 200, ResultPoll(
            status=Status.COMPLETED,
            completed_at=rfc3339(record.completed_at or record.created_at),
            items=self.result_items(record),
            scan_result=self.scan_result(record),
        )

    def event_message(self, record: Record, at: float) -> str:
        """The websocket message announcing the record's current state."""
        completed = record.status == Status.COMPLETED
        head: dict[str, object] = {
            "type": "completed" if completed else "status_update",
            "session_id": record.id,
            "status": record.status,
            "timestamp": rfc3339(at).isoformat().replace("+00:00", "Z"),
            "version": record.version,
        }
        if isinstance(record, Session) and record.cancel_reason:
            head["cancel_reason"] = record.cancel_reason
        if completed and isinstance(record, Session):
            scan = self.scan_result(record)
            data = scan if scan is not None else self.result_items(record)
            head["data"] = (
                data.model_dump(mode="json", exclude_none=True)
                if isinstance(data, ScanResult)
                else [item.model_dump(mode="json", exclude_none=True) for item in data]
            )
        # Splice the cached session JSON in rather than decoding and re-encoding it.
        return json.dumps(head)[:-1] + ', "session": ' + self.session_json(record).decode() + "}"
