"""Cross-origin access to the API for desktop web apps, only from the configured origins."""

from ..conftest import A
from ..helpers import create

APP = "https://app.example"


async def test_no_cors_headers_unless_configured(client):
    created = await create(client)
    response = await client.get(f"/api/v1/sessions/{created['id']}", headers={**A, "Origin": APP})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_configured_origin_may_long_poll_with_a_client_secret(make_client):
    client = await make_client(cors_origins=APP)
    created = await create(client)
    path = f"/api/v1/sessions/{created['id']}"
    preflight = await client.options(path, headers={
        "Origin": APP,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, if-none-match",
    })
    assert preflight.status == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == APP
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "if-none-match" in allowed
    response = await client.get(path, headers={
        "Origin": APP, "Authorization": f"Bearer {created['client_secret']}",
    })
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "ETAG" in response.headers["Access-Control-Expose-Headers"].upper()


async def test_other_origins_are_not_allowed(make_client):
    client = await make_client(cors_origins=APP)
    created = await create(client)
    preflight = await client.options(f"/api/v1/sessions/{created['id']}", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
    })
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
