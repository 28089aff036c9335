"""Reading request bodies within a byte limit, and turning them into models."""

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pydantic_core
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage
from pydantic import BaseModel, ValidationError

from ..errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from ..keys import executor_key

ModelT = TypeVar("ModelT", bound=BaseModel)
_CHUNK = 64 * 1024
#: JSON bodies up to this size are parsed on the loop (well under a millisecond);
#: larger ones, such as a long signature, in the thread pool.
INLINE_JSON_BYTES = 8 * 1024
#: Parts in one form: a phone sends at most four (a page, its corners and indexes).
MAX_PARTS = 16
#: A text field holds an index or a few corner coordinates, never more than this.
MAX_FIELD_BYTES = 8 * 1024
#: The parser's own messages for two refusals, said in plainer words.
_JSON_PROBLEMS = {
    "recursion limit exceeded": "it nests arrays or objects too deeply",
    "number out of range": "it holds a number too long to read",
}


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than the limit of {limit} bytes.", code="body_too_large"
    )


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it passes ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    try:
        if request.content_length is not None:
            # aiohttp reads exactly Content-Length bytes; one call is cheaper than chunking.
            return await request.read()
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)
    except BadHttpMessage as exc:  # broken chunked framing, say
        reason = exc.message.splitlines()[0] if exc.message else "its framing is broken"
        raise BadRequest(
            f"The request body could not be read: {reason.rstrip('.')}.", code="malformed_body"
        ) from exc


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


def parse_json(raw: bytes) -> Any:
    """The JSON value in ``raw``, or 400 with a sentence.

    The parser stops at 200 levels of nesting and at numbers of more than 4,300
    digits, so a hostile body costs no more than reading it.
    """
    try:
        # Some Windows tools start UTF-8 with a byte order mark; it is not part of the JSON.
        return pydantic_core.from_json(raw.removeprefix(b"\xef\xbb\xbf"))
    except ValueError as exc:
        problem = str(exc)
        for prefix, plain in _JSON_PROBLEMS.items():
            if problem.startswith(prefix):
                problem = plain + problem.removeprefix(prefix)
        raise BadRequest(f"The request body is not valid JSON: {problem}.", code="invalid_json") from exc


def parse_model(raw: bytes, model: type[ModelT], context: dict[str, Any] | None = None) -> ModelT:
    """``raw`` as ``model``: 400 for malformed JSON, a value that is no object, or invalid fields.

    A valid body is parsed and validated in one pass (``model_validate_json``, half
    the time of building the dict first). Any refusal is worked out again the long
    way, so its sentence is the same whichever problem the body has.
    """
    try:
        return model.model_validate_json(raw, context=context)
    except ValidationError:
        pass
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(exc) from exc


async def read_model(
    request: web.Request, model: type[ModelT], *, limit: int, context: dict[str, Any] | None = None
) -> ModelT:
    """Parse a JSON body into ``model``; large bodies are parsed off the loop."""
    raw = await read_limited(request, limit)
    if not raw.strip():
        raise BadRequest("The request body is empty; send a JSON object.", code="invalid_json")
    if len(raw) <= INLINE_JSON_BYTES:
        return parse_model(raw, model, context)
    job = partial(parse_model, raw, model, context)
    return await asyncio.get_running_loop().run_in_executor(request.app[executor_key], job)


@dataclass(slots=True)
class Form:
    """A multipart body: text fields and at most one file per name."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


async def _read_part(part: BodyPartReader, used: int, limit: int, field_limit: int | None) -> bytes:
    """The part's bytes: 413 once the body passes ``limit``, 400 past a text field's limit."""
    chunks, size = [], 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if used + size > limit:
            raise _too_large(limit)
        if field_limit is not None and size > field_limit:
            raise BadRequest(
                f"The form field '{part.name}' is longer than {field_limit} bytes.",
                code="field_too_long",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _malformed() -> BadRequest:
    return BadRequest("The multipart body is malformed.", code="malformed_multipart")


async def read_form(request: web.Request, limit: int) -> Form:
    """Read ``multipart/form-data`` keeping the whole body within ``limit`` bytes.

    Reading stops at the first part past :data:`MAX_PARTS`, at a nested
    multipart and at a text field past :data:`MAX_FIELD_BYTES`, so no body
    keeps the loop parsing for longer than its first few parts take.
    """
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if not request.content_type.startswith("multipart/"):
        raise BadRequest(
            "Send the file as multipart/form-data in a part named 'file'.", code="not_multipart"
        )
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError) as exc:
        raise _malformed() from exc
    form, size, parts = Form(), 0, 0
    try:
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > MAX_PARTS:
                raise BadRequest(
                    f"The form has more than {MAX_PARTS} parts; send only the file and its fields.",
                    code="too_many_parts",
                )
            if not isinstance(part, BodyPartReader):
                raise BadRequest(
                    "The form nests a multipart body in a part; send the file and fields directly.",
                    code="malformed_multipart",
                )
            text = part.filename is None
            # Unnamed parts are read too, so that their bytes count towards the limit.
            data = await _read_part(part, size, limit, MAX_FIELD_BYTES if text else None)
            size += len(data)
            if part.name is None:
                continue  # an unnamed part carries nothing we read
            if text:
                form.fields[part.name] = data.decode("utf-8", "replace")
            elif data or part.name not in form.files:
                # A form with two file inputs of one name sends the unused one empty.
                form.files[part.name] = data
    except (ValueError, AssertionError, BadHttpMessage) as exc:
        raise _malformed() from exc
    return form


FORM_TYPE = "application/x-www-form-urlencoded"


async def read_fields(request: web.Request, *, limit: int) -> dict[str, str]:
    """A small URL-encoded form (a page posted without script): the first value of each field.

    Another body type is refused (415) before it is read, rather than read as a form with
    no fields: a code sent as JSON or multipart would otherwise count as a wrong one."""
    if "Content-Type" in request.headers and request.content_type != FORM_TYPE:
        raise UnsupportedMediaType(
            f"Send this form as {FORM_TYPE}, not {request.content_type}.", code="invalid_request"
        )
    body = await read_limited(request, limit)
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields
