"""Standard Webhooks signatures: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``."""

import base64
import hashlib
import hmac


def signature(key: bytes, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(key: bytes, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers the specification defines, for one attempt (each attempt is re-signed
    with its own time, so receivers may refuse old timestamps)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, message_id, timestamp, body),
    }
