"""Session and result-file storage with timed expiry and change events."""

from .base import (
    Event,
    Interrupted,
    Lease,
    NewSession,
    Record,
    ResultInfo,
    Session,
    SessionPage,
    SessionStore,
    StoredFile,
    StoreUnavailable,
    Subscription,
    Tombstone,
)
from .memory import MemoryStore

__all__ = [
    "Event",
    "Interrupted",
    "Lease",
    "MemoryStore",
    "NewSession",
    "Record",
    "ResultInfo",
    "Session",
    "SessionPage",
    "SessionStore",
    "StoreUnavailable",
    "StoredFile",
    "Subscription",
    "Tombstone",
]
