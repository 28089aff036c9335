"""A subscription hands its reader every event once, in version order, waiting when there is none."""

import asyncio

import pytest

from handoff.domain import Status
from handoff.store.base import Event, Interrupted, Subscription, Tombstone


def event(version: int) -> Event:
    return Event(Tombstone("s", "owner", "token", "secret", version), at=0.0)


async def test_events_put_before_reading_come_out_in_order():
    subscription = Subscription("s")
    for version in (1, 2, 3):
        subscription.put(event(version))
    assert [(await subscription.get()).version for _ in range(3)] == [1, 2, 3]


async def test_a_version_already_handed_over_is_dropped():
    subscription = Subscription("s")
    for version in (2, 2, 1, 3):
        subscription.put(event(version))
    assert [(await subscription.get()).version for _ in range(2)] == [2, 3]
    assert subscription.newest == 3


async def test_a_waiting_reader_wakes_on_the_next_event():
    subscription = Subscription("s")
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    assert not reader.done()
    subscription.put(event(7))
    received = await asyncio.wait_for(reader, 1)
    assert received.version == 7 and received.status == Status.EXPIRED


async def test_a_cancelled_wait_leaves_the_subscription_usable():
    subscription = Subscription("s")
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    subscription.put(event(2))
    async for received in subscription:
        assert received.version == 2
        break


async def test_an_interrupted_reader_is_woken_with_interrupted():
    subscription = Subscription("s")
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    subscription.interrupt()
    with pytest.raises(Interrupted):
        await asyncio.wait_for(reader, 1)
