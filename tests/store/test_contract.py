"""What every store promises, through the SessionStore interface only; runs on each backend."""

import asyncio
import time
from dataclasses import fields

import pytest

from handoff.domain import NewFile, Status
from handoff.errors import BadRequest, Conflict, Gone, NotFound
from handoff.store import Event, Lease, NewSession, Session, SessionStore, Tombstone
from handoff.store.base import new_session_record


def spec(owner: str = "tenant-a", ttl: float = 60.0, **extra: object) -> NewSession:
    values: dict = {
        "owner": owner, "action_type": "photo", "output_format": "jpg", "intro_text": "",
        "session_ttl": ttl, "result_ttl": 60.0,
    }
    values.update(extra)
    return NewSession(**values)


def a_file(data: bytes = b"result bytes") -> NewFile:
    return NewFile.of("image/jpeg", "photo.jpg", data)


async def next_event(events, timeout: float = 5.0) -> Event:
    return await asyncio.wait_for(events.get(), timeout)


async def completed(store: SessionStore, data: bytes = b"result bytes") -> Session:
    session = await store.create(spec())
    lease = await store.acquire_upload(session.id)
    return await store.complete(lease, [a_file(data)])


# -- reading -----------------------------------------------------------------


async def test_a_created_session_is_found_by_id_token_and_secret(store):
    session = await store.create(spec(metadata={"case": "42"}, intro_text="Hi"))
    assert (session.status, session.version) == (Status.PENDING, 1)
    assert await store.get(session.id) == session
    assert await store.get_by_token(session.phone_token) == session
    assert await store.session_for_secret(session.client_secret) == session.id
    assert await store.get("no-such-id") is None
    assert await store.get_by_token("no-such-token") is None
    assert await store.session_for_secret("no-such-secret") is None


async def test_each_credential_answers_only_for_its_own_kind(store):
    session = await store.create(spec())
    others = (session.id, session.phone_token, session.client_secret, session.short_code)
    for value in others:
        if value != session.phone_token:
            assert await store.get_by_token(value) is None
        if value != session.client_secret:
            assert await store.session_for_secret(value) is None
        if value != session.short_code:
            assert await store.get_by_short_code(value) is None
        if value != session.id:
            assert await store.get(value) is None


async def test_a_session_is_found_by_its_short_code(store):
    session = await store.create(spec())
    assert len(session.short_code) == 8 and session.short_code.isalnum()
    assert await store.get_by_short_code(session.short_code) == session
    opened = await store.mark_opened(session.id)
    assert await store.get_by_short_code(session.short_code) == opened
    assert await store.get_by_short_code("00000000" if session.short_code != "00000000" else "11111111") is None


async def test_live_sessions_have_different_short_codes(store):
    made = [await store.create(spec()) for _ in range(50)]
    assert len({s.short_code for s in made}) == 50


async def test_an_expired_sessions_short_code_answers_its_tombstone(store):
    session = await store.create(spec(ttl=0.1))
    time.sleep(0.15)
    tombstone = await store.get_by_short_code(session.short_code)
    assert isinstance(tombstone, Tombstone) and tombstone.short_code == session.short_code


async def test_records_are_snapshots_that_a_change_does_not_alter(store):
    session = await store.create(spec())
    opened = await store.mark_opened(session.id)
    assert session.status == Status.PENDING and opened.status == Status.OPENED
    assert opened.version == session.version + 1


async def test_listing_is_the_owners_live_sessions_newest_first_in_pages(store):
    made = [await store.create(spec()) for _ in range(5)]
    await store.create(spec(owner="tenant-b"))
    first = await store.list_live("tenant-a", limit=2)
    second = await store.list_live("tenant-a", limit=2, cursor=first.cursor)
    third = await store.list_live("tenant-a", limit=2, cursor=second.cursor)
    listed = [s.id for page in (first, second, third) for s in page.sessions]
    assert listed == [s.id for s in reversed(made)]
    assert third.cursor is None
    assert [s.owner for s in (await store.list_live("tenant-b")).sessions] == ["tenant-b"]


async def test_listing_pages_through_sessions_made_at_the_same_instant(store, monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)  # several processes may create at once
    made = {(await store.create(spec())).id for _ in range(7)}
    listed: list[str] = []
    cursor = None
    for _ in range(10):
        page = await store.list_live("tenant-a", limit=1, cursor=cursor)
        listed += [s.id for s in page.sessions]
        if (cursor := page.cursor) is None:
            break
    assert sorted(listed) == sorted(made)


