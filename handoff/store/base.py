"""The store's records and its interface.

Handlers only talk to :class:`SessionStore`, so a shared backend for several
server processes can replace :class:`~handoff.store.memory.MemoryStore`
without touching them. Every status change goes through the store, which also
publishes the event, so a transition and its push cannot disagree.
"""

import abc
import asyncio
import hashlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, Conflict, Gone, NotFound

PENDING = "pending"
OPENED = "opened"
ACTION_STARTED = "action_started"
COMPLETED = "completed"
CANCELLED = "cancelled"
EXPIRED = "expired"
#: Statuses after which a desktop has nothing more to wait for.
FINAL = frozenset({COMPLETED, CANCELLED, EXPIRED})
#: Statuses after which nothing more happens to the session but its expiry.
CLOSED = frozenset({CANCELLED, EXPIRED})


@dataclass(slots=True, frozen=True)
class ResultInfo:
    """What the session's ``result`` list says about one file; never changes."""

    download_id: str
    content_type: str
    filename: str
    size: int
    sha256: str
    expires_at: float


@dataclass(slots=True, eq=False)
class ResultFile:
    """A stored file and who may read it."""

    info: ResultInfo
    data: bytes
    session_id: str
    owner: str
    client_secret: str


@dataclass(slots=True, frozen=True)
class NewFile:
    """A file a completed action produced, before it is stored.

    Build it with :meth:`of` inside the worker thread, so hashing stays off the loop.
    """

    content_type: str
    filename: str
    data: bytes
    sha256: str

    @classmethod
    def of(cls, content_type: str, filename: str, data: bytes) -> "NewFile":
        return cls(content_type, filename, data, hashlib.sha256(data).hexdigest())


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


@dataclass(slots=True, eq=False)
class Session:
    """A live session. Times are POSIX seconds; ``version`` grows on every change."""

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
    status: str = PENDING
    version: int = 1
    opened_at: float | None = None
    completed_at: float | None = None
    #: A tuple, so the many sessions without a result share the empty one.
    result: tuple[ResultInfo, ...] = ()
    #: Scan sessions: per document, the download ids of its PDF or its pages.
    scan_documents: list[dict[str, Any]] | None = None
    #: True while a phone upload is being processed (others get 409).
    busy: bool = False

    @property
    def expires_at(self) -> float:
        return self.created_at + self.session_ttl


@dataclass(slots=True, eq=False)
class Tombstone:
    """What is left of an expired session: just enough to answer ``expired``."""

    id: str
    owner: str
    phone_token: str
    client_secret: str
    status: str = EXPIRED
    version: int = 0


@dataclass(slots=True, frozen=True)
class Event:
    """A change, published after the store applied it.

    ``message`` is the websocket message for this version, rendered once at
    publication (so every subscriber sends the state as it was at that change).
    """

    session_id: str
    version: int
    status: str
    message: str


#: Renders a record into its event message; given to the store by the app.
EventRenderer = Callable[["Session | Tombstone", float], str]


class Subscription:
    """The changes of one session, in order, from the moment of subscribing.

    One reader at a time (a websocket's pump, or a long-poll). Most subscribers
    wait idle for minutes, so nothing is allocated until there is something to
    wait for or to hold: an ``asyncio.Queue`` would cost four deques (about
    3 KiB) per idle websocket.
    """

    __slots__ = ("session_id", "_events", "_waiter", "_on_close")

    def __init__(self, session_id: str, on_close: Any) -> None:
        self.session_id = session_id
        self._events: deque[Event] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._on_close = on_close

    def put(self, event: Event) -> None:
        if self._events is None:
            self._events = deque()
        self._events.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Event:
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.popleft()

    def close(self) -> None:
        self._on_close(self)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.get()


