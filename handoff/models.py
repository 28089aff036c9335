"""Request and response shapes: the single definition used by the server, the
OpenAPI document and the Python client."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from .domain import Status
from .durations import format_duration, parse_duration
from .locale import LOCALES, supported

ActionType = Literal["photo", "signature", "scan"]
DocumentMode = Literal["single", "multi"]
ScanOutputFormat = Literal["pdf", "images"]

OUTPUT_FORMATS: dict[str, tuple[str, ...]] = {
    "photo": ("jpg", "png", "pdf", "webp"),
    "signature": ("png", "svg", "pdf", "jpg"),
    "scan": ("pdf", "images"),
}
FORMAT_ALIASES = {"jpeg": "jpg"}

#: A Tesseract language name: eng, deu, chi_sim, ...
OcrLanguage = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,31}$")]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[str, StringConstraints(max_length=500)]


RequestDuration = Annotated[
    float,
    BeforeValidator(parse_duration),
    # The JSON accepts more than the float it becomes; say so in the OpenAPI document.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["90s", "30m", "1h30m"]},
                {"type": "number", "minimum": 0},
            ],
            "description": "a duration in Go syntax or a number of seconds",
        }
    ),
]


class CreateSessionRequest(BaseModel):
    """Body of ``POST /api/v1/sessions``. Durations: Go syntax (``"30m"``) or seconds."""

    model_config = ConfigDict(extra="ignore")

    action_type: ActionType
    output_format: str | None = Field(None, validate_default=True)
    intro_text: str = Field("", max_length=2000)
    session_ttl: RequestDuration | None = None
    result_ttl: RequestDuration | None = None
    metadata: dict[MetadataKey, MetadataValue] | None = Field(None, max_length=20)
    document_mode: DocumentMode | None = Field(None, validate_default=True)
    ocr: bool = Field(False, description="scan only: make every PDF searchable (a text layer)")
    ocr_languages: list[OcrLanguage] | None = Field(
        None, min_length=1, max_length=8, validate_default=True,
        description='Tesseract languages for ocr, default ["eng"]',
    )
    include_strokes: bool = Field(
        False, description="signature only: add strokes.json (the points as drawn) to the result"
    )
    confirm_match: bool = Field(
        False,
        description="ask the phone to pick the session's match_number (shown by the desktop) "
        "among three before capturing; a wrong pick cancels the session (match_failed)",
    )
    locale: str | None = Field(
        None,
        description="the phone pages' language (" + ", ".join(LOCALES) + "); "
        "without it the phone's browser settings choose",
        examples=["de"],
    )

    @field_validator("intro_text", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("session_ttl", "result_ttl")
    @classmethod
    def _ttl_in_range(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:
            return None
        ceiling = (info.context or {}).get("max_ttl", 24 * 3600)
        if value < 1 or value > ceiling:
            raise ValueError(f"must be between 1s and {format_duration(ceiling)}")
        return value

    @field_validator("output_format")
    @classmethod
    def _format_fits_action(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action_type")
        if action is None:
            return value  # the action itself is invalid; that error is reported
        allowed = OUTPUT_FORMATS[action]
        fmt = FORMAT_ALIASES.get(value.lower(), value.lower()) if value else None
        if fmt is None:
            if action != "scan":
                raise ValueError(
                    f"required for action_type '{action}': use one of {', '.join(allowed)}"
                )
            fmt = "pdf"
        if fmt not in allowed:
            raise ValueError(
                f"'{value}' is not available for action_type '{action}': use one of {', '.join(allowed)}"
            )
        return fmt

    @field_validator("include_strokes")
    @classmethod
    def _strokes_fit_action(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("action_type") not in (None, "signature"):
            raise ValueError("include_strokes applies only to action_type 'signature'")
        return value

    @field_validator("ocr")
    @classmethod
    def _ocr_fits_action(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("action_type") not in (None, "scan"):
            raise ValueError("ocr applies only to action_type 'scan'")
        return value

    @field_validator("ocr_languages")
    @classmethod
    def _languages_installed(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if not info.data.get("ocr"):
            if value is not None:
                raise ValueError("ocr_languages needs ocr: true")
            return None
        value = value or ["eng"]
        installed = (info.context or {}).get("ocr_languages")
        if installed is not None:
            unknown = [language for language in value if language not in installed]
            if unknown:
                offered = ", ".join(sorted(installed)) or "none"
                raise ValueError(f"'{unknown[0]}' is not an installed OCR language (installed: {offered})")
        return list(dict.fromkeys(value))

    @field_validator("locale")
    @classmethod
    def _supported_locale(cls, value: str | None) -> str | None:
        if value is None:
            return None
        language = supported(value)
        if language is None:
            raise ValueError(f"'{value}' is not a supported language: use one of {', '.join(LOCALES)}")
        return language

    @field_validator("document_mode")
    @classmethod
    def _mode_fits_action(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action_type")
        if action == "scan":
            return value or "single"
        if value is not None:
            raise ValueError("document_mode applies only to action_type 'scan'")
        return None


class ResultItem(BaseModel):
    """One stored result file. The first three fields are the Go server's."""

    download_id: str
    content_type: str
    filename: str
    size: int
    sha256: str
    expires_at: datetime
    download_url: str
    preview_url: str | None = Field(
        None, description="PDF files only: a JPEG of the first page (GET, same credentials)"
    )