async def test_a_bad_listing_cursor_is_refused(store):
    with pytest.raises(BadRequest):
        await store.list_live("tenant-a", cursor="not-a-cursor")


# -- transitions -------------------------------------------------------------


async def test_opened_then_action_started_each_once(store):
    session = await store.create(spec())
    opened = await store.mark_opened(session.id)
    assert opened.status == Status.OPENED and opened.opened_at is not None
    assert await store.mark_opened(session.id) == opened  # a second open changes nothing
    started = await store.mark_action_started(session.id)
    assert (started.status, started.version) == (Status.ACTION_STARTED, 3)
    assert started.opened_at == opened.opened_at
    assert await store.mark_action_started(session.id) == started


async def test_action_started_straight_from_pending_sets_opened_at(store):
    session = await store.create(spec())
    started = await store.mark_action_started(session.id)
    assert started.status == Status.ACTION_STARTED and started.opened_at is not None


async def test_one_upload_lease_at_a_time_released_only_by_its_owner(store):
    session = await store.create(spec())
    lease = await store.acquire_upload(session.id)
    with pytest.raises(Conflict):
        await store.acquire_upload(session.id)
    await store.release_upload(Lease(session.id, "someone-else"))
    with pytest.raises(Conflict):
        await store.acquire_upload(session.id)
    await store.release_upload(lease)
    await store.release_upload(await store.acquire_upload(session.id))


async def test_racing_uploads_get_exactly_one_lease(store):
    session = await store.create(spec())
    results = await asyncio.gather(
        *(store.acquire_upload(session.id) for _ in range(20)), return_exceptions=True
    )
    assert sum(isinstance(r, Lease) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Lease))


async def test_a_lease_lapses_after_its_lifetime(make_store):
    store = await make_store(lease_ttl=0.2)
    session = await store.create(spec())
    stale = await store.acquire_upload(session.id)
    await asyncio.sleep(0.3)  # the lapse itself is under test
    fresh = await store.acquire_upload(session.id)
    await store.release_upload(stale)  # the old owner cannot free the new lease
    with pytest.raises(Conflict):
        await store.acquire_upload(session.id)
    with pytest.raises(Conflict):
        await store.complete(stale, [a_file()])
    assert (await store.complete(fresh, [a_file()])).status == Status.COMPLETED


async def test_complete_stores_the_files_and_needs_the_lease(store):
    session = await store.create(spec())
    with pytest.raises(Conflict):
        await store.complete(Lease(session.id, "never-granted"), [a_file()])
    lease = await store.acquire_upload(session.id)
    done = await store.complete(lease, [a_file(b"x" * 700_000)])
    assert done.status == Status.COMPLETED and done.completed_at is not None
    (info,) = done.result
    assert info.size == 700_000 and info.filename == "photo.jpg"
    stored = await store.file_info(info.download_id)
    assert (stored.session_id, stored.owner) == (session.id, "tenant-a")
    assert b"".join([c async for c in store.file_chunks(info.download_id)]) == b"x" * 700_000
    with pytest.raises(Conflict):  # already sent
        await store.acquire_upload(session.id)


async def test_a_deleted_file_is_gone(store):
    done = await completed(store)
    download_id = done.result[0].download_id
    assert await store.delete_file(download_id) is True
    assert await store.file_info(download_id) is None
    assert [c async for c in store.file_chunks(download_id)] == []
    assert await store.delete_file(download_id) is False


async def test_cancel_keeps_its_reason_and_a_repeat_does_not_change_it(store):
    session = await store.create(spec())
    assert (await store.get(session.id)).cancel_reason is None
    async with store.subscribe(session.id) as events:
        cancelled = await store.cancel(session.id, reason="match_failed")
        assert (await next_event(events)).record.cancel_reason == "match_failed"
    assert cancelled.cancel_reason == "match_failed"
    assert (await store.cancel(session.id)).cancel_reason == "match_failed"
    assert (await store.get(session.id)).cancel_reason == "match_failed"
    plain = await store.cancel((await store.create(spec())).id)
    assert plain.cancel_reason is None


