"""The phone speaks the user's language: chosen from the browser or fixed per session."""

import asyncio
import json
import re
from functools import cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from handoff.locale import CATALOGUES, LOCALES

from ..conftest import A
from ..helpers import create, photo_form, token_of
from ..scanmedia import grid_page, to_jpeg

ROOT = Path(__file__).resolve().parents[2]
OTHERS = [locale for locale in LOCALES if locale != "en"]
#: Words every language writes the same way on these pages.
SAME_EVERYWHERE = {"handoff", "✕", "◀", "▶", "0%", "XXXX-XXXX"}
#: The desktop's own intro text, shown as it was written.
INTRO = "Bitte das Foto der Vorderseite."


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


async def page(client, path: str, language: str) -> tuple[int, str]:
    response = await client.get(path, headers={"Accept-Language": language, "Accept": "text/html"})
    return response.status, await response.text()


async def test_the_browser_language_chooses_the_page_language(client):
    session = await create(client)
    status, html = await page(client, f"/s/{token_of(session)}", "de-CH,de;q=0.9,en;q=0.5")
    assert status == 200
    assert lang_of(html) == "de"
    assert "Foto aufnehmen" in html


async def test_an_unsupported_browser_language_falls_back_to_english(client):
    session = await create(client)
    _, html = await page(client, f"/s/{token_of(session)}", "ja,zh;q=0.8")
    assert lang_of(html) == "en"
    assert "Take a photo" in html


async def test_the_preferred_language_is_the_one_with_the_highest_quality(client):
    session = await create(client)
    _, html = await page(client, f"/s/{token_of(session)}", "fr;q=0.4, nl;q=0.8, xx")
    assert lang_of(html) == "nl"


async def test_a_locale_given_on_create_wins_over_the_browser(client):
    session = await create(client, locale="it")
    _, html = await page(client, f"/s/{token_of(session)}", "de")
    assert lang_of(html) == "it"
    assert "Scatta una foto" in html


async def test_a_regional_locale_on_create_uses_its_language(client):
    session = await create(client, locale="pt-BR")
    _, html = await page(client, f"/s/{token_of(session)}", "en")
    assert lang_of(html) == "pt"


async def test_an_unknown_locale_on_create_is_refused_with_a_sentence(client):
    response = await client.post(
        "/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg", "locale": "tlh"}, headers=A
    )
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "invalid_request"
    assert body["error"] == "locale: 'tlh' is not a supported language: use one of en, de, fr, es, it, pt, nl"


async def test_phone_errors_are_in_the_phone_language(client):
    session = await create(client)
    response = await client.post(
        f"/s/{token_of(session)}/result", headers={"Accept-Language": "fr"},
        data=photo_form(b"plain text", "notes.txt", "text/plain"),
    )
    assert response.status == 415
    body = await response.json()
    assert body == {"error": "Ce fichier n’est pas une image JPEG, PNG, WebP ou HEIC.",
                    "code": "unsupported_image_type"}


async def test_phone_errors_follow_the_session_locale(client):
    session = await create(client, action_type="scan", output_format="pdf", locale="es")
    response = await client.post(f"/s/{token_of(session)}/scan/finalize", headers={"Accept-Language": "de"})
    assert response.status == 400
    assert (await response.json())["error"] == "Aún no se ha enviado ninguna página; escanea primero al menos una."


async def test_phone_errors_with_numbers_are_translated_by_their_code(make_client):
    client = await make_client(scan_max_pages=1)
    session = await create(client, action_type="scan", output_format="pdf", locale="nl")
    token = token_of(session)
    for index in (0, 1):
        form = photo_form(to_jpeg(grid_page()))
        form.add_field("page_index", str(index))
        response = await client.post(f"/s/{token}/scan/upload", data=form)
    assert response.status == 400
    assert (await response.json())["error"] == (
        "Deze scan heeft al het maximale aantal pagina’s (1); verzend hem of verwijder een pagina."
    )


async def test_desktop_api_errors_stay_english(client):
    response = await client.post(
        "/api/v1/sessions", json={"action_type": "photo"}, headers={**A, "Accept-Language": "de"}
    )
    assert response.status == 400
    assert "required for action_type 'photo'" in (await response.json())["error"]


# -- every page, every language ------------------------------------------------------------


