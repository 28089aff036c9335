"""include_strokes: a signature's result carries strokes.json, the points as the pad drew them."""

import json

from ..conftest import A
from ..helpers import create, send_signature


def pad_body(points=None) -> dict:
    stroke = points or [[40 + 6 * i, 100 + (i % 5) * 4, 12 * i, 0.25 + 0.01 * i] for i in range(40)]
    return {"width": 400, "height": 200, "strokes": [stroke], "pointer_type": "pen", "device_pixel_ratio": 3}


async def result_items(client, session) -> list[dict]:
    return (await (await client.get(f"/api/v1/sessions/{session['id']}/result", headers=A)).json())["items"]


async def download(client, item) -> bytes:
    response = await client.get(item["download_url"].split("phone.test:8080")[1], headers=A)
    assert response.status == 200
    return await response.read()


async def test_include_strokes_adds_strokes_json_beside_the_picture(client):
    session = await create(client, action_type="signature", output_format="png", include_strokes=True)
    assert (await send_signature(client, session, pad_body())).status == 200
    picture, strokes = await result_items(client, session)
    assert (picture["filename"], picture["content_type"]) == ("signature.png", "image/png")
    assert (strokes["filename"], strokes["content_type"]) == ("strokes.json", "application/json")
    document = json.loads(await download(client, strokes))
    assert document["format"] == "handoff-strokes/1"
    assert document["pad"] == {"width": 400, "height": 200, "unit": "css_px"}
    assert (document["device_pixel_ratio"], document["pointer_type"]) == (3, "pen")
    assert document["channels"] == ["X", "Y", "T", "F"]  # ISO/IEC 19794-7's channel names
    [stroke] = document["strokes"]
    assert stroke["points"] == pad_body()["strokes"][0]


async def test_without_include_strokes_the_result_is_the_picture_alone(client):
    session = await create(client, action_type="signature", output_format="svg")
    assert (await send_signature(client, session, pad_body())).status == 200
    assert [item["filename"] for item in await result_items(client, session)] == ["signature.svg"]


async def test_old_xy_points_are_still_accepted_and_have_no_times(client):
    session = await create(client, action_type="signature", output_format="png", include_strokes=True)
    body = {"width": 400, "height": 200, "strokes": [[[40 + 6 * i, 100] for i in range(40)]]}
    assert (await send_signature(client, session, body)).status == 200
    _, strokes = await result_items(client, session)
    document = json.loads(await download(client, strokes))
    assert document["strokes"][0]["points"][0] == [40, 100, None, 0]
    assert document["pointer_type"] is None


async def test_include_strokes_is_only_for_signatures(client):
    response = await client.post("/api/v1/sessions", headers=A, json={
        "action_type": "photo", "output_format": "jpg", "include_strokes": True})
    assert response.status == 400
    assert "include_strokes applies only to action_type 'signature'" in (await response.json())["error"]


async def test_points_with_a_negative_time_or_pressure_past_one_are_refused(client):
    for bad in ([0, 100, -50, 0.5], [0, 100, 0, 1.5], [0, 100, 0, -0.5]):
        session = await create(client, action_type="signature", output_format="png", include_strokes=True)
        stroke = pad_body()["strokes"][0][:20] + [[60 + bad[0], *bad[1:]]]
        response = await send_signature(client, session, {**pad_body(), "strokes": [stroke]})
        assert response.status == 400, (bad, await response.text())
        assert "point 20 of stroke 0" in (await response.json())["details"][0]["message"]
        state = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
        assert state["status"] != "completed"


async def test_a_pointer_word_strokes_json_does_not_know_is_kept_as_null(client):
    session = await create(client, action_type="signature", output_format="png", include_strokes=True)
    assert (await send_signature(client, session, {**pad_body(), "pointer_type": "finger"})).status == 200
    _, strokes = await result_items(client, session)
    assert json.loads(await download(client, strokes))["pointer_type"] is None
