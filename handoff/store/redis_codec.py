"""Records as the Redis store keeps them: a hash of strings per session, and per file."""

import json
from collections.abc import Mapping
from typing import Any

from ..domain import Status
from .base import Record, ResultInfo, ScanLayout, Session, StoredFile, Tombstone


def session_fields(session: Session) -> dict[str, str]:
    """The hash of a new session; the scripts change ``status``, ``version`` and the times."""
    return {
        "id": session.id,
        "owner": session.owner,
        "action_type": session.action_type,
        "output_format": session.output_format,
        "intro_text": session.intro_text,
        "session_ttl": repr(session.session_ttl),
        "result_ttl": repr(session.result_ttl),
        "metadata": json.dumps(session.metadata) if session.metadata is not None else "",
        "document_mode": session.document_mode or "",
        "phone_token": session.phone_token,
        "client_secret": session.client_secret,
        "created_at": repr(session.created_at),
        "status": session.status.value,
        "version": str(session.version),
        "opened_at": "",
        "completed_at": "",
        "result": "[]",
        "scan_documents": "",
        "ocr_languages": json.dumps(session.ocr_languages) if session.ocr_languages else "",
        "locale": session.locale or "",
        "short_code": session.short_code,
        "match_number": session.match_number or "",
        "cancel_reason": session.cancel_reason or "",
        "include_strokes": "1" if session.include_strokes else "",
        "scan_pages": str(session.scan_pages),
    }


def text(value: Any) -> str:
    """A reply from Redis as text, whether it came as bytes or already decoded."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _time(value: str) -> float | None:
    return float(value) if value else None


def record_of(raw: Mapping[Any, Any]) -> Record | None:
    """A session or tombstone from its hash (bytes or str keys); ``None`` for an empty one."""
    if not raw:
        return None
    fields = {text(key): text(value) for key, value in raw.items()}
    if fields["status"] == Status.EXPIRED:
        return Tombstone(
            id=fields["id"],
            owner=fields["owner"],
            phone_token=fields["phone_token"],
            client_secret=fields["client_secret"],
            version=int(fields["version"]),
            short_code=fields.get("short_code", ""),
            action_type=fields.get("action_type", ""),
            was=fields.get("was", ""),
        )
    layout: ScanLayout | None = None
    if fields["scan_documents"]:
        layout = tuple(json.loads(fields["scan_documents"]))
    return Session(
        id=fields["id"],
        owner=fields["owner"],
        action_type=fields["action_type"],
        output_format=fields["output_format"],
        intro_text=fields["intro_text"],
        session_ttl=float(fields["session_ttl"]),
        result_ttl=float(fields["result_ttl"]),
        metadata=json.loads(fields["metadata"]) if fields["metadata"] else None,
        document_mode=fields["document_mode"] or None,
        phone_token=fields["phone_token"],
        client_secret=fields["client_secret"],
        created_at=float(fields["created_at"]),
        status=Status(fields["status"]),
        version=int(fields["version"]),
        opened_at=_time(fields["opened_at"]),
        completed_at=_time(fields["completed_at"]),
        result=tuple(ResultInfo(**item) for item in json.loads(fields["result"])),
        scan_documents=layout,
        ocr_languages=tuple(json.loads(ocr)) if (ocr := fields.get("ocr_languages")) else None,
        locale=fields.get("locale") or None,
        short_code=fields.get("short_code", ""),
        match_number=fields.get("match_number") or None,
        cancel_reason=fields.get("cancel_reason") or None,
        include_strokes=bool(fields.get("include_strokes")),
        scan_pages=int(fields.get("scan_pages") or 0),
    )


def pairs(flat: list[Any]) -> dict[Any, Any]:
    """A script's flat ``HGETALL`` reply as a mapping."""
    return dict(zip(flat[::2], flat[1::2]))


def result_json(infos: list[ResultInfo]) -> str:
    return json.dumps(
        [
            {"download_id": i.download_id, "content_type": i.content_type, "filename": i.filename,
             "size": i.size, "sha256": i.sha256, "expires_at": i.expires_at}
            for i in infos
        ]
    )


def file_fields(stored: StoredFile) -> dict[str, str]:
    info = stored.info
    return {
        "download_id": info.download_id,
        "content_type": info.content_type,
        "filename": info.filename,
        "size": str(info.size),
        "sha256": info.sha256,
        "expires_at": repr(info.expires_at),
        "session_id": stored.session_id,
        "owner": stored.owner,
        "client_secret": stored.client_secret,
    }


def stored_file_of(raw: Mapping[Any, Any]) -> StoredFile | None:
    if not raw:
        return None
    fields = {text(key): text(value) for key, value in raw.items()}
    info = ResultInfo(
        download_id=fields["download_id"],
        content_type=fields["content_type"],
        filename=fields["filename"],
        size=int(fields["size"]),
        sha256=fields["sha256"],
        expires_at=float(fields["expires_at"]),
    )
    return StoredFile(info, fields["session_id"], fields["owner"], fields["client_secret"])
