"""The store's records and its interface; no backend code lives here.

Handlers only talk to :class:`SessionStore`. Records handed out are frozen
snapshots: a change goes through a store method that takes the session id and
returns the new record, so a backend never relies on callers sharing objects.
Every status change happens in the store, which also publishes its event, so a
transition and its push cannot disagree.
"""

import abc
import asyncio
import base64
import contextlib
import logging
import os
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from .. import shortcode
from ..domain import NewFile, Status, closed_error
from ..errors import BadRequest, Conflict, HandoffError, NotFound

log = logging.getLogger(__name__)

#: How long an upload lease lasts unless released (the default of UPLOAD_LEASE_TTL):
#: longer than any upload takes to process, short enough that a phone can retry
#: soon after a worker died holding it.
LEASE_TTL = 60.0


class StoreUnavailable(HandoffError):
    """The shared store cannot be reached; the request may be retried."""

    status = 503
    default_code = "store_unavailable"


@dataclass(slots=True, frozen=True)
class ResultInfo:
    """What the session's ``result`` list says about one file; never changes."""

    download_id: str
    content_type: str
    filename: str
    size: int
    sha256: str
    expires_at: float


@dataclass(slots=True, frozen=True)
class StoredFile:
    """A stored file's metadata and who may read it; the bytes come from ``read_file``."""

    info: ResultInfo
    session_id: str
    owner: str
    client_secret: str


@dataclass(slots=True, frozen=True)
class NewSession:
    owner: str
    action_type: str
    output_format: str
    intro_text: str
    session_ttl: float
    result_ttl: float
    metadata: dict[str, str] | None = None
    document_mode: str | None = None
    #: Scan sessions whose PDFs are made searchable: the OCR languages.
    ocr_languages: tuple[str, ...] | None = None
    locale: str | None = None
    #: Sessions created with ``confirm_match``: the two digits the desktop shows.
    match_number: str | None = None
    #: Signature sessions whose result carries strokes.json too.
    include_strokes: bool = False


#: Scan sessions, per document: ``{"pdf": download_id}`` or ``{"pages": [download_id, ...]}``.
ScanLayout = tuple[dict[str, Any], ...]


@dataclass(slots=True, frozen=True)
class Session:
    """A live session, as it was at ``version``. Times are POSIX seconds."""

    id: str
    owner: str
    action_type: str
    output_format: str
    intro_text: str
    session_ttl: float
    result_ttl: float
    metadata: dict[str, str] | None
    document_mode: str | None
    phone_token: str
    client_secret: str
    created_at: float
    status: Status = Status.PENDING
    version: int = 1
    opened_at: float | None = None
    completed_at: float | None = None
    #: A tuple, so the many sessions without a result share the empty one.
    result: tuple[ResultInfo, ...] = ()
    scan_documents: ScanLayout | None = None
    #: Scan sessions whose PDFs are made searchable: the OCR languages.
    ocr_languages: tuple[str, ...] | None = None
    #: The phone pages' language when the desktop chose one; otherwise the browser's.
    locale: str | None = None
    #: The link typed by hand (see :mod:`handoff.shortcode`): 8 characters, no hyphen.
    short_code: str = ""
    #: The two digits the phone must pick before capturing (``confirm_match``), if any.
    match_number: str | None = None
    #: Signature sessions whose result carries strokes.json too.
    include_strokes: bool = False
    #: Why a cancelled session was cancelled, when not by the desktop (``match_failed``).
    cancel_reason: str | None = None
    #: Scan sessions: the pages the phone has sent so far (each one is a new version,
    #: pushed to subscribers but not to change listeners: the status is the same).
    scan_pages: int = 0

    @property
    def expires_at(self) -> float:
        return self.created_at + self.session_ttl


@dataclass(slots=True, frozen=True)
class Tombstone:
    """What is left of an expired session: just enough to answer ``expired``."""

    id: str
    owner: str
    phone_token: str
    client_secret: str
    version: int
    short_code: str = ""
    #: What the session asked for, and its status when it expired (for metrics and webhooks);
    #: empty in tombstones written before they were kept.
    action_type: str = ""
    was: str = ""

    @property
    def ended_open(self) -> bool:
        """Whether the session expired unfinished (not after it completed or was cancelled)."""
        return self.was not in (Status.COMPLETED, Status.CANCELLED)

    @property
    def status(self) -> Status:
        return Status.EXPIRED