async def test_a_match_number_and_include_strokes_given_on_create_are_kept(store):
    session = await store.create(spec(match_number="47", include_strokes=True))
    assert (session.match_number, session.include_strokes) == ("47", True)
    stored = await store.get(session.id)
    assert (stored.match_number, stored.include_strokes) == ("47", True)
    plain = await store.get((await store.create(spec())).id)
    assert (plain.match_number, plain.include_strokes) == (None, False)


async def test_cancel_drops_the_files_and_repeating_it_is_harmless(store):
    done = await completed(store)
    cancelled = await store.cancel(done.id)
    assert cancelled.status == Status.CANCELLED and cancelled.result == ()
    assert await store.file_info(done.result[0].download_id) is None
    assert await store.cancel(done.id) == cancelled
    with pytest.raises(Gone):
        await store.acquire_upload(done.id)
    assert await store.cancel("no-such-id") is None


# -- events ------------------------------------------------------------------


async def test_a_subscriber_sees_every_change_once_in_version_order(store):
    session = await store.create(spec())
    async with store.subscribe(session.id) as events:
        await store.mark_opened(session.id)
        await store.mark_opened(session.id)
        await store.mark_action_started(session.id)
        lease = await store.acquire_upload(session.id)
        await store.complete(lease, [a_file()])
        seen = [await next_event(events) for _ in range(3)]
    assert [(e.version, e.status) for e in seen] == [
        (2, Status.OPENED), (3, Status.ACTION_STARTED), (4, Status.COMPLETED)
    ]
    assert seen[-1].record.result and seen[-1].at > 0


async def test_every_subscriber_of_a_session_hears_a_change(store):
    session = await store.create(spec())
    other = await store.create(spec())
    async with store.subscribe(session.id) as one, store.subscribe(session.id) as two:
        async with store.subscribe(other.id) as unrelated:
            await store.cancel(session.id)
            assert (await next_event(one)).status == Status.CANCELLED
            assert (await next_event(two)).status == Status.CANCELLED
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(unrelated.get(), 0.2)


async def test_wait_for_change_returns_on_a_change_or_at_its_timeout(store):
    session = await store.create(spec())
    waiter = asyncio.create_task(store.wait_for_change(session.id, 1, 5))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await store.mark_opened(session.id)
    await asyncio.wait_for(waiter, 5)
    started = time.monotonic()
    await store.wait_for_change(session.id, 2, 0.1)
    assert time.monotonic() - started >= 0.1


async def test_interrupting_waiters_answers_a_pending_wait_at_once(store):
    session = await store.create(spec())
    waiter = asyncio.create_task(store.wait_for_change(session.id, 1, 30))
    await asyncio.sleep(0.05)
    store.interrupt_waiters()
    await asyncio.wait_for(waiter, 2)


# -- expiry ------------------------------------------------------------------


async def test_a_session_expires_once_with_its_event_then_is_forgotten(make_store):
    store = await make_store(tombstone_ttl=0.4)
    session = await store.create(spec(ttl=0.2))
    async with store.subscribe(session.id) as events:
        event = await next_event(events)
        assert (event.status, event.version) == (Status.EXPIRED, 2)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(events.get(), 0.2)
    tombstone = await store.get(session.id)
    assert isinstance(tombstone, Tombstone) and tombstone.status == Status.EXPIRED
    assert await store.get_by_token(session.phone_token) == tombstone
    assert (await store.list_live("tenant-a")).sessions == []
    with pytest.raises(Gone):
        await store.cancel(session.id)
    with pytest.raises(Gone):
        await store.acquire_upload(session.id)
    deadline = time.monotonic() + 5
    while await store.get(session.id) is not None:
        assert time.monotonic() < deadline, "the tombstone was never forgotten"
        await asyncio.sleep(0.05)


async def test_a_read_past_the_deadline_answers_the_tombstone_whatever_the_timers_did(store):
    session = await store.create(spec(ttl=0.1))
    time.sleep(0.15)  # block the loop: no timer can run, only the clock moves
    assert isinstance(await store.get(session.id), Tombstone)


async def test_no_change_gets_through_after_the_deadline(store):
    session = await store.create(spec(ttl=1))
    lease = await store.acquire_upload(session.id)
    time.sleep(max(0.0, session.expires_at - time.time()) + 0.05)  # only the clock moves
    with pytest.raises(Gone):
        await store.complete(lease, [a_file()])
    assert isinstance(await store.mark_opened(session.id), Tombstone)


