"""Reading a session's state from a response: the full session or its tombstone."""

from pydantic import TypeAdapter

from ..models import SessionOut, Tombstone
from .transport import Reply

SessionState = SessionOut | Tombstone
_STATE = TypeAdapter[SessionState](SessionState)


def parse_state(reply: Reply) -> SessionState:
    data = reply.json()
    if isinstance(data, dict) and set(data) == {"id", "status"}:
        return Tombstone.model_validate(data)
    return _STATE.validate_python(data)


def state_version(reply: Reply, state: SessionState) -> int | None:
    """A tombstone's JSON has no version; its ``ETag`` has."""
    if isinstance(state, SessionOut):
        return state.version
    tag = reply.headers.get("ETag", "").removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() else None