class _Text(HTMLParser):
    """Visible text and the attributes people read (labels, alt text, titles, previews)."""

    READ = {"aria-label", "alt", "title", "placeholder", "content"}

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attributes = dict(attrs)
        if tag == "meta" and not attributes.get("property", attributes.get("name", "")).startswith(
            ("og:title", "og:description", "description")
        ):
            return
        self.strings += [value for name, value in attrs if name in self.READ and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.strings.append(" ".join(data.split()))


def readable(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return [s for s in parser.strings if re.search(r"[A-Za-z]{2}", s) and s not in SAME_EVERYWHERE | {INTRO}]


async def every_page(client, make_client) -> dict[str, tuple[str, str]]:
    """A path (and the Accept header) for every page a phone can see."""
    pages = {}
    for action, extra in (("photo", {}), ("signature", {"output_format": "png"}),
                          ("scan", {"output_format": "pdf", "document_mode": "multi"})):
        session = await create(client, action_type=action, **extra)
        pages[action] = (f"/s/{token_of(session)}/action", "text/html")
    intro = await create(client, intro_text=INTRO)
    pages["intro"] = (f"/s/{token_of(intro)}", "text/html")
    done = await create(client)
    await client.post(f"/s/{token_of(done)}/result", data=photo_form())
    pages["done"] = (f"/s/{token_of(done)}", "text/html")
    cancelled = await create(client)
    await client.delete(f"/api/v1/sessions/{cancelled['id']}", headers=A)
    pages["cancelled"] = (f"/s/{token_of(cancelled)}", "text/html")
    pages["not found"] = ("/s/no-such-token", "text/html")
    pages["code"] = ("/c", "text/html")
    match = await create(client, confirm_match=True)
    pages["match"] = (f"/s/{token_of(match)}", "text/html")
    failed = await create(client, confirm_match=True)
    number = "10" if failed["match_number"] != "10" else "11"
    await client.post(f"/s/{token_of(failed)}/match", data={"number": number})
    pages["match failed"] = (f"/s/{token_of(failed)}", "text/html")
    pages["wrong code"] = ("/c/ZZZZ-ZZZZ", "text/html")
    expired = await create(client, session_ttl=1)
    pages["expired"] = (f"/s/{token_of(expired)}", "text/html")
    await asyncio.sleep(1.1)
    return pages


@pytest.fixture
async def pages_in_every_language(client, make_client):
    pages = await every_page(client, make_client)
    rendered: dict[tuple[str, str], str] = {}
    for name, (path, accept) in pages.items():
        for locale in LOCALES:
            response = await client.get(path, headers={"Accept-Language": locale, "Accept": accept})
            assert response.status in (200, 404, 410), (name, locale)
            rendered[name, locale] = await response.text()
    # A failed upload posted without the page's script is a page too.
    session = await create(client)
    for locale in LOCALES:
        response = await client.post(
            f"/s/{token_of(session)}/result", data=photo_form(b"text", "a.txt", "text/plain"),
            headers={"Accept": "text/html", "Accept-Language": locale},
        )
        rendered["upload error", locale] = await response.text()
    return rendered


async def test_every_phone_page_is_translated_in_every_language(pages_in_every_language):
    rendered = pages_in_every_language
    names = {name for name, _ in rendered}
    untranslated = []
    for name in sorted(names):
        english = set(readable(rendered[name, "en"]))
        assert english, name
        for locale in OTHERS:
            html = rendered[name, locale]
            assert lang_of(html) == locale, (name, locale)
            untranslated += [(name, locale, s) for s in readable(html) if s in english]
    assert untranslated == []


async def test_every_page_carries_its_scripts_messages_translated(pages_in_every_language):
    script_ids = {m if isinstance(m, str) else m[0] for m in _source_messages(scripts_only=True)}
    assert "Uploading page {page} of {total}" in script_ids
    for name in ("photo", "signature", "scan", "intro"):
        for locale in OTHERS:
            html = pages_in_every_language[name, locale]
            messages = json.loads(unescape(re.search(r'data-messages="([^"]*)"', html).group(1)))
            assert set(messages) == script_ids, (name, locale)
            assert all(messages.values()), (name, locale)


@cache
def _source_messages(scripts_only: bool = False) -> set[str | tuple[str, ...]]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message if isinstance(message, str) else tuple(message)
        for path, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
        )
        if message and (path.endswith(".js") or not scripts_only)
    }


@pytest.mark.parametrize("locale", OTHERS)
def test_every_message_in_the_sources_has_a_translation(locale):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po, locale=locale)
    translated = {}
    for message in catalogue:
        if message.id and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else tuple(message.id)
            strings = (message.string,) if isinstance(message.string, str) else message.string
            if all(strings):
                translated[key] = strings
    missing = [m for m in _source_messages() if (m if isinstance(m, str) else tuple(m)) not in translated]
    assert missing == []
    for key, strings in translated.items():
        wanted = set(re.findall(r"\{\w+\}|%\(\w+\)s", key if isinstance(key, str) else key[-1]))
        for string in strings:
            assert set(re.findall(r"\{\w+\}|%\(\w+\)s", string)) == wanted, (locale, key, string)