class ScanPage(BaseModel):
    url: str
    content_type: str


class ScanDocument(BaseModel):
    pdf_url: str | None = None
    pdf_preview_url: str | None = Field(None, description="with pdf_url: a JPEG of the PDF's first page")
    pages: list[ScanPage] | None = None
    text_url: str | None = Field(None, description="ocr with images output: the document's plain text")
    ocr: Literal["done", "failed"] | None = Field(None, description="sessions created with ocr: true")
    ocr_error: str | None = Field(None, description="why ocr failed; the files are complete without text")


class ScanResult(BaseModel):
    documents: list[ScanDocument]


class SessionOut(BaseModel):
    """A session as the desktop sees it. ``None`` fields are left out of the JSON."""

    id: str
    action_type: ActionType
    status: Status
    intro_text: str | None = None
    output_format: str
    session_ttl: int = Field(description="nanoseconds, as the Go server encodes durations")
    result_ttl: int = Field(description="nanoseconds")
    url: str
    created_at: datetime
    completed_at: datetime | None = None
    result: list[ResultItem] | None = None
    document_mode: DocumentMode | None = None
    scan_output_format: ScanOutputFormat | None = None
    scan_result: ScanResult | None = None
    scan_pages: int | None = Field(
        None, description="scan sessions: pages the phone has sent so far (each one a new version)"
    )
    opened_at: datetime | None = None
    expires_at: datetime
    version: int
    events_url: str
    metadata: dict[str, str] | None = None
    client_secret: str | None = None
    short_code: str | None = Field(
        None, description="the link typed by hand: 8 characters shown as XXXX-XXXX, "
        "entered at short_code_url while the session waits for the phone",
        examples=["7KQ2-M9XD"],
    )
    short_code_url: str | None = Field(None, description="where the phone types short_code (<base>/c)")
    match_number: str | None = Field(
        None, description="confirm_match sessions: the two digits to show the user", examples=["47"]
    )
    cancel_reason: Literal["match_failed"] | None = Field(
        None, description="why a session was cancelled when the desktop did not cancel it"
    )


class Tombstone(BaseModel):
    """What an expired session answers with until it is forgotten."""

    id: str
    status: Literal["expired"] = "expired"


class DeliveryOut(BaseModel):
    """One webhook delivery, as its tenant's listing shows it."""

    id: str = Field(description="The `webhook-id` header: the same on every redelivery.")
    type: str = Field(description="`session.opened`, `session.action_started`, `session.completed`, "
                                  "`session.cancelled` or `session.expired`.")
    session_id: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None = Field(None, description="The receiver's last answer, if any.")
    last_error: str | None = Field(None, description="Why the last attempt failed, if it did.")
    next_attempt_at: datetime | None = Field(None, description="While pending.")
    created_at: datetime


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="The newest first, at most 100.")


