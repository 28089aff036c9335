"""The OpenAPI document: valid 3.1, and a description of every desktop route."""

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from handoff.models import CreateSessionRequest, SessionOut


async def fetch(client: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/openapi.json")  # no credentials needed
    assert response.status == 200
    assert response.content_type == "application/json"
    return await response.json()


async def test_document_is_valid_openapi_3_1(client: Any) -> None:
    document = await fetch(client)
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_refuses_a_broken_document() -> None:
    with pytest.raises(Exception, match="required property"):
        validate({"openapi": "3.1.0", "paths": {}})


async def test_every_api_route_is_described_with_each_method(client: Any) -> None:
    document_paths = (await fetch(client))["paths"]
    described = 0
    for resource in client.app.router.resources():
        path = resource.canonical
        if not path.startswith("/api/v1/"):
            continue
        for route in resource:
            if route.method == "HEAD":  # added by aiohttp beside every GET
                continue
            operation = document_paths.get(path, {}).get(route.method.lower())
            assert operation is not None, f"{route.method} {path} is not in the OpenAPI document"
            assert operation["operationId"] == route.name
            described += 1
    documented = sum(len(methods) for methods in document_paths.values())
    assert described == documented  # and nothing is described that does not exist


async def test_schemas_are_the_pydantic_models(client: Any) -> None:
    schemas = (await fetch(client))["components"]["schemas"]
    assert set(SessionOut.model_fields) == set(schemas["SessionOut"]["properties"])
    request = schemas["CreateSessionRequest"]["properties"]
    assert set(CreateSessionRequest.model_fields) == set(request)
    # Durations are documented as the strings and numbers the server accepts.
    ttl = json.dumps(request["session_ttl"])
    assert '"type": "string"' in ttl and '"type": "number"' in ttl


async def test_every_error_status_carries_the_error_body(client: Any) -> None:
    document = await fetch(client)
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and not path.endswith("/result"):
                    schema = response["content"]["application/json"]["schema"]
                    error_body = {"$ref": "#/components/schemas/ErrorBody"}
                    assert schema == error_body, (method, path, status)
