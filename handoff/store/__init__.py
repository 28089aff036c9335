"""Session and result-file storage with timed expiry and change events."""

from .base import (
    Event,
    NewFile,
    NewSession,
    ResultFile,
    ResultInfo,
    Session,
    SessionStore,
    Subscription,
    Tombstone,
)
from .memory import MemoryStore

__all__ = [
    "Event",
    "MemoryStore",
    "NewFile",
    "NewSession",
    "ResultFile",
    "ResultInfo",
    "Session",
    "SessionStore",
    "Subscription",
    "Tombstone",
]
