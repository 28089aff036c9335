"""The Redis store: every process and machine pointed at one Redis serves the same sessions.

Keys of a session share the hash tag ``{<id>}``; each status change is one Lua
script (:mod:`.redis_scripts`) that also publishes its event. Expiry follows
time, not timers: every read and script checks ``created_at + session_ttl``,
and each process's sweeper expires due sessions from one sorted set of
deadlines, whichever process gets there first (the script makes it happen
once). Tombstones, files and held pages carry Redis TTLs of their own, so
nothing is left behind if every process dies.
"""

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from .. import shortcode
from ..domain import NewFile, Status
from . import redis_scripts as scripts
from .base import (
    LEASE_TTL,
    Lease,
    NewSession,
    Record,
    ResultInfo,
    ScanLayout,
    Session,
    SessionPage,
    SessionStore,
    StoredFile,
    StoreUnavailable,
    Subscription,
    ensure_accepts_upload,
    expired_error,
    finalizing_error,
    new_session_record,
    page_limit_error,
    parse_cursor,
    resolve_layout,
    upload_busy_error,
)
from .redis_codec import (
    file_fields,
    pairs,
    record_of,
    result_json,
    session_fields,
    stored_file_of,
    text,
)
from .redis_events import EventHub
from .watchers import newest_first

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: Longest pause between two sweeps for due sessions (sessions another process made).
SWEEP_EVERY = 1.0
#: Due sessions expired per sweep step.
SWEEP_BATCH = 200
#: Longest wait for the background tasks and connections to stop at shutdown.
CLOSE_WAIT = 2.0
#: Bytes per chunk of a download.
CHUNK = 256 * 1024
#: Longest a store call waits for Redis before answering 503 (builtin TimeoutError is an OSError).
CALL_WAIT = 4.0
#: The same for calls that carry files or scan pages (up to tens of megabytes).
BULK_WAIT = 20.0
#: Index keys outlive their session's tombstone by this much, so a lookup never misses.
SLACK = 60.0
#: Decoded records kept per process, the most recently read ones.
CACHED_RECORDS = 4096