def ensure_accepts_upload(record: "Session | Tombstone | None") -> "Session":
    """The session a phone may still send to, or the error the phone should show."""
    if record is None:
        raise NotFound("This link is not valid.", code="session_not_found")
    if isinstance(record, Tombstone):
        raise Gone(
            "This link has expired; start again on your computer.",
            code="session_expired",
            extra={"status": EXPIRED},
        )
    if record.status == CANCELLED:
        raise Gone(
            "This request was cancelled on the computer.",
            code="session_cancelled",
            extra={"status": CANCELLED},
        )
    if record.status == COMPLETED:
        raise Conflict("This was already sent.", code="already_completed")
    return record


def page_limit_error(max_pages: int) -> BadRequest:
    return BadRequest(
        f"This scan already has the most pages allowed ({max_pages}); send it or remove a page.",
        code="too_many_pages",
        extra={"limit": max_pages},
    )


def finalizing_error() -> Conflict:
    return Conflict(
        "The scan is being finished; no pages can be changed now.", code="upload_in_progress"
    )


class SessionStore(abc.ABC):
    """Sessions, tombstones and result files, with their timers and events."""

    @abc.abstractmethod
    async def create(self, spec: NewSession) -> Session: ...

    @abc.abstractmethod
    async def get(self, session_id: str) -> Session | Tombstone | None: ...

    @abc.abstractmethod
    async def get_by_token(self, phone_token: str) -> Session | Tombstone | None: ...

    @abc.abstractmethod
    async def session_for_secret(self, client_secret: str) -> str | None:
        """The id of the session a client secret belongs to, if any."""

    @abc.abstractmethod
    async def list_live(self, owner: str) -> list[Session]:
        """The owner's sessions that have not expired, newest first."""

    @abc.abstractmethod
    async def mark_opened(self, session: Session) -> None:
        """pending → opened; any other status is left as it is."""

    @abc.abstractmethod
    async def mark_action_started(self, session: Session) -> None:
        """pending/opened → action_started; any other status is left as it is."""

    @abc.abstractmethod
    async def claim_upload(self, session: Session) -> None:
        """Reserve the session for one upload; raises Conflict or Gone."""

    @abc.abstractmethod
    async def release_upload(self, session: Session) -> None: ...

    @abc.abstractmethod
    async def put_scan_page(
        self, session: Session, document_index: int, page_index: int, page: bytes, *,
        max_pages: int,
    ) -> int:
        """Hold one processed scan page until finalize; returns how many are held.

        A page at an index already held replaces it (a retake). Raises BadRequest
        when a new page would pass ``max_pages``, Conflict while the session is
        being finalized, and what :func:`ensure_accepts_upload` raises."""

    @abc.abstractmethod
    async def scan_pages(self, session: Session) -> list[list[bytes]]:
        """The held pages grouped by document, documents and pages in index order."""

    @abc.abstractmethod
    async def clear_scan_pages(self, session: Session) -> None:
        """Drop every held page (the phone starts sending afresh); raises like put."""

    @abc.abstractmethod
    async def complete(
        self,
        session: Session,
        files: list[NewFile],
        scan_documents: list[dict[str, Any]] | None = None,
    ) -> list[ResultInfo]:
        """Store the files and move to completed; held scan pages are dropped.
        ``scan_documents`` refer to files by their index in ``files``
        (``{"pdf": i}`` or ``{"pages": [i, ...]}``)."""

    @abc.abstractmethod
    async def cancel(self, session: Session) -> None:
        """Move to cancelled and drop the result files; repeating it is harmless."""

    @abc.abstractmethod
    async def get_file(self, download_id: str) -> ResultFile | None: ...

    @abc.abstractmethod
    async def delete_file(self, download_id: str) -> bool: ...

    @abc.abstractmethod
    def subscribe(self, session_id: str) -> Subscription: ...

    @abc.abstractmethod
    async def wait_for_change(self, session_id: str, version: int, timeout: float) -> None:
        """Return once the session's version differs from ``version``, or after ``timeout``."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Cancel every timer; the store is empty afterwards."""
