"""Reading request bodies within a byte limit, and turning them into models."""

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ValidationError

from ..errors import BadRequest, PayloadTooLarge

ModelT = TypeVar("ModelT", bound=BaseModel)
_CHUNK = 64 * 1024


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than the limit of {limit} bytes.", code="body_too_large"
    )


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it passes ``limit`` bytes."""
    if request.content_length is not None:
        if request.content_length > limit:
            raise _too_large(limit)
        # aiohttp reads exactly Content-Length bytes; one call is cheaper than chunking.
        return await request.read()
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def validation_error(exc: ValidationError) -> BadRequest:
    """One sentence naming the first bad field, and every problem in ``details``."""
    details = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        details.append({"field": location, "message": message})
    first = details[0]
    sentence = (
        first["message"] if first["field"] == "body" else f"{first['field']}: {first['message']}"
    )
    return BadRequest(sentence, code="invalid_request", details=details)


async def read_model(
    request: web.Request, model: type[ModelT], *, limit: int, context: dict[str, Any] | None = None
) -> ModelT:
    """Parse a JSON body into ``model``; 400 for malformed JSON or invalid fields."""
    raw = await read_limited(request, limit)
    if not raw.strip():
        raise BadRequest("The request body is empty; send a JSON object.", code="invalid_json")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}.", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(exc) from exc


@dataclass(slots=True)
class Form:
    """A multipart body: text fields and at most one file per name."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


async def read_form(request: web.Request, limit: int) -> Form:
    """Read ``multipart/form-data`` keeping the whole body within ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if not request.content_type.startswith("multipart/"):
        raise BadRequest(
            "Send the file as multipart/form-data in a part named 'file'.", code="not_multipart"
        )
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError) as exc:
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from exc
    form, size = Form(), 0
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue  # nested multiparts and unnamed parts carry nothing we read
            chunks = []
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
            data = b"".join(chunks)
            if part.filename is not None:
                # A form with two file inputs of one name sends the unused one empty.
                if data or part.name not in form.files:
                    form.files[part.name] = data
            else:
                form.fields[part.name] = data.decode("utf-8", "replace")
    except (ValueError, AssertionError) as exc:
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from exc
    return form
