"""Exceptions of the client: one per kind of failure the Go client tells apart."""

from typing import Any


class HandoffClientError(Exception):
    """Base of every error the client raises."""


class NetworkError(HandoffClientError):
    """The server could not be reached (after the retries allowed for the call)."""


class ApiError(HandoffClientError):
    """The server answered with an error status.

    ``status`` is the HTTP status, ``message`` the server's sentence for people and
    ``code`` its snake_case code for programs (``"http_error"`` when the body had none).
    """

    def __init__(
        self, status: int, message: str, code: str = "http_error", body: Any = None
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code
        self.body = body


class Unauthorized(ApiError):
    """401: the API key (or client secret) is missing or wrong."""


class Forbidden(ApiError):
    """403: a client secret was used for something only an API key may do."""


class NotFound(ApiError):
    """404: no such session or file for this key (or it has expired, for a file)."""


class Conflict(ApiError):
    """409: the request clashes with the session's current state."""


class Expired(ApiError):
    """410: the session is over. ``session_status`` says ``expired`` or ``cancelled``."""

    @property
    def session_status(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        return str(body.get("status", "expired"))


class Cancelled(Expired):
    """410 for a session the desktop cancelled."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Expired,
}


def error_for(status: int, body: Any, fallback: str = "") -> ApiError:
    """The exception for an error response, keeping the server's message and code."""
    message, code = fallback or f"HTTP {status}", "http_error"
    if isinstance(body, dict):
        message = str(body.get("error") or message)
        code = str(body.get("code") or code)
    cls = _BY_STATUS.get(status, ApiError)
    if cls is Expired and isinstance(body, dict) and body.get("status") == "cancelled":
        cls = Cancelled
    return cls(status, message, code, body)


def ended(status: str) -> Expired:
    """The error for waiting on a session that ended without a result."""
    if status == "cancelled":
        return Cancelled(410, "The session was cancelled.", "session_cancelled", {"status": status})
    return Expired(410, "The session expired.", "session_expired", {"status": status})
