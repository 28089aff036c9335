"""This process's subscriptions, by session: what both backends hand their events to."""

import contextlib
from collections.abc import AsyncIterator, Iterable

from .base import Event, Record, Session, SessionPage, Subscription, page_of


class Watchers:
    """The local subscribers of each session; a session without any holds no entry."""

    __slots__ = ("_by_session",)

    def __init__(self) -> None:
        self._by_session: dict[str, set[Subscription]] = {}

    @contextlib.asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(session_id)
        self._by_session.setdefault(session_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            watchers = self._by_session.get(session_id)
            if watchers is not None:
                watchers.discard(subscription)
                if not watchers:
                    del self._by_session[session_id]

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