Record = Session | Tombstone

def _interned(value: str | None) -> str | None:
    """Strings drawn from a few values that each request parses afresh, interned, so the
    sessions held share one copy (``"png"`` on its own is 52 bytes a session)."""
    return None if value is None else sys.intern(value)


def new_credentials() -> tuple[str, str, str]:
    """A session id (a version 4 UUID), a phone token (144 bits) and a client secret (256 bits).

    Drawn from one ``os.urandom`` call and formatted by hand: the same strings as
    ``str(uuid4())`` and two ``token_urlsafe`` calls, at a quarter of their cost.
    """
    raw = bytearray(os.urandom(66))
    raw[6] = raw[6] & 0x0F | 0x40  # the UUID's version, 4
    raw[8] = raw[8] & 0x3F | 0x80  # and its RFC 4122 variant
    h = raw[:16].hex()
    return (f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
            base64.urlsafe_b64encode(raw[16:34]).decode(),
            base64.urlsafe_b64encode(raw[34:]).decode().rstrip("="))


def new_session_record(spec: NewSession, *, created_at: float) -> Session:
    """A pending session from its spec, with a fresh id and credentials, and a fresh
    short code (40 bits; the backend makes sure no live session shares it).

    Every field by name (a loop over the spec's fields took twice as long, on every create).
    """
    session_id, phone_token, client_secret = new_credentials()
    return Session(
        id=session_id,
        owner=sys.intern(spec.owner),
        action_type=sys.intern(spec.action_type),
        output_format=sys.intern(spec.output_format),
        intro_text=spec.intro_text,
        session_ttl=spec.session_ttl,
        result_ttl=spec.result_ttl,
        metadata=spec.metadata,
        document_mode=_interned(spec.document_mode),
        phone_token=phone_token,
        client_secret=client_secret,
        created_at=created_at,
        ocr_languages=spec.ocr_languages,
        locale=_interned(spec.locale),
        short_code=shortcode.new_code(),
        match_number=spec.match_number,
        include_strokes=spec.include_strokes,
    )


@dataclass(slots=True, frozen=True)
class Event:
    """A change, published after the store applied it: the record as it became, and when."""

    record: Record
    at: float

    @property
    def session_id(self) -> str:
        return self.record.id

    @property
    def version(self) -> int:
        return self.record.version

    @property
    def status(self) -> Status:
        return self.record.status


@dataclass(slots=True, frozen=True)
class Lease:
    """The right to process one upload for a session, until released or ``LEASE_TTL`` passes."""

    session_id: str
    token: str


@dataclass(slots=True, frozen=True)
class SessionPage:
    """One page of a listing, newest first; ``cursor`` fetches the next, ``None`` at the end."""

    sessions: list[Session]
    cursor: str | None


def parse_cursor(cursor: str | None) -> tuple[float, str] | None:
    """A listing cursor's position: the (created_at, id) of the last session handed out."""
    if cursor is None:
        return None
    created, _, session_id = cursor.partition("_")
    try:
        position = float(created)
    except ValueError:
        position = float("nan")
    if not session_id or not 0 <= position < 1e11:
        raise BadRequest("cursor is not valid; pass the one the previous page returned.",
                         code="invalid_cursor")
    return position, session_id


def page_of(sessions: list[Session], limit: int) -> SessionPage:
    """The first ``limit`` of ``sessions`` (fetched one past it), with the cursor after them."""
    if len(sessions) <= limit:
        return SessionPage(sessions, None)
    last = sessions[limit - 1]
    return SessionPage(sessions[:limit], f"{last.created_at!r}_{last.id}")


def resolve_layout(
    infos: list[ResultInfo], scan_documents: ScanLayout | None
) -> ScanLayout | None:
    """A scan layout that names files by index in ``infos``, naming them by download id."""
    if scan_documents is None:
        return None

    def pick(value: Any) -> Any:
        if isinstance(value, int):
            return infos[value].download_id
        if isinstance(value, list):
            return [infos[index].download_id for index in value]
        return value  # a value that names no file (such as an OCR outcome) passes through

    return tuple({key: pick(value) for key, value in doc.items()} for doc in scan_documents)


