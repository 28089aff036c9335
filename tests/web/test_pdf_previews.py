"""First-page previews of PDF results: made from the real scan, photo and signature PDFs."""

import asyncio
import io

import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader
from yarl import URL

from ..conftest import BASE_URL, A, B
from ..helpers import complete, create, send_photo, until_expired
from ..media import jpeg
from .scanflow import accepted, finalize, new_scan, scan_result


def path_of(url: str) -> str:
    assert url.startswith(BASE_URL)
    return URL(url).path_qs


async def scanned_pdf(client, colors=("#202020", "#f4f4f4", "#f4f4f4")) -> dict:
    """A scan of one page per colour, as the phone sends it; the PDF's result item."""
    session, token = await new_scan(client)
    for page, color in enumerate(colors):
        await accepted(client, token, jpeg(600, 800, color=color), page=page, filter="color")
    assert (await finalize(client, token)).status == 200
    [document] = (await scan_result(client, session))["documents"]
    poll = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=A)
    [item] = (await poll.json())["items"]
    assert item["content_type"] == "application/pdf"
    assert document["pdf_preview_url"] == item["preview_url"]
    return {**item, "session": session}


async def preview(client, item, headers=A, **query):
    return await client.get(path_of(item["preview_url"]), params=query, headers=headers)


async def height_per_width(client, item) -> float:
    """The proportions of the PDF's first page, read with pypdf."""
    pdf = await (await client.get(path_of(item["download_url"]), headers=A)).read()
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return float(box.height) / float(box.width)


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


async def test_a_scanned_pdf_previews_its_first_page_as_a_jpeg(client):
    item = await scanned_pdf(client)
    response = await preview(client, item)
    assert response.status == 200, await response.text()
    assert response.content_type == "image/jpeg"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Page-Count"] == "3"
    image = picture(await response.read())
    assert image.width == 480  # the default width, and the page's own proportions
    assert image.height == pytest.approx(480 * await height_per_width(client, item), abs=1)
    # Page 1 is the dark one; pages 2 and 3 are light.
    assert ImageStat.Stat(image.convert("L")).mean[0] < 80


async def test_the_preview_is_as_wide_as_asked(client):
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    response = await preview(client, item, width="128")
    assert response.status == 200
    assert picture(await response.read()).width == 128


async def test_a_very_long_page_is_fitted_into_twice_the_width(client):
    session = await create(client, output_format="pdf")
    assert (await send_photo(client, session, jpeg(200, 4000))).status == 200
    poll = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=A)
    [item] = (await poll.json())["items"]
    response = await preview(client, item, width="300")
    assert response.status == 200
    image = picture(await response.read())
    assert image.height == 600  # not 300 * 20: the long side is held to twice the width
    assert image.width == pytest.approx(600 / await height_per_width(client, item), abs=1)


async def test_a_signature_pdf_has_a_preview_with_the_client_secret_too(client):
    session = await create(client, action_type="signature", output_format="pdf")
    [item] = (await complete(client, session))["items"]
    response = await client.get(
        path_of(item["preview_url"]), params={"client_secret": session["client_secret"]}
    )
    assert response.status == 200
    image = picture(await response.read())
    assert ImageStat.Stat(image.convert("L")).extrema[0][0] < 100  # ink on the white page


async def test_only_pdf_items_carry_a_preview_url(client):
    session = await create(client, output_format="jpg")
    [item] = (await complete(client, session))["items"]
    assert "preview_url" not in item
    pdf = await scanned_pdf(client, colors=("#f4f4f4",))
    assert pdf["preview_url"] == pdf["download_url"] + "/preview"


async def test_a_file_that_is_not_a_pdf_answers_409(client):
    session = await create(client, output_format="jpg")
    [item] = (await complete(client, session))["items"]
    response = await client.get(path_of(item["download_url"]) + "/preview", headers=A)
    assert response.status == 409
    assert await response.json() == {
        "error": "Only PDF files have a preview; this one is image/jpeg.", "code": "not_a_pdf"
    }


async def test_width_is_given_once_and_leading_zeros_do_not_matter(client):
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    for width in ("0320", "00000320"):
        response = await preview(client, item, width=width)
        assert response.status == 200 and picture(await response.read()).width == 320
    for twice in ("width=320&width=480", "width=480&width=9999"):
        response = await client.get(f"{path_of(item['preview_url'])}?{twice}", headers=A)
        assert response.status == 400 and (await response.json())["error"] == "Give width once."


