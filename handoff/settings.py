"""Configuration from the environment (and a ``.env`` file), with embedded defaults."""

import ipaddress
import logging
import secrets
import socket
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .durations import parse_duration
from .tenants import TenantsFile, check_origin

log = logging.getLogger(__name__)

Duration = Annotated[float, BeforeValidator(parse_duration)]


#: ``ALLOCATOR``'s choices (see :mod:`handoff.cli.allocator`).
Allocator = Literal["auto", "jemalloc", "pymalloc"]

class Settings(BaseSettings):
    """Every knob of the service; durations are held as seconds."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    api_keys: Annotated[tuple[str, ...], NoDecode] = ()
    #: Tenants with names, several keys, webhooks (see handoff/tenants.py); read at start-up.
    tenants_file: TenantsFile | None = None
    #: Origins of desktop web apps allowed to call the API from a browser (CORS).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    base_url: str | None = None
    host: str = "0.0.0.0"
    port: int = Field(8080, ge=0, le=65535)
    session_ttl: Duration = 30 * 60
    result_ttl: Duration = 5 * 60
    tombstone_ttl: Duration = 24 * 3600
    max_session_ttl: Duration = 24 * 3600
    max_upload_bytes: int = Field(20 * 1024 * 1024, gt=0)
    scan_upload_max_bytes: int = Field(20 * 1024 * 1024, gt=0)
    scan_max_pages: int = Field(50, gt=0)
    #: The Tesseract program that makes scans searchable (``ocr: true``).
    ocr_command: str = "tesseract"
    log_level: str = "info"
    #: Sessions one tenant may create (``limits`` notation: "600/minute", "10/second").
    rate_limit_create: str = "600/minute"
    #: Unknown or expired phone links one address may open before it is refused for a while.
    rate_limit_phone_misses: str = "60/minute"
    #: Wrong short codes one address may type before it is refused for a while.
    rate_limit_code_misses: str = "10 per 10 minutes"
    #: Proxies whose X-Forwarded-For is believed: addresses or networks, or "*" for any.
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = ("127.0.0.1", "::1")
    #: Waits before each retry of a failed webhook (jittered); the specification's suggestion.
    webhook_retry_schedule: Annotated[tuple[Duration, ...], NoDecode] = (
        5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
    #: How long a webhook receiver has to answer 2xx before the attempt counts as failed.
    webhook_timeout: Duration = Field(10.0, gt=0)
    #: Unset: GET /metrics is open (development); set: it needs ``Authorization: Bearer <token>``.
    metrics_token: str | None = Field(None, min_length=16, repr=False)
    #: ``text``: one readable line per record; ``json``: one JSON object per line.
    log_format: Literal["text", "json"] = "text"
    #: Unset: sessions live in this process's memory. Set: in this Redis, shared by every process.
    redis_url: str | None = None
    #: First part of every Redis key, so several deployments (or tests) can share one server.
    redis_prefix: str = Field("handoff", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    #: How long start-up keeps trying to reach Redis before it gives up.
    redis_startup_wait: Duration = 10.0
    #: How long one upload may hold a session before another may try (a dead worker's lapses).
    upload_lease_ttl: Duration = 60.0
    #: Server processes sharing the port; more than one needs REDIS_URL.
    workers: int = Field(1, ge=1, le=64)
    #: ``auto``: uvloop where it is installed (it is a dependency on Linux and macOS), else
    #: asyncio's own loop; about 5 % less CPU per GET in an A/B (bench/RESULTS.md).
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    #: ``auto``: jemalloc where it is installed (Debian's libjemalloc2), else Python's own
    #: allocator; after a wave of sessions jemalloc gives the memory back (cli/allocator.py).
    allocator: Allocator = "auto"
    # None: on in development mode (no API_KEYS), off otherwise.
    demo: bool | None = None

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("rate_limit_create", "rate_limit_phone_misses", "rate_limit_code_misses")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("is not a rate such as 600/minute or 10/second") from None
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_proxies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an address or network (or *)") from None
        return value

    @field_validator("api_keys", "cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(key.strip() for key in value.split(",") if key.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_origin(origin) for origin in origins)

    @field_validator("api_keys")
    @classmethod
    def _unique_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(keys)) != len(keys):
            raise ValueError("the same key is listed twice")
        return keys

    @field_validator("tenants_file", mode="before")
    @classmethod
    def _blank_file(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("tenants_file")
    @classmethod
    def _keys_in_one_place(cls, file: TenantsFile | None, info: ValidationInfo) -> TenantsFile | None:
        if file is None:
            return None
        listed = set(info.data.get("api_keys", ()))
        for tenant in file.tenants.values():
            if listed.intersection(tenant.api_keys):
                raise ValueError(
                    f"tenant {tenant.id!r}, field api_keys: a key is also in API_KEYS; "
                    "list each key in one place"
                )
        return file

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from redis.connection import parse_url

        try:
            parse_url(value.strip())  # type: ignore[no-untyped-call]
        except ValueError as exc:
            raise ValueError(f"{exc} (e.g. redis://127.0.0.1:6379/0)") from None
        return value.strip()

    @field_validator("workers")
    @classmethod
    def _workers_share_a_store(cls, workers: int, info: ValidationInfo) -> int:
        if workers > 1 and not info.data.get("redis_url"):
            raise ValueError("several workers need a shared store: set REDIS_URL, or run one worker")
        return workers

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()

    @property
    def demo_enabled(self) -> bool:
        return bool(self.demo)

    @property
    def public_base_url(self) -> str:
        """The base of every link handed out; tests and servers without BASE_URL use loopback."""
        return self.base_url or f"http://127.0.0.1:{self.port}"


def with_development_key(settings: Settings) -> tuple[Settings, str | None]:
    """Without configured keys (API_KEYS or TENANTS_FILE), make one random key and turn the
    demo on (unless DEMO=0)."""
    if settings.api_keys or (settings.tenants_file and settings.tenants_file.tenants):
        return settings, None
    key = secrets.token_urlsafe(24)
    demo = True if settings.demo is None else settings.demo
    return settings.model_copy(update={"api_keys": (key,), "demo": demo}), key


def with_derived_base_url(settings: Settings) -> Settings:
    """Fill in BASE_URL: the loopback address HOST names, else this host's LAN address.

    A server listening on loopback only cannot be reached at the LAN address, so its
    links keep the address it listens on.
    """
    if settings.base_url:
        return settings
    if is_loopback(settings.host):
        host = settings.host.strip("[]")
        address = f"[{host}]" if ":" in host else host
    elif (found := lan_address()) is not None:
        address = found
    else:
        log.warning(
            "no LAN address found; phone links will use 127.0.0.1, which a phone cannot reach. "
            "Set BASE_URL to an address the phone can open."
        )
        address = "127.0.0.1"
    return settings.model_copy(update={"base_url": f"http://{address}:{settings.port}"})


def is_loopback(host: str) -> bool:
    """Whether HOST is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost, or a wildcard such as ""
        return False


def lan_address() -> str | None:
    # Connecting a UDP socket only asks the kernel for a route; nothing is sent.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1, never routed to a real host
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address