class Subscription:
    """The changes of one session, from the moment of subscribing, each version once, in order.

    One reader at a time: a long-poll awaits :meth:`get`; a websocket takes events
    with :meth:`pop` when its listener (:meth:`listen`) is called, so an idle socket
    needs no task waiting here. Most subscribers wait idle for minutes, so nothing
    is allocated until there is something to wait for or to hold: an
    ``asyncio.Queue`` would cost four deques (about 3 KiB) per idle websocket. A
    version at or below one already queued is dropped, so a backend may deliver an
    event twice (after a reconnect, say).
    """

    __slots__ = ("session_id", "_events", "_waiter", "_newest", "_interrupted", "_listener")

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._events: deque[Event] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._newest = 0
        self._interrupted = False
        self._listener: Callable[[], None] | None = None

    @property
    def newest(self) -> int:
        """The highest version handed to this subscription so far (0 before any)."""
        return self._newest

    def put(self, event: Event) -> None:
        if event.version <= self._newest:
            return
        self._newest = event.version
        if self._events is None:
            self._events = deque()
        self._events.append(event)
        self._wake()

    def interrupt(self) -> None:
        """Wake the reader with :class:`Interrupted`: the server is shutting down."""
        self._interrupted = True
        self._wake()

    def listen(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the loop, synchronously) whenever an event or the
        interruption arrives, and now if one is already waiting; it then drains
        the subscription with :meth:`pop`."""
        self._listener = listener
        if self._events or self._interrupted:
            listener()

    def pop(self) -> Event | None:
        """The next event, or None when there is none yet; :class:`Interrupted` once the
        server is shutting down and every earlier event was taken."""
        if self._events:
            return self._events.popleft()
        if self._interrupted:
            raise Interrupted
        return None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._listener is not None:
            self._listener()

    async def get(self) -> Event:
        while not self._events:
            if self._interrupted:
                raise Interrupted
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.popleft()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.get()


class Interrupted(Exception):
    """A subscription's reader was woken because the server is shutting down."""


def ensure_accepts_upload(record: Record | None) -> Session:
    """The session a phone may still send to, or the error the phone should show."""
    if record is None:
        raise NotFound("This link is not valid.", code="session_not_found")
    if (gone := closed_error(record.status, phone=True)) is not None:
        raise gone
    if record.status == Status.COMPLETED:
        raise Conflict("This was already sent.", code="already_completed")
    assert isinstance(record, Session)
    return record


def page_limit_error(max_pages: int) -> BadRequest:
    return BadRequest(
        f"This scan already has the most pages allowed ({max_pages}); send it or remove a page.",
        code="too_many_pages",
        extra={"limit": max_pages},
    )


def upload_busy_error() -> Conflict:
    return Conflict(
        "Another upload for this session is being processed; wait for it to finish.",
        code="upload_in_progress",
    )


def finalizing_error() -> Conflict:
    return Conflict(
        "The scan is being finished; no pages can be changed now.", code="upload_in_progress"
    )


def expired_error() -> HandoffError:
    gone = closed_error(Status.EXPIRED)
    assert gone is not None
    return gone


#: Told of every status change the store makes (see :meth:`SessionStore.add_listener`).
ChangeListener = Callable[[Event], None]


