"""Statuses and the plain records every layer shares; no aiohttp, no store."""

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from .errors import Gone


class Status(StrEnum):
    """Where a session is: ``pending`` → ``opened`` → ``action_started`` → ``completed``,
    or ``cancelled`` by the desktop, or ``expired`` at ``created_at + session_ttl``."""

    PENDING = "pending"
    OPENED = "opened"
    ACTION_STARTED = "action_started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


#: Statuses after which a desktop has nothing more to wait for.
FINAL = frozenset({Status.COMPLETED, Status.CANCELLED, Status.EXPIRED})
#: Statuses after which nothing more happens to the session but its expiry.
CLOSED = frozenset({Status.CANCELLED, Status.EXPIRED})

_CLOSED_FOR_DESKTOP = {
    Status.EXPIRED: "This session has expired.",
    Status.CANCELLED: "This session was cancelled.",
}
_CLOSED_FOR_PHONE = {
    Status.EXPIRED: "This link has expired; start again on your computer.",
    Status.CANCELLED: "This request was cancelled on the computer.",
}


def closed_error(status: Status, *, phone: bool = False) -> Gone | None:
    """The 410 a closed session answers with (``session_expired``, ``session_cancelled``),
    worded for the desktop or the phone; ``None`` while the session is not closed."""
    if status not in CLOSED:
        return None
    sentence = (_CLOSED_FOR_PHONE if phone else _CLOSED_FOR_DESKTOP)[status]
    return Gone(sentence, code=f"session_{status.value}", extra={"status": status.value})


@dataclass(slots=True, frozen=True)
class NewFile:
    """A file a completed capture produced, before it is stored.

    Build it with :meth:`of` inside the worker thread, so hashing stays off the loop.
    """

    content_type: str
    filename: str
    data: bytes
    sha256: str

    @classmethod
    def of(cls, content_type: str, filename: str, data: bytes) -> "NewFile":
        return cls(content_type, filename, data, hashlib.sha256(data).hexdigest())
