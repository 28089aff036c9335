"""The tenants file: several keys per tenant, display names, and one-line start-up errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from handoff.cli.serve import startup_error
from handoff.settings import Settings, with_development_key

from .conftest import KEY_A
from .helpers import create, token_of

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ACME_1, ACME_2, GLOBEX = "acme-key-one-0123", "acme-key-two-0123", "globex-key-0123"

TENANTS = f"""
[tenants.acme]
display_name = "ACME Insurance"
api_keys = ["{ACME_1}", "{ACME_2}"]
webhook_url = "https://acme.example/hooks/handoff"
webhook_secret = "{SECRET}"
cors_origins = ["https://app.acme.example"]

[tenants.globex]
api_keys = ["{GLOBEX}"]
"""


def write(tmp_path: Path, text: str = TENANTS) -> Path:
    path = tmp_path / "tenants.toml"
    path.write_text(text)
    return path


def error_of(**values) -> str:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, **values)
    return startup_error(error.value)


async def test_every_key_of_a_tenant_reaches_the_same_sessions(make_client, tmp_path):
    client = await make_client(api_keys=(), tenants_file=str(write(tmp_path)))
    session = await create(client, {"X-API-Key": ACME_1})
    mine = await client.get(f"/api/v1/sessions/{session['id']}", headers={"X-API-Key": ACME_2})
    assert mine.status == 200
    theirs = await client.get(f"/api/v1/sessions/{session['id']}", headers={"X-API-Key": GLOBEX})
    assert theirs.status == 404


async def test_api_keys_keep_working_beside_the_file(make_client, tmp_path):
    client = await make_client(tenants_file=str(write(tmp_path)))
    session = await create(client)  # KEY_A, from API_KEYS
    other = await client.get(f"/api/v1/sessions/{session['id']}", headers={"X-API-Key": ACME_1})
    assert other.status == 404
    assert (await client.get(f"/api/v1/sessions/{session['id']}", headers={"X-API-Key": KEY_A})).status == 200


async def test_the_phone_names_the_tenant_that_asks(make_client, tmp_path):
    client = await make_client(api_keys=(), tenants_file=str(write(tmp_path)))
    acme = await create(client, {"X-API-Key": ACME_1})
    page = await (await client.get(f"/s/{token_of(acme)}", headers={"Accept-Language": "en"})).text()
    assert "ACME Insurance asks for a photo" in page
    globex = await create(client, {"X-API-Key": GLOBEX})
    page = await (await client.get(f"/s/{token_of(globex)}", headers={"Accept-Language": "en"})).text()
    assert "An app or website on your computer asks for a photo" in page


async def test_a_tenants_cors_origin_may_call_the_api(make_client, tmp_path):
    client = await make_client(api_keys=(), tenants_file=str(write(tmp_path)))
    response = await client.options("/api/v1/sessions", headers={
        "Origin": "https://app.acme.example", "Access-Control-Request-Method": "POST"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.acme.example"


def test_a_tenants_file_alone_is_not_development_mode(tmp_path):
    settings, key = with_development_key(Settings(_env_file=None, tenants_file=str(write(tmp_path))))
    assert key is None and not settings.demo_enabled


def test_an_empty_tenants_file_is_development_mode(tmp_path):
    settings, key = with_development_key(Settings(_env_file=None, tenants_file=str(write(tmp_path, ""))))
    assert key is not None and settings.demo_enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TENANTS.replace(SECRET, "whsec_not*base64"), "tenant 'acme', field webhook_secret"),
        (TENANTS.replace(SECRET, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "tenant 'acme', field webhook_secret"),
        (TENANTS.replace("https://acme.example/hooks/handoff", "ftp://acme"), "tenant 'acme', field webhook_url"),
        (TENANTS.replace("display_name", "display_nmae"), "tenant 'acme', field display_nmae: unknown field"),
        (TENANTS.replace(f'["{GLOBEX}"]', f'["{ACME_2}"]'), "tenant 'globex', field api_keys"),
        (TENANTS.replace(f'"{ACME_2}"', f'"{ACME_1}"'), "tenant 'acme', field api_keys"),
        (TENANTS.replace(f'webhook_secret = "{SECRET}"', ""), "tenant 'acme', field webhook_secret"),
        (TENANTS.replace("[tenants.globex]", "[tenants.'glo bex']"), "tenant 'glo bex', field id"),
        ("colour = 'red'\n" + TENANTS, "unknown field 'colour'"),
        ("[tenants.acme\n", "is not valid TOML"),
    ],
)
def test_a_bad_tenants_file_names_the_tenant_and_field_without_secrets(tmp_path, text, expected):
    line = error_of(tenants_file=str(write(tmp_path, text)))
    assert line.startswith("invalid TENANTS_FILE: ") and expected in line, line
    assert "\n" not in line
    for secret in (SECRET, SECRET.removeprefix("whsec_"), ACME_1, ACME_2, GLOBEX):
        assert secret not in line


def test_a_key_in_api_keys_and_the_file_stops_start_up_without_showing_it(tmp_path):
    line = error_of(api_keys=(ACME_2,), tenants_file=str(write(tmp_path)))
    assert "tenant 'acme', field api_keys" in line and "API_KEYS" in line
    assert ACME_2 not in line


def test_a_duplicate_api_key_stops_start_up_without_showing_it():
    line = error_of(api_keys="same-key-0123,same-key-0123")
    assert line.startswith("invalid API_KEYS:") and "same-key" not in line


def test_a_missing_file_names_it(tmp_path):
    line = error_of(tenants_file=str(tmp_path / "nope.toml"))
    assert "cannot read" in line and "nope.toml" in line


def test_serve_stops_on_a_bad_tenants_file_with_one_line(tmp_path):
    path = write(tmp_path, TENANTS.replace(SECRET, "whsec_!!"))
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py")], env={**keep, "TENANTS_FILE": str(path)},
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "tenant 'acme', field webhook_secret" in lines[0], result.stderr
