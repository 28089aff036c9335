"""A subscription hands its reader every event, in order, waiting when there is none."""

import asyncio

from handoff.store.base import Event, Subscription


def event(version: int) -> Event:
    return Event("s", version, "opened", f"m{version}")


async def test_events_put_before_reading_come_out_in_order():
    subscription = Subscription("s", lambda _: None)
    for version in (1, 2, 3):
        subscription.put(event(version))
    assert [(await subscription.get()).version for _ in range(3)] == [1, 2, 3]


async def test_a_waiting_reader_wakes_on_the_next_event():
    subscription = Subscription("s", lambda _: None)
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    assert not reader.done()
    subscription.put(event(7))
    assert (await asyncio.wait_for(reader, 1)).version == 7


async def test_a_cancelled_wait_leaves_the_subscription_usable():
    subscription = Subscription("s", lambda _: None)
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    subscription.put(event(2))
    async for received in subscription:
        assert received.version == 2
        break


async def test_close_unsubscribes():
    closed = []
    subscription = Subscription("s", closed.append)
    subscription.close()
    assert closed == [subscription]
