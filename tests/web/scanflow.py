"""Steps of a scan session as the phone and the desktop take them, for the scan tests."""

import io
import json

from aiohttp import FormData
from pypdf import PdfReader
from yarl import URL

from ..conftest import BASE_URL, A
from ..media import jpeg


async def new_scan(client, output_format="pdf", document_mode=None, **extra):
    body = {"action_type": "scan", "output_format": output_format, **extra}
    if document_mode:
        body["document_mode"] = document_mode
    response = await client.post("/api/v1/sessions", json=body, headers=A)
    assert response.status == 201, await response.text()
    session = await response.json()
    return session, session["url"].rsplit("/", 1)[1]


async def upload(client, token, data, page=0, document=None, corners=None, **fields):
    form = FormData()
    form.add_field("file", data, filename="page.jpg", content_type="image/jpeg")
    form.add_field("page_index", str(page))
    for name, value in fields.items():
        form.add_field(name, str(value))
    if document is not None:
        form.add_field("document_index", str(document))
    if corners is not None:
        form.add_field("corners", corners if isinstance(corners, str) else json.dumps(corners))
    return await client.post(f"/s/{token}/scan/upload", data=form)


async def accepted(client, token, data, **kwargs):
    response = await upload(client, token, data, **kwargs)
    assert response.status == 200, await response.text()
    return await response.json()


async def finalize(client, token):
    return await client.post(f"/s/{token}/scan/finalize")


async def download(client, url):
    assert url.startswith(BASE_URL + "/api/v1/downloads/")
    response = await client.get(URL(url).path, headers=A)
    assert response.status == 200
    return response.headers["Content-Type"], await response.read()


async def scan_result(client, session):
    response = await client.get(f"/api/v1/sessions/{session['id']}", headers=A)
    return (await response.json())["scan_result"]


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    return [page.images[0].image.size for page in PdfReader(io.BytesIO(pdf)).pages]


def plain(width: int, height: int) -> bytes:
    return jpeg(width, height, color="#f0f0f0")
