"""The OpenAPI 3.1 description of the desktop API, served at ``/api/v1/openapi.json``.

Every schema comes from the pydantic models in :mod:`handoff.models`, so the
document cannot drift from the shapes the server actually sends and accepts.
A test checks that every route under ``/api/v1`` is described here.
"""

import json
from functools import cache
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .. import __version__
from ..capture.pdf_preview import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH
from ..models import (
    CreateSessionRequest,
    DeliveryList,
    DeliveryOut,
    ErrorBody,
    Health,
    ResultPoll,
    SessionList,
    SessionOut,
    StatusEvent,
    Tombstone,
    VersionInfo,
)

REF = "#/components/schemas/{model}"
MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (CreateSessionRequest, "validation"),
    *((model, "serialization") for model in (
        SessionOut, Tombstone, SessionList, ResultPoll, StatusEvent, ErrorBody, Health, VersionInfo,
        DeliveryOut, DeliveryList,
    )),
]
FILE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/svg+xml", "application/pdf")
Json = dict[str, Any]


def ref(model: str) -> Json:
    return {"$ref": REF.format(model=model)}


def json_response(description: str, schema: Json, headers: Json | None = None) -> Json:
    response: Json = {
        "description": description, "content": {"application/json": {"schema": schema}}
    }
    if headers:
        response["headers"] = headers
    return response


def errors(*statuses: int, say: dict[int, str] | None = None) -> Json:
    """The error body, under each status the route can answer with (``say``: this route's reasons)."""
    reasons = {
        400: "The request is malformed; `error` names what is wrong.",
        401: "The API key (or client secret) is missing or not valid.",
        403: "A client secret was used where an API key is required.",
        404: "No such session or file for this caller.",
        410: "The session has expired or was cancelled; `status` says which.",
        409: "A request with this Idempotency-Key is still in progress (`idempotency_key_in_use`).",
        413: "The request body is too large.",
        422: "This Idempotency-Key was used with another body (`idempotency_key_reused`).",
        429: "Too many requests (`rate_limited`); `Retry-After` says when to try again.",
    }
    reasons |= say or {}
    return {str(s): json_response(reasons[s], ref("ErrorBody")) for s in statuses}


def param(name: str, where: str, schema: Json, description: str, required: bool = False) -> Json:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": description}


SESSION_ID = param("session_id", "path", {"type": "string", "format": "uuid"}, "The session's id.")
DOWNLOAD_ID = param("download_id", "path", {"type": "string"}, "A result item's `download_id`.")
ETAG = {"ETag": {"description": 'The session\'s version, quoted: `"3"`.',
                 "schema": {"type": "string"}}}
NO_AUTH: list[Json] = []
API_KEY_ONLY: list[Json] = [{"apiKey": []}, {"bearer": []}]


def operation(name: str, summary: str, responses: Json, **extra: Any) -> Json:
    return {"operationId": name, "summary": summary, "responses": responses, **extra}


