"""The phone user's language: chosen per request, used by the templates and the errors.

The browser's ``Accept-Language`` chooses, unless the desktop fixed a ``locale``
when it created the session. Templates translate with Jinja2's i18n extension;
the language travels in the template context, so one environment serves all.
"""

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from ...errors import HandoffError
from ...keys import locale_key, store_key
from ...locale import DEFAULT_LOCALE, negotiate, script_messages, translations
from ...store import Session, Tombstone
from ..requestid import bind_session
from .errors import translated


def use_session(request: web.Request, record: Session | Tombstone | None) -> str:
    """The request's language, after the session's own choice (if it has one) is applied."""
    if record is not None:
        bind_session(request, record.id, record.action_type)
    if isinstance(record, Session) and record.locale:
        request[locale_key] = record.locale
    return request.get(locale_key, DEFAULT_LOCALE)


def is_phone_path(path: str) -> bool:
    """The phone's routes: the link's pages (``/s/...``) and the short-code pages (``/c``)."""
    return path.startswith(("/s/", "/c/")) or path == "/c"


async def in_language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pick the language of a phone route, and put its error sentences into it."""
    request[locale_key] = negotiate(request.headers.get("Accept-Language"))
    try:
        return await handler(request)
    except HandoffError as exc:
        if token := request.match_info.get("token"):
            use_session(request, await request.app[store_key].get_by_token(token))
        raise translated(exc, request[locale_key]) from exc


def render_page(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A phone page in the request's language, with the scripts' messages on <html>."""
    locale = request.get(locale_key, DEFAULT_LOCALE)
    context = {"locale": locale, "script_messages": script_messages(locale), **context}
    return aiohttp_jinja2.render_template(template, request, context, status=status)


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return translations(context.get("locale") or DEFAULT_LOCALE).gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("locale") or DEFAULT_LOCALE).ngettext(singular, plural, n)


def install_translations(env: jinja2.Environment) -> None:
    """``_()``, ``gettext()`` and ``{% trans %}`` in templates follow the context's ``locale``."""
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