def guarded(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn a lost or slow Redis into :class:`StoreUnavailable` (503), never a 500 or a hang."""
    return _guard(method, CALL_WAIT)


def guarded_bulk(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """:func:`guarded`, for calls that move files or scan pages: they get longer."""
    return _guard(method, BULK_WAIT)


def _guard(
    method: Callable[P, Coroutine[Any, Any, T]], seconds: float
) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            # A Redis that accepts connections but does not answer (paused, or
            # behind a dropped route) would otherwise cost every retry's timeouts.
            async with asyncio.timeout(seconds):
                return await method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            log.warning("Redis is not reachable: %s", exc or f"no answer within {seconds}s")
            raise StoreUnavailable(
                "The session store is not reachable right now; try again in a moment."
            ) from exc

    return call


def connect(url: str) -> redis.Redis:
    """A client with short timeouts and a couple of quick retries."""
    return redis.Redis.from_url(
        url,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        health_check_interval=15,
    )


class RedisStore(SessionStore):
    """Sessions in Redis; build with :meth:`open` inside a running loop."""

    def __init__(
        self, client: redis.Redis, *, prefix: str, tombstone_ttl: float, lease_ttl: float = LEASE_TTL
    ) -> None:
        super().__init__()
        self._redis = client
        self._lease_ms = max(1, int(lease_ttl * 1000))
        self._prefix = prefix
        self._tombstone_ms = max(1, int(tombstone_ttl * 1000))
        self._tombstone_ttl = tombstone_ttl
        self._deadlines = f"{prefix}:deadlines"
        self._scripts = {
            name: client.register_script(getattr(scripts, name))
            for name in ("EXPIRE", "ADVANCE", "ACQUIRE", "RELEASE", "PUT_PAGE", "CLEAR_PAGES",
                         "COMPLETE", "CANCEL", "READ")
        }
        # Every change of a session hash is a script that raises its version, and ids
        # are never reused, so (id, version) names one content in every process: a
        # read only asks Redis whether the version is still the one decoded here.
        self._records: OrderedDict[str, Record] = OrderedDict()
        self._hub = EventHub(client, f"{prefix}:{{*}}:ev", self._read)
        self._sweeper: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._next_sweep = 0.0
        self._closed = False

    @classmethod
    async def open(
        cls, url: str, *, prefix: str, tombstone_ttl: float, wait: float,
        lease_ttl: float = LEASE_TTL,
    ) -> "RedisStore":
        """Connect, retrying for up to ``wait`` seconds, then start the event hub and sweeper."""
        client = connect(url)
        deadline = time.monotonic() + wait
        while True:
            try:
                await client.ping()
                break
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if time.monotonic() >= deadline:
                    await client.aclose()
                    raise StoreUnavailable(f"cannot reach Redis at REDIS_URL ({exc})") from exc
                await asyncio.sleep(0.2)
        store = cls(client, prefix=prefix, tombstone_ttl=tombstone_ttl, lease_ttl=lease_ttl)
        await store._hub.start()
        store._sweeper = asyncio.create_task(store._sweep_forever(), name="handoff-redis-sweeper")
        return store

    # -- keys --------------------------------------------------------------

    def _keys(self, session_id: str) -> list[str]:
        base = f"{self._prefix}:{{{session_id}}}"
        return [f"{base}:s", f"{base}:lease", f"{base}:pages"]

    def _args(self, session_id: str, *extra: Any) -> list[Any]:
        return [f"{self._prefix}:{{{session_id}}}:ev", self._tombstone_ms, *extra]

    def _index(self, kind: str, value: str) -> str:
        return f"{self._prefix}:{kind}:{{{value}}}"

    def _file_keys(self, download_id: str) -> tuple[str, str]:
        base = f"{self._prefix}:file:{{{download_id}}}"
        return f"{base}:meta", f"{base}:data"

    async def _run(self, name: str, session_id: str, *extra: Any) -> Any:
        return await self._scripts[name](keys=self._keys(session_id), args=self._args(session_id, *extra))

    # -- reading -----------------------------------------------------------

    async def _read(self, session_id: str) -> Record | None:
        record = await self._cached_read(session_id)
        if isinstance(record, Session) and time.time() >= record.expires_at:
            return await self._expire(session_id)
        return record

    async def _cached_read(self, session_id: str) -> Record | None:
        """The session's hash as a record, decoded only when its version changed."""
        records = self._records
        held = records.get(session_id)
        reply = await self._scripts["READ"](
            keys=self._keys(session_id)[:1], args=[held.version if held is not None else ""]
        )
        if isinstance(reply, list):
            record = record_of(pairs(reply))
        elif reply is None:
            record = None
        else:
            assert held is not None
            records.move_to_end(session_id)
            return held
        if record is None:
            records.pop(session_id, None)
            return None
        records[session_id] = record
        records.move_to_end(session_id)
        if len(records) > CACHED_RECORDS:
            records.popitem(last=False)
        return record

    @guarded
    async def get(self, session_id: str) -> Record | None:
        return await self._read(session_id)

    @guarded
    async def get_by_token(self, phone_token: str) -> Record | None:
        session_id = await self._redis.get(self._index("token", phone_token))
        return None if session_id is None else await self._read(text(session_id))

    @guarded
    async def get_by_short_code(self, short_code: str) -> Record | None:
        session_id = await self._redis.get(self._index("code", short_code))
        return None if session_id is None else await self._read(text(session_id))

    @guarded
    async def session_for_secret(self, client_secret: str) -> str | None:
        session_id = await self._redis.get(self._index("secret", client_secret))
        return None if session_id is None else text(session_id)

    @guarded
    async def list_live(
        self, owner: str, *, limit: int = 100, cursor: str | None = None
    ) -> SessionPage:
        after = parse_cursor(cursor)
        top = "+inf" if after is None else after[0]
        index = self._index("owner", owner)
        records: list[Record | None] = []
        batch, start = limit * 2 + 1, 0
        # Sessions made at the cursor's instant, and due ones not yet swept, are
        # skipped: read on until the page is full or the index ends. What is no
        # longer live leaves the index, so ``start`` counts only what stays in it.
        while True:
            ids = await self._redis.zrevrangebyscore(index, top, "-inf", start=start, num=batch)
            stale: list[str] = []
            for session_id in map(text, ids):
                record = await self._read(session_id)
                if isinstance(record, Session):
                    records.append(record)
                    start += 1
                else:
                    stale.append(session_id)
            if stale:
                await self._redis.zrem(index, *stale)
            page = newest_first(records, after, limit)
            if page.cursor is not None or len(ids) < batch:
                return page

    @guarded
    async def count_live(self) -> int:
        # A session leaves the deadlines once expired (by a sweep, at the latest a second late).
        return int(await self._redis.zcard(self._deadlines))

    @guarded
    async def file_info(self, download_id: str) -> StoredFile | None:
        return stored_file_of(await self._redis.hgetall(self._file_keys(download_id)[0]))

    async def file_chunks(self, download_id: str) -> AsyncIterator[bytes]:
        key = self._file_keys(download_id)[1]
        start = 0
        while True:
            try:
                async with asyncio.timeout(CALL_WAIT):
                    chunk = await self._redis.getrange(key, start, start + CHUNK - 1)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("Redis went away during a download: %s", exc)
                return
            if not chunk:
                return
            yield chunk if isinstance(chunk, bytes) else chunk.encode()
            if len(chunk) < CHUNK:
                return
            start += CHUNK

    # -- changes -----------------------------------------------------------

    @guarded
    async def create(self, spec: NewSession) -> Session:
        session = new_session_record(spec, created_at=time.time())
        keep_ms = int((spec.session_ttl + self._tombstone_ttl + SLACK) * 1000)
        key = self._keys(session.id)[0]
        # The code's index is claimed first, so two live sessions never share a code.
        while not await self._redis.set(
            self._index("code", session.short_code), session.id, px=keep_ms, nx=True
        ):
            session = dataclasses.replace(session, short_code=shortcode.new_code())
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._index("token", session.phone_token), session.id, px=keep_ms)
            pipe.set(self._index("secret", session.client_secret), session.id, px=keep_ms)
            pipe.hset(key, mapping=session_fields(session))  # type: ignore[arg-type]
            pipe.pexpire(key, keep_ms)
            owned = self._index("owner", session.owner)
            pipe.zadd(self._deadlines, {session.id: session.expires_at})
            pipe.zadd(owned, {session.id: session.created_at})
            for index in (self._deadlines, owned):
                # Each index lasts as long as the longest-lived session in it.
                pipe.pexpire(index, keep_ms, nx=True)
                pipe.pexpire(index, keep_ms, gt=True)
            await pipe.execute()
        if session.expires_at < self._next_sweep:
            self._wake.set()
        return session

    async def _advance(self, session_id: str, to: Status, *sources: Status) -> Record | None:
        outcome, flat = await self._run("ADVANCE", session_id, to.value, *(s.value for s in sources))
        record = record_of(pairs(flat))
        if outcome in (b"changed", b"now"):
            self._announce(record)
        return record

    @guarded
    async def mark_opened(self, session_id: str) -> Record | None:
        return await self._advance(session_id, Status.OPENED, Status.PENDING)

    @guarded
    async def mark_action_started(self, session_id: str) -> Record | None:
        return await self._advance(
            session_id, Status.ACTION_STARTED, Status.PENDING, Status.OPENED
        )

    @guarded
    async def acquire_upload(self, session_id: str) -> Lease:
        lease = Lease(session_id, secrets.token_urlsafe(12))
        reply = await self._run("ACQUIRE", session_id, lease.token, self._lease_ms)
        outcome = reply[0].decode()
        if outcome == "busy":
            raise upload_busy_error()
        if outcome == "closed":
            ensure_accepts_upload(self._closed_record(reply))
        return lease

    @guarded
    async def release_upload(self, lease: Lease) -> None:
        await self._scripts["RELEASE"](keys=[self._keys(lease.session_id)[1]], args=[lease.token])

    @guarded_bulk
    async def put_scan_page(
        self, session_id: str, document_index: int, page_index: int, page: bytes, *,
        max_pages: int,
    ) -> int:
        field = f"{document_index:05d}:{page_index:05d}"
        reply = await self._run("PUT_PAGE", session_id, field, page, max_pages)
        self._raise_for(reply)
        if reply[0] == b"limit":
            raise page_limit_error(max_pages)
        return int(reply[1])

    @guarded_bulk
    async def scan_pages(self, session_id: str) -> list[list[bytes]]:
        held = await self._redis.hgetall(self._keys(session_id)[2])
        documents: dict[str, list[bytes]] = {}
        for field in sorted(held, key=text):
            page = held[field]
            documents.setdefault(text(field).split(":")[0], []).append(
                page if isinstance(page, bytes) else page.encode()
            )
        return list(documents.values())

    @guarded
    async def clear_scan_pages(self, session_id: str) -> None:
        self._raise_for(await self._run("CLEAR_PAGES", session_id))

    def _raise_for(self, reply: list[Any]) -> None:
        """The error a page script's refusal stands for, if any."""
        if reply[0] == b"closed":
            ensure_accepts_upload(self._closed_record(reply))
        if reply[0] == b"finalizing":
            raise finalizing_error()

    @guarded_bulk
    async def complete(
        self, lease: Lease, files: list[NewFile], scan_documents: ScanLayout | None = None
    ) -> Session:
        current = await self._read(lease.session_id)
        session = ensure_accepts_upload(current)
        now = time.time()
        infos = [self._file_info(new, session, now) for new in files]
        async with self._redis.pipeline(transaction=False) as pipe:
            ttl_ms = max(1, int(session.result_ttl * 1000))
            for new, info in zip(files, infos):
                meta, data = self._file_keys(info.download_id)
                stored = StoredFile(info, session.id, session.owner, session.client_secret)
                pipe.set(data, new.data, px=ttl_ms)
                pipe.hset(meta, mapping=file_fields(stored))  # type: ignore[arg-type]
                pipe.pexpire(meta, ttl_ms)
            await pipe.execute()
        layout = resolve_layout(infos, scan_documents)
        reply = await self._run("COMPLETE", lease.session_id, lease.token, result_json(infos),
                                json.dumps(layout) if layout is not None else "")
        if reply[0] != b"ok":
            await self._drop_files([info.download_id for info in infos])
            if reply[0] == b"busy":
                raise upload_busy_error()
            ensure_accepts_upload(self._closed_record(reply))
        completed = record_of(pairs(reply[1]))
        assert isinstance(completed, Session)
        self._announce(completed)
        return completed

    def _closed_record(self, reply: list[Any]) -> Record | None:
        """The record of a ``{'closed', hash, 'now' or ''}`` refusal, announced if this call
        expired it."""
        record = record_of(pairs(reply[1]))
        if reply[2] == b"now":
            self._announce(record)
        return record

    def _file_info(self, new: NewFile, session: Session, now: float) -> ResultInfo:
        return ResultInfo(
            download_id=str(uuid.uuid4()),
            content_type=new.content_type,
            filename=new.filename,
            size=len(new.data),
            sha256=new.sha256,
            expires_at=now + session.result_ttl,
        )

    @guarded
    async def cancel(self, session_id: str, reason: str | None = None) -> Record | None:
        reply = await self._run("CANCEL", session_id, reason or "")
        outcome = reply[0]
        if outcome == b"gone":
            return None
        if outcome == b"expired":
            if reply[1] == b"now":
                self._announce(record_of(pairs(reply[2])))
            raise expired_error()
        if outcome == b"same":
            return record_of(pairs(reply[1]))
        await self._drop_files([item["download_id"] for item in json.loads(reply[1])])
        cancelled = record_of(pairs(reply[2]))
        self._announce(cancelled)
        return cancelled

    @guarded
    async def delete_file(self, download_id: str) -> bool:
        return bool(await self._redis.delete(*self._file_keys(download_id)))

    async def _drop_files(self, download_ids: list[str]) -> None:
        if download_ids:
            # One call per file: a file's two keys share a slot, different files need not.
            async with self._redis.pipeline(transaction=False) as pipe:
                for download_id in download_ids:
                    pipe.delete(*self._file_keys(download_id))
                await pipe.execute()

    # -- expiry ------------------------------------------------------------

    async def _expire(self, session_id: str) -> Record | None:
        outcome, flat = await self._run("EXPIRE", session_id)
        record = record_of(pairs(flat))
        if outcome == b"now":
            self._announce(record)
        if outcome in (b"now", b"expired", b"gone"):
            await self._forget_deadline(session_id, record)
        return record

    async def _forget_deadline(self, session_id: str, record: Record | None) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(self._deadlines, session_id)
            if record is not None:
                pipe.zrem(self._index("owner", record.owner), session_id)
            await pipe.execute()

    async def _sweep_forever(self) -> None:
        while True:
            try:
                delay = await self._sweep()
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                log.warning("expiry sweep failed (%s); retrying", exc)
                delay = SWEEP_EVERY
            self._next_sweep = time.time() + delay
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _sweep(self) -> float:
        """Expire every due session; the seconds until the next known deadline (capped)."""
        # Redis's clock, not this machine's: the scripts decide by it, and a session
        # this machine thinks due but the scripts do not would be retried at once.
        seconds, micros = await self._redis.time()
        now = seconds + micros / 1_000_000
        while True:
            due = await self._redis.zrangebyscore(
                self._deadlines, "-inf", now, start=0, num=SWEEP_BATCH
            )
            for raw_id in due:
                await self._expire(text(raw_id))
            if len(due) < SWEEP_BATCH:
                break
        upcoming = await self._redis.zrange(self._deadlines, 0, 0, withscores=True)
        if not upcoming:
            return SWEEP_EVERY
        return min(SWEEP_EVERY, max(0.0, float(upcoming[0][1]) - now) + 0.001)

    # -- events and lifetime -----------------------------------------------

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._hub.subscribe(session_id)

    def interrupt_waiters(self) -> None:
        self._hub.interrupt_waiters()

    @guarded
    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = [task for task in (self._sweeper, self._hub.task) if task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_WAIT)
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self._redis.aclose()
        except TimeoutError:
            log.warning("the Redis connections did not close within %ss", CLOSE_WAIT)
