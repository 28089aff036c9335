"""A Python client for handoff's desktop API.

``HandoffClient`` is async (aiohttp); :mod:`handoff.client.sync` wraps it for code
without an event loop. Responses are the server's own pydantic models. Importing
this package loads only the models and aiohttp, never the server.
"""

from ..models import (
    ResultItem,
    ResultPoll,
    ScanResult,
    SessionList,
    SessionOut,
    StatusEvent,
    Tombstone,
)
from .client import HandoffClient
from .errors import (
    ApiError,
    Cancelled,
    Conflict,
    Expired,
    Forbidden,
    HandoffClientError,
    NetworkError,
    NotFound,
    Unauthorized,
)
from .session import Session
from .transport import RetryPolicy

__all__ = [
    "ApiError",
    "Cancelled",
    "Conflict",
    "Expired",
    "Forbidden",
    "HandoffClient",
    "HandoffClientError",
    "NetworkError",
    "NotFound",
    "ResultItem",
    "ResultPoll",
    "RetryPolicy",
    "ScanResult",
    "Session",
    "SessionList",
    "SessionOut",
    "StatusEvent",
    "Tombstone",
    "Unauthorized",
]