class SessionStore(abc.ABC):
    """Sessions, tombstones, result files, held scan pages and upload leases.

    Both backends keep the same promises (``tests/store`` checks them against
    each): a session is expired from ``created_at + session_ttl`` whatever
    timers did, each transition happens once and publishes one event, and a
    subscriber sees every version after it subscribed, in order, once.
    """

    def __init__(self) -> None:
        self._listeners: list[ChangeListener] = []

    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener`` after every status change of any session, once across every
        process sharing the store: in the process that made the change (for webhooks and
        metrics, where subscribing per session would not do). It must not block."""
        self._listeners.append(listener)

    def _announce(self, record: Record | None) -> None:
        if record is None:
            return
        event = Event(record, time.time())
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # one broken listener must not undo the change or stop the others
                log.exception("a change listener failed for session %s", record.id)

    # -- reading -----------------------------------------------------------

    @abc.abstractmethod
    async def get(self, session_id: str) -> Record | None: ...

    @abc.abstractmethod
    async def get_by_token(self, phone_token: str) -> Record | None: ...

    @abc.abstractmethod
    async def get_by_short_code(self, short_code: str) -> Record | None:
        """The session a short code (normalized, no hyphen) belongs to, if any."""

    @abc.abstractmethod
    async def session_for_secret(self, client_secret: str) -> str | None:
        """The id of the session a client secret belongs to, if any."""

    @abc.abstractmethod
    async def list_live(
        self, owner: str, *, limit: int = 100, cursor: str | None = None
    ) -> SessionPage:
        """The owner's sessions that have not expired, newest first, ``limit`` at a time."""

    @abc.abstractmethod
    async def count_live(self) -> int:
        """How many sessions, of every owner, have not expired (for the metrics)."""

    @abc.abstractmethod
    async def file_info(self, download_id: str) -> StoredFile | None: ...

    @abc.abstractmethod
    def file_chunks(self, download_id: str) -> AsyncIterator[bytes]:
        """The file's bytes, a chunk at a time; ends early if the file goes meanwhile."""

    # -- changes -----------------------------------------------------------

    @abc.abstractmethod
    async def create(self, spec: NewSession) -> Session: ...

    @abc.abstractmethod
    async def mark_opened(self, session_id: str) -> Record | None:
        """pending → opened; any other status is left as it is. Returns the current record."""

    @abc.abstractmethod
    async def mark_action_started(self, session_id: str) -> Record | None:
        """pending/opened → action_started; any other status is left as it is."""

    @abc.abstractmethod
    async def acquire_upload(self, session_id: str) -> Lease:
        """The session's one upload lease; raises Conflict while another holds it, and
        what :func:`ensure_accepts_upload` raises."""

    @abc.abstractmethod
    async def release_upload(self, lease: Lease) -> None:
        """Give the lease back; does nothing once it lapsed or passed to someone else."""

    @abc.abstractmethod
    async def put_scan_page(
        self, session_id: str, document_index: int, page_index: int, page: bytes, *,
        max_pages: int,
    ) -> int:
        """Hold one processed scan page until finalize; returns how many are held.

        A page at an index already held replaces it (a retake). Raises BadRequest
        when a new page would pass ``max_pages``, Conflict while the session is
        being finalized, and what :func:`ensure_accepts_upload` raises."""

    @abc.abstractmethod
    async def scan_pages(self, session_id: str) -> list[list[bytes]]:
        """The held pages grouped by document, documents and pages in index order."""

    @abc.abstractmethod
    async def clear_scan_pages(self, session_id: str) -> None:
        """Drop every held page (the phone starts sending afresh); raises like put."""

    @abc.abstractmethod
    async def complete(
        self, lease: Lease, files: list[NewFile], scan_documents: ScanLayout | None = None
    ) -> Session:
        """Store the files and move to completed; held scan pages are dropped.

        Only the holder of a live lease may complete. ``scan_documents`` refer to
        files by their index in ``files`` (``{"pdf": i}`` or ``{"pages": [i, ...],
        "text": j}``); other values, such as OCR's outcome, are kept as they are."""

    @abc.abstractmethod
    async def cancel(self, session_id: str, reason: str | None = None) -> Record | None:
        """Move to cancelled and drop the result files; repeating it is harmless (the first
        ``reason`` stays). Raises Gone once the session has expired."""

    @abc.abstractmethod
    async def delete_file(self, download_id: str) -> bool: ...

    # -- events ------------------------------------------------------------

    @abc.abstractmethod
    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        """``async with store.subscribe(id) as events``: every change after entry, in order."""

    async def wait_for_change(self, session_id: str, version: int, timeout: float) -> None:
        """Return once the session's version differs from ``version``, after ``timeout``,
        or at once when the server starts shutting down."""
        async with self.subscribe(session_id) as subscription:
            record = await self.get(session_id)
            if record is None or record.version != version:
                return
            with contextlib.suppress(TimeoutError, Interrupted):
                async with asyncio.timeout(timeout):
                    await subscription.get()

    # -- lifetime ----------------------------------------------------------

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers."""

    @abc.abstractmethod
    def interrupt_waiters(self) -> None:
        """Wake every subscription's reader with :class:`Interrupted` (server shutdown)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop every timer and background task; the store is unusable afterwards."""
