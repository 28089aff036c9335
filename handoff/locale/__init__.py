"""The phone's languages: which there are, picking one, and their gettext catalogues.

Catalogues are the ``<lang>/LC_MESSAGES/messages.po`` files beside this module,
compiled in memory the first time a language is used, so no binary ``.mo`` file
is kept in the repository. Pure code: Babel and the standard library only.
"""

import gettext
import io
import json
from functools import cache
from pathlib import Path

#: Every language the phone pages speak; the first is the fallback.
LOCALES = ("en", "de", "fr", "es", "it", "pt", "nl")
DEFAULT_LOCALE = LOCALES[0]
CATALOGUES = Path(__file__).resolve().parent


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is shown."""
    return message


def supported(tag: str) -> str | None:
    """The supported language of a tag such as ``de``, ``pt-BR`` or ``NL_be``, if any."""
    language = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return language if language in LOCALES else None


def negotiate(accept_language: str | None) -> str:
    """The supported language the browser prefers most (``Accept-Language``), else English."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (language := supported(tag)):
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


@cache
def _catalogue(locale: str):  # type: ignore[no-untyped-def]
    if locale == DEFAULT_LOCALE:
        return None
    # Imported here: the client imports this module for LOCALES and needs no catalogue.
    from babel.messages.pofile import read_po

    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale``; English is the message ids themselves."""
    catalogue = _catalogue(locale)
    if catalogue is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo

    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def script_messages(locale: str) -> str:
    """The messages of the pages' scripts (those found in ``static/*.js``) as JSON.

    Plural messages map to ``[singular, plural]``.
    """
    catalogue = _catalogue(locale)
    messages: dict[str, str | list[str]] = {}
    if catalogue is not None:
        for message in catalogue:
            if not message.id or not any(path.endswith(".js") for path, _ in message.locations):
                continue
            if isinstance(message.id, tuple | list):
                messages[message.id[0]] = list(message.string)
            elif message.string:
                messages[message.id] = message.string
    return json.dumps(messages, ensure_ascii=False, separators=(",", ":"))