def paths() -> Json:
    session_or_tombstone = {"anyOf": [ref("SessionOut"), ref("Tombstone")]}
    return {
        "/api/v1/health": {"get": operation(
            "health", "Liveness probe.", {"200": json_response("Serving.", ref("Health"))},
            security=NO_AUTH)},
        "/api/v1/ready": {"get": operation(
            "ready", "Readiness probe: the store answers.",
            {"200": json_response("Ready to serve.", ref("Health")),
             "503": json_response("The store is not reachable (`store_unavailable`).",
                                  ref("ErrorBody"))},
            security=NO_AUTH)},
        "/api/v1/version": {"get": operation(
            "version", "Version and commit of the server.",
            {"200": json_response("The version.", ref("VersionInfo"))}, security=NO_AUTH)},
        "/api/v1/openapi.json": {"get": operation(
            "openapi", "This document.",
            {"200": json_response("The OpenAPI 3.1 document.", {"type": "object"})},
            security=NO_AUTH)},
        "/api/v1/sessions": {
            "post": operation(
                "sessions", "Create a capture session.",
                {"201": json_response(
                    "Created. `client_secret` is shown only to the API key holder.",
                    ref("SessionOut"),
                    {"Location": {"description": "The session's path.",
                                  "schema": {"type": "string"}},
                     "Idempotent-Replayed": {
                         "description": "`true` on a repeat of an earlier request with the same "
                                        "Idempotency-Key and body: the same session again.",
                         "schema": {"type": "string", "enum": ["true"]}},
                     **ETAG}),
                 **errors(400, 401, 403, 409, 413, 422, 429)},
                parameters=[param(
                    "Idempotency-Key", "header",
                    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                    "Makes the create safe to retry: within 24 h a repeat with the same key and "
                    "body answers the same session (IETF draft-ietf-httpapi-idempotency-key-header).")],
                requestBody={"required": True, "content": {
                    "application/json": {"schema": ref("CreateSessionRequest")}}},
                security=API_KEY_ONLY),
            "get": operation(
                "session_list", "The caller's sessions that have not expired, newest first.",
                {"200": json_response("The sessions.", ref("SessionList")), **errors(400, 401, 403)},
                parameters=[
                    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100},
                          "Sessions per page (default and most: 100)."),
                    param("cursor", "query", {"type": "string"},
                          "The `next_cursor` of the previous page."),
                ],
                security=API_KEY_ONLY),
        },
        "/api/v1/sessions/{session_id}": {
            "get": operation(
                "session", "A session; long-polls with `wait` and `If-None-Match`.",
                {"200": json_response(
                    "The session, or `{id, status: expired}` once it has expired.",
                    session_or_tombstone, ETAG),
                 "304": {"description": "Unchanged: the version is still the one given.",
                         "headers": ETAG},
                 **errors(400, 401, 404)},
                parameters=[
                    SESSION_ID,
                    param("wait", "query", {"type": "number", "minimum": 0, "maximum": 60},
                          "Seconds to wait for a change from the version in `If-None-Match` "
                          "(values above 60 count as 60)."),
                    param("If-None-Match", "header", {"type": "string"},
                          "The version last seen, as its ETag."),
                ]),
            "delete": operation(
                "session_cancel", "Cancel the session and delete its result files (repeatable).",
                {"200": json_response("The session, now cancelled.", ref("SessionOut"), ETAG),
                 **errors(401, 404, 410)},
                parameters=[SESSION_ID]),
        },
        "/api/v1/sessions/{session_id}/result": {"get": operation(
            "session_result", "Poll for the result.",
            {"200": json_response("Completed: the items.", ref("ResultPoll")),
             "202": json_response("Not yet: the current status.", ref("ResultPoll")),
             "410": json_response("Expired or cancelled, with a sentence in `error`.",
                                  ref("ResultPoll")),
             **errors(401, 404)},
            parameters=[SESSION_ID])},
        "/api/v1/sessions/{session_id}/ws": {"get": operation(
            "session_ws", "Websocket of status events: the current state, then every change.",
            {"101": {"description": "Switching to the websocket. Each text message is a "
                                    "`StatusEvent`; the socket closes with 1000 after "
                                    "`cancelled` or `expired`, with 1001 on server shutdown.",
                     "x-message-schema": ref("StatusEvent")},
             **errors(401, 404, 410)},
            parameters=[SESSION_ID],
            security=[*API_KEY_ONLY, {"apiKeyQuery": []}, {"clientSecretQuery": []}])},
        "/api/v1/sessions/{session_id}/qr.{kind}": {"get": operation(
            "session_qr", "A QR code of the phone link.",
            {"200": {"description": "The QR code.", "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}},
             **errors(401, 404, 410)},
            parameters=[SESSION_ID,
                        param("kind", "path", {"enum": ["svg", "png"]}, "Image type.")])},
        "/api/v1/webhooks/deliveries": {"get": operation(
            "deliveries", "The calling tenant's recent webhook deliveries, newest first.",
            {"200": json_response("The deliveries (empty without a webhook_url).",
                                  ref("DeliveryList")),
             **errors(401, 403)},
            security=API_KEY_ONLY)},
        "/api/v1/webhooks/deliveries/{delivery_id}/retry": {"post": operation(
            "delivery_retry", "Send a delivery again now (whatever its status); "
                              "its `webhook-id` stays the same.",
            {"202": json_response("Queued: the delivery, pending and due now.", ref("DeliveryOut")),
             **errors(401, 403, 404)},
            parameters=[param("delivery_id", "path", {"type": "string"}, "A delivery's `id`.")],
            security=API_KEY_ONLY)},
        "/api/v1/downloads/{download_id}": {
            "get": operation(
                "download", "A result file's bytes (the file may expire before its session).",
                {"200": {"description": "The file, as an attachment.",
                         "headers": {"Content-Disposition": {
                             "description": 'attachment; filename="photo.jpg"',
                             "schema": {"type": "string"}}},
                         "content": {kind: {"schema": {"type": "string", "contentMediaType": kind}}
                                     for kind in FILE_TYPES}},
                 **errors(401, 404)},
                parameters=[DOWNLOAD_ID]),
            "delete": operation(
                "download_delete", "Delete a result file now.",
                {"204": {"description": "Deleted."}, **errors(401, 404)},
                parameters=[DOWNLOAD_ID]),
        },
        "/api/v1/downloads/{download_id}/preview": {"get": operation(
            "download_preview", "Page 1 of a PDF result file as a small JPEG.",
            {"200": {"description": "The first page on white, fitted into `width` x 2`width` px.",
                     "headers": {"X-Page-Count": {"description": "The PDF's number of pages.",
                                                  "schema": {"type": "integer"}}},
                     "content": {"image/jpeg": {"schema": {
                         "type": "string", "contentMediaType": "image/jpeg"}}}},
             **errors(400, 401, 404, 409, 422, 503, say={
                 400: f"`width` is not a whole number from {MIN_WIDTH} to {MAX_WIDTH} (`invalid_width`).",
                 409: "The file is not a PDF (`not_a_pdf`).",
                 422: "The file cannot be read as a PDF (`unreadable_pdf`).",
                 503: "More previews are waiting than are queued (`busy`); see `Retry-After`.",
             })},
            parameters=[DOWNLOAD_ID, param(
                "width", "query",
                {"type": "integer", "minimum": MIN_WIDTH, "maximum": MAX_WIDTH, "default": DEFAULT_WIDTH},
                "The preview's width in pixels.")])},
    }


@cache
def document() -> bytes:
    _, schemas = models_json_schema(MODELS, ref_template=REF)
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "handoff",
            "version": __version__,
            "description": "Borrow the user's phone for one capture task. Errors answer with "
                           "`ErrorBody`: `error` is a sentence for people, `code` is for programs.",
        },
        "security": [*API_KEY_ONLY, {"clientSecretQuery": []}],
        "paths": paths(),
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "An API key, or a session's `client_secret` "
                                          "(read access to that session only)."},
                "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key",
                                "description": "Websocket only."},
                "clientSecretQuery": {"type": "apiKey", "in": "query", "name": "client_secret"},
            },
        },
    }
    return json.dumps(doc).encode()


async def openapi_document(request: web.Request) -> web.Response:
    return web.Response(body=document(), content_type="application/json")
