"""What an idempotency store keeps and answers; the backends live beside this module.

A key is first *claimed* (in progress, with the request's fingerprint and a
short lease, so a worker that dies mid-request frees it), then *finished*
with the response to replay for ``KEEP`` seconds, or *released* when the
request failed, so a retry may try again.
"""

import abc
import json
import secrets
from dataclasses import asdict, dataclass

#: How long a finished response is replayed (the IETF draft suggests 24 hours).
KEEP = 24 * 3600.0
#: Longest a claim lasts unfinished: more than any create takes, short enough to retry soon.
CLAIM_TTL = 60.0


@dataclass(frozen=True, slots=True)
class Remembered:
    """A finished request: its body's fingerprint and the response to replay."""

    fingerprint: str
    status: int
    headers: dict[str, str]
    body: str

    def dumps(self) -> str:
        return json.dumps({"state": "done", **asdict(self)})


@dataclass(frozen=True, slots=True)
class Begun:
    """This request holds the key; ``token`` proves it when finishing or releasing."""

    token: str


@dataclass(frozen=True, slots=True)
class InUse:
    """A request with this key and body is still in progress."""


@dataclass(frozen=True, slots=True)
class Reused:
    """The key was used with a different body."""


Outcome = Begun | Remembered | InUse | Reused


def new_claim(fingerprint: str) -> tuple[Begun, str]:
    begun = Begun(secrets.token_urlsafe(12))
    return begun, json.dumps({"state": "pending", "fingerprint": fingerprint, "token": begun.token})


def outcome_of(raw: str, fingerprint: str) -> Outcome:
    """What a stored entry means for a request with ``fingerprint``."""
    entry = json.loads(raw)
    if entry["fingerprint"] != fingerprint:
        return Reused()
    if entry["state"] == "pending":
        return InUse()
    return Remembered(entry["fingerprint"], entry["status"], entry["headers"], entry["body"])


class IdempotencyStore(abc.ABC):
    """Keys are scoped: ``scope`` is the tenant, so tenants never see each other's keys."""

    @abc.abstractmethod
    async def begin(self, scope: str, key: str, fingerprint: str) -> Outcome: ...

    @abc.abstractmethod
    async def finish(self, scope: str, key: str, begun: Begun, response: Remembered) -> None:
        """Remember the response for ``KEEP`` seconds, unless the claim lapsed meanwhile."""

    @abc.abstractmethod
    async def release(self, scope: str, key: str, begun: Begun) -> None:
        """Give the key back (the request failed), if this claim still holds it."""

    async def close(self) -> None:
        return None
