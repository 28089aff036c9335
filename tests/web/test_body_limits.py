"""Request bodies are read within their limit, with or without a Content-Length."""

import json

from ..conftest import A

BIG = json.dumps({"action_type": "photo", "output_format": "jpg", "intro_text": "x" * 70_000})


async def test_a_body_with_its_length_is_read_whole(client):
    response = await client.post(
        "/api/v1/sessions", data=json.dumps({"action_type": "photo", "output_format": "jpg"}),
        headers={**A, "Content-Type": "application/json"},
    )
    assert response.status == 201


async def test_a_declared_length_over_the_limit_is_refused(client):
    response = await client.post("/api/v1/sessions", data=BIG, headers=A)
    assert response.status == 413
    assert (await response.json())["code"] == "body_too_large"


async def test_a_chunked_body_over_the_limit_is_refused(client):
    async def chunks():
        yield BIG.encode()

    response = await client.post("/api/v1/sessions", data=chunks(), headers=A)
    assert response.status == 413
    assert (await response.json())["code"] == "body_too_large"
