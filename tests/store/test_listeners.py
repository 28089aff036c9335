"""Change listeners: every status change of every session, told once, where it was made."""

import asyncio

import pytest

from handoff.domain import Status
from handoff.errors import Gone
from handoff.store import Event, SessionStore, Tombstone

from .test_contract import a_file, spec
from .test_redis import open_store  # noqa: F401  (a fixture)


class Heard:
    """A listener that keeps what it was told and can wait for a count."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def until(self, count: int, timeout: float = 5.0) -> list[Event]:
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events

    def statuses(self) -> list[tuple[str, Status, int]]:
        return [(e.session_id, e.status, e.version) for e in self.events]


def listening(store: SessionStore) -> Heard:
    heard = Heard()
    store.add_listener(heard)
    return heard


async def test_every_transition_is_told_once_with_its_record(store):
    heard = listening(store)
    session = await store.create(spec())
    await store.mark_opened(session.id)
    await store.mark_opened(session.id)  # no change: nothing to tell
    await store.mark_action_started(session.id)
    lease = await store.acquire_upload(session.id)
    completed = await store.complete(lease, [a_file()])
    other = await store.create(spec())
    await store.cancel(other.id)
    await store.cancel(other.id)
    assert heard.statuses() == [
        (session.id, Status.OPENED, 2), (session.id, Status.ACTION_STARTED, 3),
        (session.id, Status.COMPLETED, 4), (other.id, Status.CANCELLED, 2),
    ]
    assert heard.events[2].record == completed


async def test_scan_pages_are_no_transition_and_are_not_told(store):
    heard = listening(store)
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    await store.put_scan_page(session.id, 0, 0, b"p0", max_pages=5)
    await store.clear_scan_pages(session.id)
    await store.mark_opened(session.id)
    (event,) = await heard.until(1)
    assert (event.status, event.version) == (Status.OPENED, 4)  # after the two page versions


async def test_expiry_is_told_once_with_what_the_session_asked_for(store):
    heard = listening(store)
    session = await store.create(spec(ttl=0.3, action_type="signature"))
    (event,) = await heard.until(1)
    assert isinstance(event.record, Tombstone) and event.record.action_type == "signature"
    assert event.record.was == "pending" and event.record.ended_open
    assert (event.session_id, event.version) == (session.id, 2)
    await store.get(session.id)
    await asyncio.sleep(0)  # a second announcement would be made synchronously by now
    assert len(heard.events) == 1


async def test_the_end_of_a_cancelled_session_says_it_was_cancelled(store):
    heard = listening(store)
    session = await store.create(spec(ttl=0.3))
    await store.cancel(session.id)
    (_, ended) = await heard.until(2)
    assert isinstance(ended.record, Tombstone)
    assert ended.record.was == "cancelled" and not ended.record.ended_open


async def test_a_failing_listener_neither_undoes_the_change_nor_silences_the_others(store):
    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    store.add_listener(broken)
    heard = listening(store)
    session = await store.create(spec())
    opened = await store.mark_opened(session.id)
    assert opened.status == Status.OPENED and len(heard.events) == 1


async def test_only_the_store_that_made_a_change_tells_its_listeners(open_store):  # noqa: F811
    a, b = await open_store(), await open_store()
    on_a, on_b = listening(a), listening(b)
    session = await a.create(spec())
    await b.mark_opened(session.id)
    await a.cancel(session.id)
    assert on_b.statuses() == [(session.id, Status.OPENED, 2)]
    assert on_a.statuses() == [(session.id, Status.CANCELLED, 3)]


async def test_an_expiry_is_told_by_exactly_one_of_several_stores(open_store):  # noqa: F811
    stores = [await open_store() for _ in range(3)]
    heard = [listening(store) for store in stores]
    session = await stores[0].create(spec(ttl=0.3))
    async with stores[1].subscribe(session.id) as events:
        assert (await events.get()).status == Status.EXPIRED
    for store in stores:  # every store reads it, each could have expired it
        assert isinstance(await store.get(session.id), Tombstone)
    told = [event for h in heard for event in h.events]
    assert [(e.session_id, e.status) for e in told] == [(session.id, Status.EXPIRED)]


async def test_an_expiry_inside_another_change_is_told_by_that_change(
    redis_server, redis_prefix
):
    # A store without its sweeper: the upload's own script is what finds the deadline passed.
    from handoff.store.redis import RedisStore, connect

    store = RedisStore(connect(redis_server.url), prefix=redis_prefix, tombstone_ttl=60.0)
    try:
        heard = listening(store)
        session = await store.create(spec(ttl=0.2))
        await asyncio.sleep(0.25)  # time itself must pass the deadline
        with pytest.raises(Gone):
            await store.acquire_upload(session.id)
        assert heard.statuses() == [(session.id, Status.EXPIRED, 2)]
        with pytest.raises(Gone):
            await store.cancel(session.id)
        assert len(heard.events) == 1
    finally:
        await store.close()
