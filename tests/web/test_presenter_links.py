"""Links built by the presenter are exactly what the named routes' url_for gives."""

import secrets
import uuid

from handoff.keys import presenter_key


async def test_links_match_url_for(client):
    presenter, router = client.app[presenter_key], client.app.router
    token, sid = secrets.token_urlsafe(18), str(uuid.uuid4())
    base = "http://phone.test:8080"
    assert presenter.phone_url(token) == base + str(router["phone_page"].url_for(token=token))
    assert presenter.events_url(sid) == "ws://phone.test:8080" + str(
        router["session_ws"].url_for(session_id=sid))
    assert presenter.download_url(sid) == base + str(router["download"].url_for(download_id=sid))
    assert presenter.session_path(sid) == str(router["session"].url_for(session_id=sid))
