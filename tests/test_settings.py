"""Configuration: durations, environment variables, development mode, start-up."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiohttp.test_utils import unused_port
from pydantic import ValidationError

from handoff.durations import format_duration, parse_duration
from handoff.settings import Settings, with_derived_base_url, with_development_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2", 2), ("0.5", 0.5),
     (3, 3), (1.5, 1.5), ("1m30.5s", 90.5), ("1500us", 0.0015)],
)
def test_durations_accept_go_syntax_and_seconds(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "abc", "5 minutes", "1d", "-5s", "nan", True, None, [1]])
def test_bad_durations_are_refused_with_a_sentence(bad):
    with pytest.raises(ValueError) as error:
        parse_duration(bad)
    assert "duration" in str(error.value)


def test_durations_format_back_to_go_syntax():
    assert [format_duration(s) for s in (5400, 90, 0.25, 86400)] == ["1h30m", "1m30s", "250ms", "24h"]


def test_defaults_match_the_documented_ones():
    settings = Settings(_env_file=None)
    assert settings.api_keys == ()
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert (settings.session_ttl, settings.result_ttl) == (1800, 300)
    assert (settings.tombstone_ttl, settings.max_session_ttl) == (86400, 86400)
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.log_level == "info"


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("API_KEYS", " one, two ,,")
    monkeypatch.setenv("SESSION_TTL", "1h30m")
    monkeypatch.setenv("BASE_URL", "https://handoff.example/")
    settings = Settings(_env_file=None)
    assert settings.api_keys == ("one", "two")
    assert settings.session_ttl == 5400
    assert settings.base_url == "https://handoff.example"
    assert not settings.demo_enabled


def test_a_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RESULT_TTL=2m\nPORT=9000\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert (settings.result_ttl, settings.port) == (120, 9000)


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("RESULT_TTL", "later")
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)
    assert "result_ttl" in str(error.value)


def test_development_mode_makes_a_key_and_turns_the_demo_on():
    settings, key = with_development_key(Settings(_env_file=None))
    assert key and settings.api_keys == (key,)
    assert settings.demo_enabled
    configured, none = with_development_key(Settings(_env_file=None, api_keys="k1"))
    assert none is None and not configured.demo_enabled


def test_base_url_is_derived_when_unset():
    settings = with_derived_base_url(Settings(_env_file=None, port=8123))
    assert settings.base_url.startswith("http://") and settings.base_url.endswith(":8123")
    kept = with_derived_base_url(Settings(_env_file=None, base_url="https://x.example"))
    assert kept.base_url == "https://x.example"



@pytest.mark.parametrize(
    ("host", "base_url"),
    [("127.0.0.1", "http://127.0.0.1:8123"), ("127.0.0.5", "http://127.0.0.5:8123"),
     ("::1", "http://[::1]:8123"), ("localhost", "http://localhost:8123")],
)
def test_a_loopback_host_keeps_its_links_on_loopback(host, base_url):
    settings = with_derived_base_url(Settings(_env_file=None, host=host, port=8123))
    assert settings.base_url == base_url
    assert settings.public_base_url == base_url


def test_base_url_wins_over_a_loopback_host():
    settings = Settings(_env_file=None, host="127.0.0.1", base_url="https://x.example")
    assert with_derived_base_url(settings).base_url == "https://x.example"

def _environment(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {**keep, **extra}


def test_run_py_stops_on_a_bad_value_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py")],
        env=_environment(SESSION_TTL="soon"), cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SESSION_TTL" in lines[0], result.stderr


def test_run_py_serves_on_defaults_and_prints_a_working_key(tmp_path):
    port = unused_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py")],
        env=_environment(PORT=str(port), HOST="127.0.0.1"), cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = server.stdout.readline()
        key = line.rsplit(" ", 1)[1].strip()
        assert "API key" in line and len(key) >= 24
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/sessions",
            data=json.dumps({"action_type": "signature", "output_format": "svg"}).encode(),
            headers={"X-API-Key": key, "Content-Type": "application/json"},
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 201
                    break
            except ConnectionRefusedError:
                pass
            except urllib.error.URLError as error:
                if not isinstance(error.reason, ConnectionRefusedError):
                    raise
            time.sleep(0.1)
        else:
            pytest.fail("the server never answered")
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