async def test_a_file_outlives_its_session(store):
    session = await store.create(spec(ttl=0.3))
    lease = await store.acquire_upload(session.id)
    done = await store.complete(lease, [a_file()])
    async with store.subscribe(session.id) as events:
        while (await next_event(events)).status != Status.EXPIRED:
            pass
    assert await store.file_info(done.result[0].download_id) is not None


async def test_a_file_is_gone_after_its_own_lifetime(store):
    session = await store.create(spec(result_ttl=0.2))
    lease = await store.acquire_upload(session.id)
    download_id = (await store.complete(lease, [a_file()])).result[0].download_id
    deadline = time.monotonic() + 5
    while await store.file_info(download_id) is not None:
        assert time.monotonic() < deadline, "the file never expired"
        await asyncio.sleep(0.05)


# -- scan pages --------------------------------------------------------------


async def test_scan_pages_are_held_replaced_grouped_and_ordered(store):
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    assert await store.put_scan_page(session.id, 1, 0, b"d1p0", max_pages=5) == 1
    assert await store.put_scan_page(session.id, 0, 1, b"d0p1", max_pages=5) == 2
    assert await store.put_scan_page(session.id, 0, 0, b"old", max_pages=5) == 3
    assert await store.put_scan_page(session.id, 0, 0, b"d0p0", max_pages=5) == 3  # a retake
    assert await store.scan_pages(session.id) == [[b"d0p0", b"d0p1"], [b"d1p0"]]
    await store.clear_scan_pages(session.id)
    assert await store.scan_pages(session.id) == []


async def test_each_page_held_is_a_new_version_a_subscriber_sees(store):
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    async with store.subscribe(session.id) as events:
        await store.put_scan_page(session.id, 0, 0, b"p0", max_pages=5)
        await store.put_scan_page(session.id, 0, 1, b"p1", max_pages=5)
        await store.put_scan_page(session.id, 0, 1, b"p1 again", max_pages=5)  # still two
        await store.clear_scan_pages(session.id)
        seen = [await next_event(events) for _ in range(3)]
    assert [(e.version, e.status, e.record.scan_pages) for e in seen] == [
        (2, Status.PENDING, 1), (3, Status.PENDING, 2), (4, Status.PENDING, 0)
    ]
    current = await store.get(session.id)
    assert isinstance(current, Session) and (current.version, current.scan_pages) == (4, 0)


async def test_a_page_past_the_limit_is_refused_but_a_retake_is_not(store):
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    await store.put_scan_page(session.id, 0, 0, b"a", max_pages=1)
    with pytest.raises(BadRequest):
        await store.put_scan_page(session.id, 0, 1, b"b", max_pages=1)
    assert await store.put_scan_page(session.id, 0, 0, b"c", max_pages=1) == 1


async def test_pages_cannot_change_while_the_scan_is_finalized(store):
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    await store.put_scan_page(session.id, 0, 0, b"a", max_pages=5)
    lease = await store.acquire_upload(session.id)
    with pytest.raises(Conflict):
        await store.put_scan_page(session.id, 0, 1, b"b", max_pages=5)
    with pytest.raises(Conflict):
        await store.clear_scan_pages(session.id)
    done = await store.complete(lease, [a_file()], ({"pdf": 0},))
    assert done.scan_documents == ({"pdf": done.result[0].download_id},)
    assert await store.scan_pages(session.id) == []


async def test_pages_of_a_closed_session_are_refused(store):
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    await store.cancel(session.id)
    with pytest.raises(Gone):
        await store.put_scan_page(session.id, 0, 0, b"a", max_pages=5)
    with pytest.raises(NotFound):
        await store.put_scan_page("no-such-id", 0, 0, b"a", max_pages=5)


def test_a_new_record_carries_every_field_of_its_spec():
    given = spec(action_type="scan", output_format="pdf", intro_text="Hello", ttl=90.0,
                 result_ttl=30.0, metadata={"case": "1"}, document_mode="multi",
                 ocr_languages=("eng",), locale="de", match_number="42", include_strokes=True)
    made = new_session_record(given, created_at=5.0)
    for field in fields(given):
        assert getattr(made, field.name) == getattr(given, field.name), field.name
