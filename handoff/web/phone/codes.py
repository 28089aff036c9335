"""``/c``: the phone's way in when the QR code cannot be scanned, by the session's short code.

A code leads to its session's page (303) only while the session can still
capture. Wrong codes count against the client's address (``RATE_LIMIT_CODE_MISSES``,
kept where the other rate limits are, so in Redis every worker shares the count;
the address as :mod:`..ratelimit` finds it), so guessing one is hopeless:
docs/api.md gives the sums.
"""

from aiohttp import web

from ... import shortcode
from ...domain import Status
from ...keys import locale_key, ratelimits_key, store_key
from ...locale import DEFAULT_LOCALE, N_, translations
from ...store import Session
from ..bodies import read_fields
from ..ratelimit import client_address
from .language import render_page

#: The form is one short field.
FORM_LIMIT = 1024
#: Where a code still leads somewhere: the session waits for the phone.
_LIVE = frozenset({Status.PENDING, Status.OPENED, Status.ACTION_STARTED})

WRONG = N_("No request has this code. Check the code your computer shows and type it again.")


async def code_page(request: web.Request) -> web.Response:
    return _page(request)


async def code_form(request: web.Request) -> web.Response:
    """The form posted from ``/c`` (``code=...``, URL-encoded)."""
    fields = await read_fields(request, limit=FORM_LIMIT)
    return await _follow(request, fields.get("code", ""))


async def code_link(request: web.Request) -> web.Response:
    """``/c/{code}``: a code typed straight into the address bar."""
    return await _follow(request, request.match_info["code"])


async def _follow(request: web.Request, typed: str) -> web.Response:
    limits = request.app[ratelimits_key]
    client = client_address(request, limits.trusted)
    if (wait := await limits.code_wait(client)) is not None:
        minutes = max(1, -(-wait // 60))
        sentence = translations(_locale(request)).ngettext(
            "Too many wrong codes from this network. Wait %(minutes)s minute, then try again.",
            "Too many wrong codes from this network. Wait %(minutes)s minutes, then try again.",
            minutes,
        ) % {"minutes": minutes}
        response = _page(request, typed, sentence, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    code = shortcode.normalize(typed)
    record = None if code is None else await request.app[store_key].get_by_short_code(code)
    if not isinstance(record, Session) or record.status not in _LIVE:
        await limits.code_missed(client)
        return _page(request, typed, translations(_locale(request)).gettext(WRONG), status=404)
    phone = request.app.router["phone_page"].url_for(token=record.phone_token)
    raise web.HTTPSeeOther(phone)


def _locale(request: web.Request) -> str:
    return request.get(locale_key, DEFAULT_LOCALE)


def _page(
    request: web.Request, typed: str = "", error: str | None = None, *, status: int = 200
) -> web.Response:
    return render_page(request, "code.html", {"typed": typed, "error": error}, status=status)
