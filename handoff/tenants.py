"""Tenants: who may call the API, under which opaque id, and what each asks for.

A tenant comes either from ``API_KEYS`` (one key, no name, no webhook) or from
the TOML file ``TENANTS_FILE`` names::

    [tenants.acme]
    display_name = "ACME Insurance"
    api_keys = ["…", "…"]
    webhook_url = "https://acme.example/hooks/handoff"
    webhook_secret = "whsec_…"
    cors_origins = ["https://app.acme.example"]

Sessions, files, deliveries and metrics belong to the tenant's ``id``, never
to a key, so rotating keys keeps a tenant's sessions.
"""

import base64
import binascii
import hashlib
import hmac
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TENANT_ID = r"^[A-Za-z0-9_.-]{1,64}$"
SECRET_PREFIX = "whsec_"


def check_origin(origin: str) -> str:
    if origin != "*" and not origin.startswith(("http://", "https://")):
        raise ValueError(f"{origin!r} is not an origin such as https://app.example")
    return origin.rstrip("/")


def webhook_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (Standard Webhooks' format)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX} followed by base64")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"is not {SECRET_PREFIX} followed by base64") from None
    if not 16 <= len(key) <= 64:
        raise ValueError("must encode 16 to 64 random bytes (24 or 32 are usual)")
    return key


class Tenant(BaseModel):
    """One tenant; ``id`` is the table's name in the file (or a digest of an API_KEYS key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    display_name: str | None = Field(None, min_length=1, max_length=80)
    api_keys: tuple[str, ...] = Field(min_length=1)
    webhook_url: str | None = None
    webhook_secret: str | None = Field(None, repr=False)
    cors_origins: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not re.fullmatch(TENANT_ID, value):
            raise ValueError("a tenant id is 1 to 64 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("api_keys")
    @classmethod
    def _check_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        if any(len(key.strip()) < 8 or key != key.strip() for key in keys):
            raise ValueError("each key must be at least 8 characters, without surrounding spaces")
        if len(set(keys)) != len(keys):
            raise ValueError("the same key is listed twice")
        return keys

    @field_validator("webhook_url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        from yarl import URL

        try:
            parsed = URL(url)
        except ValueError:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("must be an http:// or https:// URL with a host")
        return url

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, secret: str | None) -> str | None:
        if secret is not None:
            webhook_key(secret)
        return secret

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_origin(origin) for origin in origins)

    @model_validator(mode="after")
    def _webhook_needs_both(self) -> "Tenant":
        if (self.webhook_url is None) != (self.webhook_secret is None):
            missing = "webhook_secret" if self.webhook_secret is None else "webhook_url"
            raise ValueError(f"{missing}: webhook_url and webhook_secret go together")
        return self

    @property
    def webhook_signing_key(self) -> bytes | None:
        return None if self.webhook_secret is None else webhook_key(self.webhook_secret)


class TenantsFile(BaseModel):
    """The parsed ``TENANTS_FILE``: where it was read from, and its tenants in file order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    #: By id, in file order (the table names, so errors can name the tenant).
    tenants: dict[str, Tenant] = {}

    @model_validator(mode="before")
    @classmethod
    def _read(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            return read_tenants_file(Path(value))
        return value

    @field_validator("tenants", mode="after")
    @classmethod
    def _unique_keys(cls, tenants: dict[str, Tenant]) -> dict[str, Tenant]:
        seen: dict[str, str] = {}
        for tenant in tenants.values():
            for key in tenant.api_keys:
                if key in seen:
                    raise ValueError(
                        f"tenant {tenant.id!r}, field api_keys: a key is also listed under "
                        f"tenant {seen[key]!r}; each key belongs to one tenant"
                    )
                seen[key] = tenant.id
        return tenants


def read_tenants_file(path: Path) -> dict[str, Any]:
    """The file's tables as the fields of :class:`TenantsFile` (each tenant's id filled in)."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    tables = data.pop("tenants", {})
    if not isinstance(tables, dict):
        raise ValueError(f"{path}: [tenants] must be a table of tables, e.g. [tenants.acme]")
    tenants = {
        name: {**fields, "id": name} if isinstance(fields, dict) else fields
        for name, fields in tables.items()
    }
    return {**data, "path": str(path), "tenants": tenants}


def describe_error(error: dict[str, Any]) -> str:
    """One line for a validation error inside the file: the tenant, the field and why."""
    loc = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    # loc: ("tenants_file", "tenants", <id>, <field>...) for a field of one tenant.
    if len(loc) >= 3 and loc[1] == "tenants":
        tenant, field = loc[2], ".".join(loc[3:])
        if error["type"] == "extra_forbidden":
            return f"tenant {tenant!r}, field {field}: unknown field (a typo?)"
        if not field and ": " in message:  # a check across fields names its field first
            field, message = message.split(": ", 1)
        if field:
            return f"tenant {tenant!r}, field {field}: {message}"
        return f"tenant {tenant!r}: {message}"
    if len(loc) == 2 and loc[1] not in ("tenants", "path"):
        return f"unknown field {loc[1]!r} at the top (only [tenants.<id>] tables are read)"
    return message


def key_owner(key: str) -> str:
    """The opaque tenant id of an ``API_KEYS`` key: a digest, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Tenants:
    """Every tenant by id, and the API keys that identify them."""

    def __init__(self, tenants: Iterable[Tenant]) -> None:
        self._by_id = {tenant.id: tenant for tenant in tenants}
        self._keys = [
            (key.encode(), tenant.id) for tenant in self._by_id.values() for key in tenant.api_keys
        ]

    @classmethod
    def from_config(cls, api_keys: tuple[str, ...], file: "TenantsFile | None") -> "Tenants":
        keyed = [Tenant(id=key_owner(key), api_keys=(key,)) for key in api_keys]
        return cls([*keyed, *(file.tenants.values() if file is not None else ())])

    def owner_of(self, presented: str) -> str | None:
        # Compare against every key, without stopping early, so timing reveals nothing.
        candidate = presented.encode()
        found = None
        for key, owner in self._keys:
            if hmac.compare_digest(key, candidate):
                found = owner
        return found

    def get(self, owner: str) -> Tenant | None:
        return self._by_id.get(owner)

    def display_name(self, owner: str) -> str | None:
        """The name the phone shows for a session of this owner (``None``: none configured)."""
        tenant = self._by_id.get(owner)
        return None if tenant is None else tenant.display_name

    def cors_origins(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o for t in self._by_id.values() for o in t.cors_origins))

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._by_id.values())