class SessionList(BaseModel):
    sessions: list[SessionOut]
    next_cursor: str | None = Field(
        None, description="Present when there are more: pass it as `cursor` for the next page."
    )


class ResultPoll(BaseModel):
    """``GET /api/v1/sessions/{id}/result``: 202 while waiting, 200 when completed, 410 when over."""

    status: Status
    completed_at: datetime | None = None
    items: list[ResultItem] | None = None
    scan_result: ScanResult | None = None
    error: str | None = None
    code: str | None = None


class StatusEvent(BaseModel):
    """A websocket message: one per status change, the current state first."""

    type: Literal["status_update", "completed"]
    session_id: str
    status: Status
    timestamp: datetime
    data: list[ResultItem] | ScanResult | None = None
    version: int
    cancel_reason: Literal["match_failed"] | None = None
    session: SessionOut | Tombstone


class PhoneStatus(BaseModel):
    status: Status


class UploadAccepted(BaseModel):
    status: Literal["completed"] = "completed"


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error: ``error`` is a sentence for people, ``code`` is for programs."""

    error: str
    code: str
    details: list[ErrorDetail] | None = None
    status: Status | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class VersionInfo(BaseModel):
    version: str
    commit: str


class SignatureStrokes(BaseModel):
    """A signature as drawn on the phone's pad, in pad pixels."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    width: float = Field(gt=0, le=20000)
    height: float = Field(gt=0, le=20000)
    strokes: list[list[list[float]]] = Field(
        max_length=2000,
        description="per stroke its points [x, y, t_ms, pressure] (pressure 0: not measured); "
        "[x, y] points are accepted too",
    )
    pointer_type: str | None = Field(
        None, pattern=r"^[a-z]{1,16}$",
        description="touch, pen, mouse or mixed; another browser's word is kept as null")
    device_pixel_ratio: float | None = Field(None, gt=0, le=16)

    @field_validator("strokes")
    @classmethod
    def _points_have_xy(cls, strokes: list[list[list[float]]]) -> list[list[list[float]]]:
        total = 0
        for s, stroke in enumerate(strokes):
            for p, point in enumerate(stroke):
                if len(point) < 2:
                    raise ValueError(f"point {p} of stroke {s} needs at least x and y")
                if len(point) > 2 and point[2] < 0:
                    raise ValueError(f"point {p} of stroke {s}: t is milliseconds since the "
                                     "first point, never negative")
                if len(point) > 3 and not 0 <= point[3] <= 1:
                    raise ValueError(f"point {p} of stroke {s}: pressure is from 0 to 1")
            total += len(stroke)
        if total > 200_000:
            raise ValueError("a signature may hold at most 200000 points")
        return strokes

    @field_validator("pointer_type")
    @classmethod
    def _known_pointer(cls, value: str | None) -> str | None:
        return value if value in POINTER_TYPES else None


#: What ``strokes.json`` says of the pointer (a browser may report other words).
POINTER_TYPES = frozenset({"touch", "pen", "mouse", "mixed"})

Corner = Annotated[list[float], Field(min_length=2, max_length=2)]


class ScanCorners(BaseModel):
    """The ``corners`` field of a scan page upload: top-left, top-right,
    bottom-right, bottom-left, in the uploaded image's pixels."""

    model_config = ConfigDict(allow_inf_nan=False)

    corners: list[Corner] = Field(min_length=4, max_length=4)


class ScanPageAccepted(BaseModel):
    """``POST /s/{token}/scan/upload``. The first three fields are the Go server's."""

    status: Literal["page accepted"] = "page accepted"
    document_index: int
    page_index: int
    pages: int = Field(description="pages held for this session so far")
    width: int
    height: int


class CornerSuggestion(BaseModel):
    """``POST /s/{token}/scan/detect``: where the page's corners probably are."""

    corners: list[Corner]
    detected: bool = Field(description="false: no page stood out; an inset rectangle is suggested")
    width: int
    height: int
