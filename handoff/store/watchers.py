"""This process's subscriptions, by session: what both backends hand their events to."""

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from types import TracebackType

from .base import Event, Record, Session, SessionPage, Subscription, page_of


class Watchers:
    """The local subscribers of each session; a session without any holds no entry."""

    __slots__ = ("_by_session",)

    def __init__(self) -> None:
        self._by_session: dict[str, set[Subscription]] = {}

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return _Subscribed(self._by_session, Subscription(session_id))

    def watched(self, session_id: str) -> bool:
        return session_id in self._by_session

    def sessions(self) -> list[str]:
        return list(self._by_session)

    def deliver(self, event: Event) -> None:
        for subscription in list(self._by_session.get(event.session_id, ())):
            subscription.put(event)

    def interrupt_all(self) -> None:
        for watchers in list(self._by_session.values()):
            for subscription in list(watchers):
                subscription.interrupt()


class _Subscribed(AbstractAsyncContextManager[Subscription]):
    """One subscription's registration, held while its ``async with`` lasts: a class,
    not an ``asynccontextmanager``, whose generator frame every idle websocket would keep."""

    __slots__ = ("_by_session", "_subscription")

    def __init__(self, by_session: dict[str, set[Subscription]], subscription: Subscription) -> None:
        self._by_session = by_session
        self._subscription = subscription

    async def __aenter__(self) -> Subscription:
        subscription = self._subscription
        self._by_session.setdefault(subscription.session_id, set()).add(subscription)
        return subscription

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        subscription = self._subscription
        watchers = self._by_session.get(subscription.session_id)
        if watchers is not None:
            watchers.discard(subscription)
            if not watchers:
                del self._by_session[subscription.session_id]


def newest_first(
    records: Iterable[Record | None], after: tuple[float, str] | None, limit: int
) -> SessionPage:
    """A listing page from an owner's records, newest first, past the cursor position."""
    sessions: list[Session] = []
    for record in records:
        if not isinstance(record, Session):
            continue
        if after is not None and (record.created_at, record.id) >= after:
            continue
        sessions.append(record)
        if len(sessions) > limit:
            break
    return page_of(sessions, limit)
