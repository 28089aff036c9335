"""The in-memory store: one event loop, no locks, one timer handle per timed entry."""

import asyncio
import contextvars
import logging
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import Conflict, Gone
from .base import (
    ACTION_STARTED,
    CANCELLED,
    COMPLETED,
    OPENED,
    PENDING,
    Event,
    EventRenderer,
    NewFile,
    NewSession,
    ResultFile,
    ResultInfo,
    Session,
    SessionStore,
    Subscription,
    Tombstone,
    ensure_accepts_upload,
    finalizing_error,
    page_limit_error,
)

log = logging.getLogger(__name__)

#: Sessions expired, or tombstones forgotten, per loop iteration: timers that fall due
#: together all run in one iteration, so a mass expiry is queued and done in batches
#: rather than stalling every request for as long as it takes.
BATCH = 500


class MemoryStore(SessionStore):
    """Everything lives in dicts on one loop; must be created inside a running loop.

    Each live session has one timer, its expiry; each file has its own. A timer
    is cancelled whenever its entry goes early, so a stale timer can never
    remove a fresh entry. Tombstones all last ``tombstone_ttl``, so they are
    forgotten in the order they were made: one queue and one timer serve them
    all, which keeps a tombstone small.
    """

    def __init__(
        self,
        *,
        tombstone_ttl: float,
        render: EventRenderer,
        release: Callable[[str], None] = lambda session_id: None,
    ) -> None:
        """``release(session_id)`` is called at expiry, to drop what was derived from it."""
        self._loop = asyncio.get_running_loop()
        self._render = render
        self._release = release
        self._tombstone_ttl = tombstone_ttl
        self._records: dict[str, Session | Tombstone] = {}
        self._by_token: dict[str, Session | Tombstone] = {}
        self._by_secret: dict[str, str] = {}
        self._by_owner: dict[str, dict[str, None]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._files: dict[str, ResultFile] = {}
        self._file_timers: dict[str, asyncio.TimerHandle] = {}
        self._watchers: dict[str, set[Subscription]] = {}
        #: Scan pages held until finalize: session id -> (document, page) -> JPEG.
        self._scan_pages: dict[str, dict[tuple[int, int], bytes]] = {}
        #: (loop time to forget it, session id) of each tombstone, oldest first.
        self._graves: deque[tuple[float, str]] = deque()
        self._grave_timer: asyncio.TimerHandle | None = None
        # Every session timer shares one bound method and one empty context, where
        # call_later would otherwise make both per timer (about 0.13 KiB a session).
        self._on_due = self._expire_soon
        self._timer_context = contextvars.Context()
        #: Most records held since the indexes were last rebuilt (see _compact).
        self._peak = 0
        #: Ids of sessions whose expiry timer fired, waiting for their batch.
        self._due: deque[str] = deque()
        self._due_handle: asyncio.Handle | None = None

    # -- reading -----------------------------------------------------------

    async def get(self, session_id: str) -> Session | Tombstone | None:
        return self._records.get(session_id)

    async def get_by_token(self, phone_token: str) -> Session | Tombstone | None:
        return self._by_token.get(phone_token)

    async def session_for_secret(self, client_secret: str) -> str | None:
        return self._by_secret.get(client_secret)

    async def list_live(self, owner: str) -> list[Session]:
        ids = self._by_owner.get(owner, {})
        return [self._records[sid] for sid in reversed(ids)]  # type: ignore[misc]

    async def get_file(self, download_id: str) -> ResultFile | None:
        return self._files.get(download_id)

    # -- changes -----------------------------------------------------------

    async def create(self, spec: NewSession) -> Session:
        session = Session(
            id=str(uuid.uuid4()),
            owner=spec.owner,
            action_type=spec.action_type,
            output_format=spec.output_format,
            intro_text=spec.intro_text,
            session_ttl=spec.session_ttl,
            result_ttl=spec.result_ttl,
            metadata=spec.metadata,
            document_mode=spec.document_mode,
            phone_token=secrets.token_urlsafe(18),
            client_secret=secrets.token_urlsafe(32),
            created_at=time.time(),
        )
        self._records[session.id] = session
        self._peak = max(self._peak, len(self._records))
        self._by_token[session.phone_token] = session
        self._by_secret[session.client_secret] = session.id
        self._by_owner.setdefault(session.owner, {})[session.id] = None
        self._timers[session.id] = self._loop.call_later(
            spec.session_ttl, self._on_due, session.id, context=self._timer_context
        )
        return session

    async def mark_opened(self, session: Session) -> None:
        if session.status == PENDING and self._is_live(session):
            session.opened_at = time.time()
            self._change(session, OPENED)

    async def mark_action_started(self, session: Session) -> None:
        if session.status in (PENDING, OPENED) and self._is_live(session):
            if session.opened_at is None:
                session.opened_at = time.time()
            self._change(session, ACTION_STARTED)

    async def claim_upload(self, session: Session) -> None:
        self._check_accepts_upload(session)
        if session.busy:
            raise Conflict(
                "Another upload for this session is being processed; wait for it to finish.",
                code="upload_in_progress",
            )
        session.busy = True

    async def release_upload(self, session: Session) -> None:
        session.busy = False

    async def put_scan_page(
        self, session: Session, document_index: int, page_index: int, page: bytes, *,
        max_pages: int,
    ) -> int:
        self._check_scan_change(session)
        held = self._scan_pages.setdefault(session.id, {})
        key = (document_index, page_index)
        if key not in held and len(held) >= max_pages:
            raise page_limit_error(max_pages)
        held[key] = page
        return len(held)

    async def scan_pages(self, session: Session) -> list[list[bytes]]:
        documents: dict[int, list[tuple[int, bytes]]] = {}
        for (document, page), data in sorted(self._scan_pages.get(session.id, {}).items()):
            documents.setdefault(document, []).append((page, data))
        return [[data for _, data in pages] for pages in documents.values()]

    async def clear_scan_pages(self, session: Session) -> None:
        self._check_scan_change(session)
        self._scan_pages.pop(session.id, None)

    async def complete(
        self,
        session: Session,
        files: list[NewFile],
        scan_documents: list[dict[str, Any]] | None = None,
    ) -> list[ResultInfo]:
        self._check_accepts_upload(session)
        now = time.time()
        infos = [self._store_file(session, new, now) for new in files]
        if scan_documents is not None:
            session.scan_documents = [
                {key: _pick(infos, value) for key, value in document.items()}
                for document in scan_documents
            ]
        session.result = tuple(infos)
        self._scan_pages.pop(session.id, None)
        session.completed_at = now
        session.busy = False
        self._change(session, COMPLETED)
        return infos

    async def cancel(self, session: Session) -> None:
        if session.status == CANCELLED:
            return
        if not self._is_live(session):
            raise Gone("This session has expired.", code="session_expired", extra={"status": "expired"})
        for info in session.result:
            self._drop_file(info.download_id)
        session.result = ()
        session.scan_documents = None
        self._scan_pages.pop(session.id, None)
        self._change(session, CANCELLED)

    async def delete_file(self, download_id: str) -> bool:
        return self._drop_file(download_id)

    # -- events ------------------------------------------------------------

    def subscribe(self, session_id: str) -> Subscription:
        subscription = Subscription(session_id, self._unsubscribe)
        self._watchers.setdefault(session_id, set()).add(subscription)
        return subscription

    async def wait_for_change(self, session_id: str, version: int, timeout: float) -> None:
        subscription = self.subscribe(session_id)
        try:
            record = self._records.get(session_id)
            if record is None or record.version != version:
                return
            async with asyncio.timeout(timeout):
                await subscription.get()
        except TimeoutError:
            pass
        finally:
            subscription.close()

    async def close(self) -> None:
        for handle in [*self._timers.values(), *self._file_timers.values()]:
            handle.cancel()
        for pending in (self._grave_timer, self._due_handle):
            if pending is not None:
                pending.cancel()
        self._grave_timer = self._due_handle = None
        self._graves.clear()
        self._due.clear()
        self._timers.clear()
        self._file_timers.clear()
        self._records.clear()
        self._by_token.clear()
        self._by_secret.clear()
        self._by_owner.clear()
        self._files.clear()
        self._scan_pages.clear()

    # -- internals ---------------------------------------------------------

    def _is_live(self, session: Session) -> bool:
        return self._records.get(session.id) is session

    def _check_accepts_upload(self, session: Session) -> None:
        # The record under the id may by now be the tombstone of this session.
        ensure_accepts_upload(self._records.get(session.id))

    def _check_scan_change(self, session: Session) -> None:
        self._check_accepts_upload(session)
        if session.busy:
            raise finalizing_error()

    def _change(self, session: Session, status: str) -> None:
        session.status = status
        session.version += 1
        self._publish(session)

    def _publish(self, record: Session | Tombstone) -> None:
        watchers = self._watchers.get(record.id)
        if not watchers:
            return
        event = Event(record.id, record.version, record.status, self._render(record, time.time()))
        for subscription in list(watchers):
            subscription.put(event)

    def _unsubscribe(self, subscription: Subscription) -> None:
        watchers = self._watchers.get(subscription.session_id)
        if watchers is not None:
            watchers.discard(subscription)
            if not watchers:
                del self._watchers[subscription.session_id]

    def _expire_soon(self, session_id: str) -> None:
        self._due.append(session_id)
        if self._due_handle is None:
            self._due_handle = self._loop.call_soon(self._expire_due)

    def _expire_due(self) -> None:
        """Expire the sessions whose timers fired, a batch per loop iteration."""
        self._due_handle = None
        due = self._due
        for _ in range(min(BATCH, len(due))):
            self._expire(due.popleft())
        if due:
            self._due_handle = self._loop.call_soon(self._expire_due)

    def _expire(self, session_id: str) -> None:
        session = self._records.get(session_id)
        if not isinstance(session, Session):
            return
        tombstone = Tombstone(
            id=session.id,
            owner=session.owner,
            phone_token=session.phone_token,
            client_secret=session.client_secret,
            version=session.version + 1,
        )
        self._records[session_id] = tombstone
        self._scan_pages.pop(session_id, None)
        self._by_token[session.phone_token] = tombstone
        owned = self._by_owner.get(session.owner)
        if owned is not None:
            owned.pop(session_id, None)
            if not owned:
                del self._by_owner[session.owner]
        self._timers.pop(session_id, None)
        self._release(session_id)
        self._graves.append((self._loop.time() + self._tombstone_ttl, session_id))
        if self._grave_timer is None:
            self._grave_timer = self._loop.call_at(self._graves[0][0], self._forget_due)
        log.debug("session %s expired", session_id)
        self._publish(tombstone)

    def _forget_due(self) -> None:
        """Forget the tombstones whose time has come, a batch per loop iteration."""
        self._grave_timer = None
        now = self._loop.time()
        graves = self._graves
        for _ in range(BATCH):
            if not graves or graves[0][0] > now:
                break
            self._forget(graves.popleft()[1])
        if graves:
            # A time already past runs on the next iteration, after what else is ready.
            self._grave_timer = self._loop.call_at(graves[0][0], self._forget_due)
        self._compact()

    def _compact(self) -> None:
        """Rebuild the indexes once they hold under a quarter of their peak.

        A dict never gives back the room it grew to, so after a wave of sessions
        is forgotten the memory would stay at its high-water mark.
        """
        size = len(self._records)
        if size * 4 >= self._peak:
            return
        self._records = dict(self._records)
        self._by_token = dict(self._by_token)
        self._by_secret = dict(self._by_secret)
        self._timers = dict(self._timers)
        self._by_owner = {owner: dict(ids) for owner, ids in self._by_owner.items()}
        self._peak = size

    def _forget(self, session_id: str) -> None:
        record = self._records.pop(session_id, None)
        if record is not None:
            self._by_token.pop(record.phone_token, None)
            self._by_secret.pop(record.client_secret, None)

    def _store_file(self, session: Session, new: NewFile, now: float) -> ResultInfo:
        info = ResultInfo(
            download_id=str(uuid.uuid4()),
            content_type=new.content_type,
            filename=new.filename,
            size=len(new.data),
            sha256=new.sha256,
            expires_at=now + session.result_ttl,
        )
        self._files[info.download_id] = ResultFile(
            info=info,
            data=new.data,
            session_id=session.id,
            owner=session.owner,
            client_secret=session.client_secret,
        )
        self._file_timers[info.download_id] = self._loop.call_later(
            session.result_ttl, self._drop_file, info.download_id
        )
        return info

    def _drop_file(self, download_id: str) -> bool:
        handle = self._file_timers.pop(download_id, None)
        if handle is not None:
            handle.cancel()
        return self._files.pop(download_id, None) is not None


def _pick(infos: list[ResultInfo], value: Any) -> Any:
    if isinstance(value, int):
        return infos[value].download_id
    return [infos[index].download_id for index in value]
