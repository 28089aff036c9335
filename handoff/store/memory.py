"""The in-memory store: one event loop, no locks; session expiries share one timer."""

import asyncio
import dataclasses
import gc
import heapq
import logging
import math
import secrets
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from .. import shortcode
from ..heap import release_free_memory
from ..domain import NewFile, Status
from .pending import Packer, Pending
from .tombstones import CODE, ID, SECRET, TOKEN, Pack, Packs
from .watchers import Watchers, newest_first
from .base import (
    LEASE_TTL,
    Event,
    Lease,
    NewSession,
    Record,
    ResultInfo,
    ScanLayout,
    Session,
    SessionPage,
    SessionStore,
    StoredFile,
    Subscription,
    Tombstone,
    ensure_accepts_upload,
    expired_error,
    finalizing_error,
    new_session_record,
    page_limit_error,
    parse_cursor,
    resolve_layout,
    upload_busy_error,
)

log = logging.getLogger(__name__)

#: Sessions expired, or tombstones forgotten, per loop iteration: timers that fall due
#: together all run in one iteration, so a mass expiry is queued and done in batches
#: rather than stalling every request for as long as it takes.
BATCH = 500
#: Longest a tombstone may outlive its ``tombstone_ttl`` (see ``_graves``), in seconds.
GRAIN = 1.0
#: Longest a session's expiry may wait past its deadline for the timer (see ``_wheel``),
#: in seconds; a read past the deadline expires it at once whatever the timer did.
TICK = 0.1
#: Tombstones packed together (see :class:`.tombstones.Pack`) once that many are
#: unpacked: packing one costs a few microseconds, and a tombstone lookup that misses
#: looks through every pack (about a microsecond each).
PACK = 2048
#: Owner ids looked at per loop iteration when an owner's expired ids are swept out.
SWEEP_SLICE = 4096
#: Tombstones forgotten between two full garbage collections (see _forget_due).
WAVE = 10_000
#: Sessions kept as rebuilt from their Pending (see ``_record``): enough for the
#: sessions desktops poll at once, few enough to be a rounding error beside the rest.
REBUILT = 1024
#: Bytes per chunk of a download.
CHUNK = 256 * 1024


