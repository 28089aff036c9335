"""Domain errors. Handlers raise them; the error middleware renders the JSON body."""

from typing import Any, ClassVar


class HandoffError(Exception):
    """An error with an HTTP status, a snake_case code and a sentence for people."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details
        self.extra = extra or {}
        #: Response headers the error answers with (``Retry-After``, say).
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {**self.extra, "error": self.message, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(HandoffError):
    status = 400
    default_code = "bad_request"


class Unauthorized(HandoffError):
    status = 401
    default_code = "unauthorized"


class Forbidden(HandoffError):
    status = 403
    default_code = "forbidden"


class NotFound(HandoffError):
    status = 404
    default_code = "not_found"


class Conflict(HandoffError):
    status = 409
    default_code = "conflict"


class Gone(HandoffError):
    status = 410
    default_code = "gone"


class PayloadTooLarge(HandoffError):
    status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(HandoffError):
    status = 415
    default_code = "unsupported_media_type"


class Unprocessable(HandoffError):
    status = 422
    default_code = "unprocessable"


class TooManyRequests(HandoffError):
    status = 429
    default_code = "rate_limited"


class ServiceUnavailable(HandoffError):
    status = 503
    default_code = "busy"