@pytest.mark.parametrize("width", ["0", "000", "63", "1025", "wide", "4.5", "-100", "9" * 5000, "٣٢٠"])
async def test_a_width_out_of_bounds_answers_400(client, width):
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    response = await preview(client, item, width=width)
    assert response.status == 400
    assert await response.json() == {
        "error": "width must be a whole number of pixels from 64 to 1024.", "code": "invalid_width"
    }


async def test_unknown_deleted_and_other_tenants_files_answer_404(client):
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    not_found = {"error": "There is no such file; it may have expired or been deleted.",
                 "code": "file_not_found"}
    response = await preview(client, item, headers=B)
    assert response.status == 404 and await response.json() == not_found
    response = await client.get("/api/v1/downloads/no-such-file/preview", headers=A)
    assert response.status == 404 and await response.json() == not_found
    assert (await client.delete(path_of(item["download_url"]), headers=A)).status == 204
    response = await preview(client, item)
    assert response.status == 404 and await response.json() == not_found


async def test_a_cancelled_sessions_pdf_has_no_preview(client):
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    assert (await client.delete(f"/api/v1/sessions/{item['session']['id']}", headers=A)).status == 200
    response = await preview(client, item)
    assert response.status == 404
    assert (await response.json())["code"] == "file_not_found"


async def test_without_credentials_the_preview_answers_401(client):
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    response = await preview(client, item, headers={})
    assert response.status == 401


async def test_the_preview_lasts_as_long_as_the_file_not_the_session(make_client):
    client = await make_client(session_ttl=0.3, tombstone_ttl=60)
    item = await scanned_pdf(client, colors=("#f4f4f4",))
    await until_expired(client, item["session"]["id"])
    session = await client.get(f"/api/v1/sessions/{item['session']['id']}/result", headers=A)
    assert session.status == 410
    response = await preview(client, item)
    assert response.status == 200
    assert response.headers["X-Page-Count"] == "1"


async def test_previews_asked_for_at_once_are_each_right(client):
    dark = await scanned_pdf(client, colors=("#202020",))
    light = await scanned_pdf(client, colors=("#f4f4f4",))
    responses = await asyncio.gather(*(preview(client, item) for item in [dark, light] * 4))
    means = [ImageStat.Stat(picture(await r.read()).convert("L")).mean[0] for r in responses]
    assert [mean < 128 for mean in means] == [True, False] * 4


async def test_a_pdf_kept_in_redis_previews_too(make_client, redis_server, redis_prefix):
    client = await make_client(redis_url=redis_server.url, redis_prefix=redis_prefix)
    item = await scanned_pdf(client)
    response = await preview(client, item)
    assert response.status == 200
    assert response.headers["X-Page-Count"] == "3"
    assert ImageStat.Stat(picture(await response.read()).convert("L")).mean[0] < 80


async def test_a_burst_of_previews_is_drawn_in_turn_and_the_overflow_told_to_retry(client):
    item = await scanned_pdf(client, colors=("#202020",))
    responses = await asyncio.gather(*(preview(client, item) for _ in range(30)))
    statuses = [r.status for r in responses]
    assert set(statuses) <= {200, 503} and 200 in statuses, statuses
    for refused in (r for r in responses if r.status == 503):
        assert refused.headers["Retry-After"] == "1"
        assert (await refused.json())["code"] == "busy"
    assert (await preview(client, item)).status == 200  # the queue drained


async def test_turns_admit_one_holder_and_a_bounded_line():
    from handoff.errors import ServiceUnavailable
    from handoff.web.turns import Turns

    turns, entered, release = Turns(waiting=2), [], asyncio.Event()

    async def take(name: str) -> None:
        async with turns.turn():
            entered.append(name)
            await release.wait()

    holder = asyncio.create_task(take("first"))
    await asyncio.sleep(0)
    line = [asyncio.create_task(take(f"waiting-{i}")) for i in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(ServiceUnavailable):
        async with turns.turn():
            pass
    release.set()
    await asyncio.gather(holder, *line)
    assert entered == ["first", "waiting-0", "waiting-1"]
