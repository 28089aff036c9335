"""Rate limits in the web layer: who the client is, and the phone-link miss limit.

The client's address is the socket's, or, when the peer is a proxy listed in
``FORWARDED_ALLOW_IPS``, the first address of ``X-Forwarded-For`` that is not
a trusted proxy, read from the right (the convention of gunicorn and uvicorn).
"""

import ipaddress

from aiohttp import web
from aiohttp.typedefs import Handler

from ..errors import HandoffError
from ..keys import ratelimits_key
from ..ratelimits import Network

#: Answers that mean a phone token led nowhere: unknown (404), or expired or cancelled (410).
MISSES = frozenset({404, 410})


def client_address(request: web.Request, trusted: tuple[Network, ...] | None) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    address = peer[0] if isinstance(peer, tuple) else (request.remote or "unknown")
    if not is_trusted(address, trusted):
        return address
    forwarded = [
        part.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for part in header.split(",")
        if part.strip()
    ]
    for hop in reversed(forwarded):
        if not is_trusted(hop, trusted):
            return hop
    return forwarded[0] if forwarded else address


def is_trusted(address: str, trusted: tuple[Network, ...] | None) -> bool:
    if trusted is None:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a name or garbage in the header is never a trusted proxy
    return any(ip in network for network in trusted)


async def counting_misses(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count each phone link that leads nowhere; past the limit, such a miss answers 429.

    Links that work are never refused, so people behind one NAT are not locked out
    by someone else's guessing; guessing itself is slowed to the limit.
    """
    limits = request.app[ratelimits_key]
    try:
        response = await handler(request)
    except HandoffError as exc:
        if exc.status in MISSES:
            await limits.phone_missed(client_address(request, limits.trusted))
        raise
    if response.status in MISSES:
        await limits.phone_missed(client_address(request, limits.trusted))
    return response