class MemoryStore(SessionStore):
    """Everything lives in dicts on one loop; must be created inside a running loop.

    Session expiries wait in buckets of one ``TICK`` each, under one timer for the
    earliest bucket: a ``TimerHandle`` per session cost about 0.22 KiB of it (the
    handle, its heap slot and an index entry), a bucket slot costs 8 bytes. An
    entry left in a bucket by a session expired early does nothing when its
    bucket falls due (a session id is never reused), and a read past a session's
    deadline expires it at once, so a late bucket never shows a stale session.
    Each file has a timer of its own, cancelled when the file goes early.
    Tombstones all last ``tombstone_ttl``, so they are forgotten in the order
    they were made: one queue and one timer serve them all. They are numbered in
    that order and packed ``PACK`` at a time (:mod:`.tombstones`), so forgetting
    packed ones only moves a number on.
    """

    def __init__(self, *, tombstone_ttl: float, lease_ttl: float = LEASE_TTL) -> None:
        super().__init__()
        self._loop = asyncio.get_running_loop()
        self._tombstone_ttl = tombstone_ttl
        self._lease_ttl = lease_ttl
        #: Sessions not changed since they were made are held as a Pending (see there).
        self._records: dict[str, Record | Pending] = {}
        self._packer = Packer()
        #: The Sessions last rebuilt from a Pending, oldest first, so that polling one
        #: does not rebuild it on every read; dropped when the session changes or expires.
        self._rebuilt: dict[str, Session] = {}
        #: Phone tokens, client secrets and short codes -> session id, in one dict: three
        #: dicts of 100,000 took 11.3 MB, one of 300,000 takes 7.5 (a dict whose keys are
        #: all strings stores no hashes; an int key among them would cost 2.5 MB more).
        #: The three never share a string (24, 43 and 8 characters), and a lookup checks
        #: that what it found is of its kind, so no credential is taken for another
        #: (see _find).
        self._by_key: dict[str, str] = {}
        #: Each owner's session ids, oldest first, and how many of them have expired since:
        #: a list slot is 8 bytes where a dict entry was about 38, and expired ids are
        #: swept out once they are half the list (so listing never wades through many).
        self._by_owner: dict[str, list[str]] = {}
        self._stale: dict[str, int] = {}
        #: Owners whose lists are being swept, a slice per loop iteration.
        self._sweeping: set[str] = set()
        #: Expiry buckets: tick number (loop time / TICK, rounded up) -> session ids due
        #: then; ``_ticks`` is a heap of the bucket numbers, ``_tick_timer`` fires the first.
        self._wheel: dict[int, list[str]] = {}
        self._ticks: list[int] = []
        self._tick_timer: asyncio.TimerHandle | None = None
        self._live = 0
        self._files: dict[str, tuple[StoredFile, bytes]] = {}
        self._file_timers: dict[str, asyncio.TimerHandle] = {}
        #: session id -> (lease token, loop time it lapses).
        self._leases: dict[str, tuple[str, float]] = {}
        self._watchers = Watchers()
        #: Scan pages held until finalize: session id -> (document, page) -> JPEG.
        self._scan_pages: dict[str, dict[tuple[int, int], bytes]] = {}
        #: (loop time to forget them, number after the newest of them) of the tombstones
        #: made within one grain of each other, oldest first: one entry per grain rather
        #: than per tombstone, at the price of forgetting up to a grain late.
        self._graves: deque[tuple[float, int]] = deque()
        #: The ids of the newest tombstones, not yet packed, oldest first (numbered from
        #: ``_unpacked_from``; ``_records`` and the indexes hold them), and the packed ones.
        self._unpacked: deque[str] = deque()
        self._unpacked_from = 0
        self._packs = Packs()
        self._grain = min(GRAIN, tombstone_ttl / 8)
        self._grave_timer: asyncio.TimerHandle | None = None
        #: Most records held since the indexes were last rebuilt (see _compact).
        self._peak = 0
        #: Tombstones forgotten in packs since the last full garbage collection.
        self._forgotten = 0
        #: Ids of sessions whose expiry timer fired, waiting for their batch.
        self._due: deque[str] = deque()
        self._due_handle: asyncio.Handle | None = None
        #: The indexes are due to be rebuilt (see _compact), as a chore (see _chores).
        self._compact_wanted = False
        #: The newest session's created_at (see create).
        self._last_created = 0.0

    # -- reading -----------------------------------------------------------

    async def get(self, session_id: str) -> Record | None:
        return self._current(session_id)

    async def get_by_token(self, phone_token: str) -> Record | None:
        session_id = self._find(TOKEN, phone_token)
        if session_id is None:
            return self._packs.find(TOKEN, phone_token)
        return self._current(session_id)

    async def get_by_short_code(self, short_code: str) -> Record | None:
        session_id = self._find(CODE, short_code)
        if session_id is None:
            return self._packs.find(CODE, short_code)
        return self._current(session_id)

    async def session_for_secret(self, client_secret: str) -> str | None:
        session_id = self._find(SECRET, client_secret)
        if session_id is None and (packed := self._packs.find(SECRET, client_secret)):
            return packed.id
        return session_id

    async def list_live(
        self, owner: str, *, limit: int = 100, cursor: str | None = None
    ) -> SessionPage:
        ids = reversed(self._by_owner.get(owner, ()))
        records = (self._current(i, packed=False) for i in ids)
        return newest_first(records, parse_cursor(cursor), limit)

    async def count_live(self) -> int:
        return self._live

    async def file_info(self, download_id: str) -> StoredFile | None:
        entry = self._files.get(download_id)
        return None if entry is None else entry[0]

    async def file_chunks(self, download_id: str) -> AsyncIterator[bytes]:
        entry = self._files.get(download_id)
        if entry is None:
            return
        data = memoryview(entry[1])
        for start in range(0, len(data), CHUNK):
            yield bytes(data[start : start + CHUNK])

    # -- changes -----------------------------------------------------------

    async def create(self, spec: NewSession) -> Session:
        # Listing walks the sessions in the order they were made and pages by
        # (created_at, id): no two may share an instant, and a clock stepped back
        # must not put a session before an older one.
        created_at = max(time.time(), math.nextafter(self._last_created, math.inf))
        self._last_created = created_at
        session = new_session_record(spec, created_at=created_at)
        keys = self._by_key
        while session.short_code in keys:  # one in a trillion: draw again
            session = dataclasses.replace(session, short_code=shortcode.new_code())
        self._records[session.id] = self._packer.pending(session)
        self._peak = max(self._peak, len(self._records))
        keys[session.phone_token] = keys[session.client_secret] = keys[session.short_code] = (
            session.id)
        self._by_owner.setdefault(session.owner, []).append(session.id)
        self._live += 1
        self._schedule_expiry(session.id, spec.session_ttl)
        return session

    async def mark_opened(self, session_id: str) -> Record | None:
        record = self._current(session_id)
        if isinstance(record, Session) and record.status == Status.PENDING:
            return self._change(record, Status.OPENED, opened_at=time.time())
        return record

    async def mark_action_started(self, session_id: str) -> Record | None:
        record = self._current(session_id)
        if isinstance(record, Session) and record.status in (Status.PENDING, Status.OPENED):
            return self._change(
                record, Status.ACTION_STARTED, opened_at=record.opened_at or time.time()
            )
        return record

    async def acquire_upload(self, session_id: str) -> Lease:
        ensure_accepts_upload(self._current(session_id))
        if self._lease_holder(session_id) is not None:
            raise upload_busy_error()
        lease = Lease(session_id, secrets.token_urlsafe(12))
        self._leases[session_id] = (lease.token, self._loop.time() + self._lease_ttl)
        return lease

    async def release_upload(self, lease: Lease) -> None:
        if self._lease_holder(lease.session_id) == lease.token:
            del self._leases[lease.session_id]

    async def put_scan_page(
        self, session_id: str, document_index: int, page_index: int, page: bytes, *,
        max_pages: int,
    ) -> int:
        self._check_scan_change(session_id)
        held = self._scan_pages.setdefault(session_id, {})
        key = (document_index, page_index)
        if key not in held and len(held) >= max_pages:
            raise page_limit_error(max_pages)
        held[key] = page
        self._progress(session_id, len(held))
        return len(held)

    async def scan_pages(self, session_id: str) -> list[list[bytes]]:
        documents: dict[int, list[bytes]] = {}
        for (document, _), data in sorted(self._scan_pages.get(session_id, {}).items()):
            documents.setdefault(document, []).append(data)
        return list(documents.values())

    async def clear_scan_pages(self, session_id: str) -> None:
        self._check_scan_change(session_id)
        self._scan_pages.pop(session_id, None)
        self._progress(session_id, 0)

    async def complete(
        self, lease: Lease, files: list[NewFile], scan_documents: ScanLayout | None = None
    ) -> Session:
        session = ensure_accepts_upload(self._current(lease.session_id))
        if self._lease_holder(lease.session_id) != lease.token:
            raise upload_busy_error()
        now = time.time()
        infos = [self._store_file(session, new, now) for new in files]
        layout = resolve_layout(infos, scan_documents)
        self._scan_pages.pop(session.id, None)
        del self._leases[session.id]
        return self._change(
            session, Status.COMPLETED, result=tuple(infos), scan_documents=layout,
            completed_at=now,
        )

    async def cancel(self, session_id: str, reason: str | None = None) -> Record | None:
        record = self._current(session_id)
        if record is None or record.status == Status.CANCELLED:
            return record
        if isinstance(record, Tombstone):
            raise expired_error()
        for info in record.result:
            self._drop_file(info.download_id)
        self._scan_pages.pop(session_id, None)
        return self._change(
            record, Status.CANCELLED, result=(), scan_documents=None, cancel_reason=reason
        )

    async def delete_file(self, download_id: str) -> bool:
        return self._drop_file(download_id)

    # -- events ------------------------------------------------------------

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._watchers.subscribe(session_id)

    def interrupt_waiters(self) -> None:
        self._watchers.interrupt_all()

    # -- lifetime ----------------------------------------------------------

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        for handle in self._file_timers.values():
            handle.cancel()
        for pending in (self._grave_timer, self._due_handle, self._tick_timer):
            if pending is not None:
                pending.cancel()
        self._grave_timer = self._due_handle = self._tick_timer = None
        self._compact_wanted = False
        self._live = 0
        for collection in (
            self._graves, self._unpacked, self._packs, self._due, self._wheel, self._ticks,
            self._file_timers, self._records, self._rebuilt,
            self._by_key, self._by_owner, self._stale,
            self._sweeping,
            self._files, self._scan_pages, self._leases,
        ):
            collection.clear()

    # -- internals ---------------------------------------------------------

    def _current(self, session_id: str, *, packed: bool = True) -> Record | None:
        """The record under the id, expired first if its deadline has passed; ``packed``
        looks through the packed tombstones too."""
        record = self._record(session_id)
        if record is None and packed:
            return self._packs.find(ID, session_id)
        if isinstance(record, Session) and time.time() >= record.expires_at:
            return self._expire(session_id)
        return record

    def _find(self, kind: int, key: str) -> str | None:
        """The id of the unpacked session whose field ``kind`` (TOKEN, SECRET or CODE) is
        ``key``: a phone token presented as a client secret, say, finds nothing."""
        session_id = self._by_key.get(key)
        record = None if session_id is None else self._records.get(session_id)
        if record is None:
            return None
        held = (record.phone_token if kind == TOKEN else
                record.client_secret if kind == SECRET else record.short_code)
        return session_id if held == key else None

    def _record(self, session_id: str) -> Record | None:
        """The record under the id as it is, a Pending rebuilt as its Session."""
        record = self._records.get(session_id)
        if not isinstance(record, Pending):
            return record
        rebuilt = self._rebuilt
        session = rebuilt.get(session_id)
        if session is None:
            if len(rebuilt) >= REBUILT:
                del rebuilt[next(iter(rebuilt))]
            session = rebuilt[session_id] = record.session()
        return session

    def _lease_holder(self, session_id: str) -> str | None:
        held = self._leases.get(session_id)
        if held is None:
            return None
        if held[1] <= self._loop.time():
            del self._leases[session_id]
            return None
        return held[0]

    def _check_scan_change(self, session_id: str) -> None:
        ensure_accepts_upload(self._current(session_id))
        if self._lease_holder(session_id) is not None:
            raise finalizing_error()

    def _change(self, session: Session, status: Status, **fields: Any) -> Session:
        changed = dataclasses.replace(session, status=status, version=session.version + 1, **fields)
        self._records[session.id] = changed
        self._rebuilt.pop(session.id, None)
        self._publish(changed)
        return changed

    def _progress(self, session_id: str, pages: int) -> None:
        """A new version with the pages held, for subscribers; no status changed, so no listener."""
        session = self._record(session_id)
        assert isinstance(session, Session)
        if session.scan_pages == pages:
            return
        changed = dataclasses.replace(session, version=session.version + 1, scan_pages=pages)
        self._records[session_id] = changed
        self._rebuilt.pop(session_id, None)
        if self._watchers.watched(session_id):
            self._watchers.deliver(Event(changed, time.time()))

    def _publish(self, record: Record) -> None:
        self._announce(record)
        if self._watchers.watched(record.id):
            self._watchers.deliver(Event(record, time.time()))

    def _schedule_expiry(self, session_id: str, ttl: float) -> None:
        tick = math.ceil((self._loop.time() + ttl) / TICK)
        bucket = self._wheel.get(tick)
        if bucket is not None:
            bucket.append(session_id)
            return
        self._wheel[tick] = [session_id]
        heapq.heappush(self._ticks, tick)
        if self._ticks[0] == tick:  # the new first bucket: the timer moves to it
            if self._tick_timer is not None:
                self._tick_timer.cancel()
            self._tick_timer = self._loop.call_at(tick * TICK, self._tick)

    def _tick(self) -> None:
        """Queue the sessions of every bucket now due, to expire a batch at a time."""
        self._tick_timer = None
        now = self._loop.time()
        ticks = self._ticks
        while ticks and ticks[0] * TICK <= now:
            self._due.extend(self._wheel.pop(heapq.heappop(ticks)))
        if ticks:
            self._tick_timer = self._loop.call_at(ticks[0] * TICK, self._tick)
        if self._due:
            self._plan_chores()

    def _plan_chores(self) -> None:
        if self._due_handle is None:
            self._due_handle = self._loop.call_soon(self._chores)

    def _chores(self) -> None:
        """One chore per loop iteration: a pack of tombstones, else a rebuild of the
        indexes, else a batch of the sessions whose timers fired. Each takes up to tens
        of milliseconds while a wave of sessions expires; all in one iteration, they
        held the loop past 100 ms."""
        self._due_handle = None
        if len(self._unpacked) >= PACK:
            self._pack()
        elif self._compact_wanted:
            self._compact()
        else:
            due = self._due
            for _ in range(min(BATCH, len(due))):
                self._expire(due.popleft())
        if self._due or self._compact_wanted or len(self._unpacked) >= PACK:
            self._plan_chores()

    def _expire(self, session_id: str) -> Record | None:
        session = self._record(session_id)
        if not isinstance(session, Session):
            return session
        tombstone = Tombstone(
            id=session.id,
            owner=session.owner,
            phone_token=session.phone_token,
            client_secret=session.client_secret,
            version=session.version + 1,
            short_code=session.short_code,
            action_type=session.action_type,
            was=session.status.value,
        )
        self._records[session_id] = tombstone
        self._rebuilt.pop(session_id, None)
        self._live -= 1
        self._scan_pages.pop(session_id, None)
        self._leases.pop(session_id, None)
        self._sweep_owner(session.owner)
        self._unpacked.append(session_id)
        after = self._unpacked_from + len(self._unpacked)
        forget_at = self._loop.time() + self._tombstone_ttl
        graves = self._graves
        if graves and forget_at <= graves[-1][0]:
            graves[-1] = (graves[-1][0], after)
        else:
            graves.append((forget_at + self._grain, after))
        if len(self._unpacked) >= PACK:
            self._plan_chores()
        if self._grave_timer is None:
            self._grave_timer = self._loop.call_at(self._graves[0][0], self._forget_due)
        log.debug("session %s expired", session_id)
        self._publish(tombstone)
        return tombstone

    def _sweep_owner(self, owner: str) -> None:
        """Count one more of the owner's sessions expired; sweep the expired ids out at half."""
        stale = self._stale.get(owner, 0) + 1
        if stale * 2 < len(self._by_owner.get(owner, ())) or owner in self._sweeping:
            self._stale[owner] = stale
            return
        self._stale.pop(owner, None)
        self._sweeping.add(owner)
        self._loop.call_soon(self._sweep_slice, owner, 0)

    def _sweep_slice(self, owner: str, start: int) -> None:
        """Keep the live ids among ``SWEEP_SLICE`` of the owner's from ``start`` on, then
        go on at the next loop iteration (100,000 ids at once held the loop 80 ms).
        Ids added meanwhile go at the end and are looked at too; those expired behind
        the sweep count toward the next one."""
        owned = self._by_owner.get(owner)
        if owned is None:
            self._sweeping.discard(owner)
            return
        records, end = self._records, start + SWEEP_SLICE
        kept = [i for i in owned[start:end] if isinstance(records.get(i), (Session, Pending))]
        owned[start:end] = kept
        start += len(kept)
        if start < len(owned):
            self._loop.call_soon(self._sweep_slice, owner, start)
            return
        self._sweeping.discard(owner)
        if not owned:
            del self._by_owner[owner]

    def _pack(self) -> None:
        """Pack the oldest ``PACK`` unpacked tombstones, taking them out of the records and
        indexes, which may then want rebuilding."""
        unpacked, records = self._unpacked, self._records
        tombstones = []
        for _ in range(PACK):
            record = records[unpacked.popleft()]
            assert isinstance(record, Tombstone)
            tombstones.append(record)
            self._forget(record.id)
        self._packs.add(Pack(self._unpacked_from, tombstones))
        self._unpacked_from += len(tombstones)
        self._compact_wanted = True

    def _forget_due(self) -> None:
        """Forget the tombstones whose time has come: the packed ones at once, the
        others a batch per loop iteration."""
        self._grave_timer = None
        now = self._loop.time()
        graves, packs, unpacked = self._graves, self._packs, self._unpacked
        dropped = 0
        while graves and graves[0][0] <= now:
            dropped += packs.forget_below(graves.popleft()[1])
        for _ in range(min(BATCH, packs.forgotten - self._unpacked_from)):
            self._forget(unpacked.popleft())
            self._unpacked_from += 1
        # A time already past runs on the next iteration, after what else is ready.
        if self._unpacked_from < packs.forgotten:
            self._grave_timer = self._loop.call_at(now, self._forget_due)
        elif graves:
            self._grave_timer = self._loop.call_at(graves[0][0], self._forget_due)
        if dropped:
            self._forgotten += dropped * PACK
            if self._forgotten >= WAVE:
                # The requests that made these sessions left reference cycles (closed
                # connections' transports and protocols, above all). Only a full
                # collection frees them, an idle server makes none, and they pin much
                # of the wave's memory (about 11 MiB after 100,000 sessions, measured
                # with a server process; bench/RESULTS.md, issue 14, fourth round).
                # Here, not while the wave expires, where the pause would add to the
                # expiry batches.
                self._forgotten = 0
                gc.collect()
        if not self._compact() and dropped:
            release_free_memory()  # a pack's blob and arrays may sit inside the C heap

    def _compact(self) -> bool:
        """Rebuild the indexes once they hold under a quarter of their peak; True if so.

        A dict never gives back the room it grew to, so after a wave of sessions
        is forgotten the memory would stay at its high-water mark.
        """
        self._compact_wanted = False
        size = len(self._records)
        if size * 4 >= self._peak:
            return False
        self._records = dict(self._records)
        self._by_key = dict(self._by_key)
        self._peak = size
        release_free_memory()
        return True

    def _forget(self, session_id: str) -> None:
        record = self._records.pop(session_id, None)
        if record is not None:
            keys = self._by_key
            for key in (record.phone_token, record.client_secret, record.short_code):
                keys.pop(key, None)

    def _store_file(self, session: Session, new: NewFile, now: float) -> ResultInfo:
        info = ResultInfo(
            download_id=str(uuid.uuid4()),
            content_type=new.content_type,
            filename=new.filename,
            size=len(new.data),
            sha256=new.sha256,
            expires_at=now + session.result_ttl,
        )
        stored = StoredFile(info, session.id, session.owner, session.client_secret)
        self._files[info.download_id] = (stored, new.data)
        self._file_timers[info.download_id] = self._loop.call_later(
            session.result_ttl, self._drop_file, info.download_id
        )
        return info

    def _drop_file(self, download_id: str) -> bool:
        handle = self._file_timers.pop(download_id, None)
        if handle is not None:
            handle.cancel()
        return self._files.pop(download_id, None) is not None
