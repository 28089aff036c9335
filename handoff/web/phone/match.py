"""The number match a ``confirm_match`` session asks for before the phone may capture.

Until the phone picks the right number the session stays ``pending``: the
right pick is what opens it, a wrong one cancels it (``match_failed``). Every
capture route refuses a session still waiting for its pick.
"""

from collections.abc import Mapping

from aiohttp import web

from ...domain import Status
from ...errors import Conflict
from ...locale import N_
from ...matching import choices
from ...store import Session
from .language import render_page

MATCH_FAILED = "match_failed"
FAILED_TITLE = N_("This link did not come from your computer")
FAILED_MESSAGE = N_(
    "The number you chose is not the one shown where this link was made, so someone else may have "
    "sent it to you. Nothing was sent and the link no longer works. If you need to send something, "
    "start again on your own computer."
)


def awaits_match(session: Session) -> bool:
    return session.match_number is not None and session.status == Status.PENDING


def ensure_matched(session: Session) -> Session:
    """The session, unless it still waits for the phone's pick (409 ``match_required``)."""
    if awaits_match(session):
        raise Conflict("Choose the number your computer shows first.", code="match_required")
    return session


def match_page(
    request: web.Request, session: Session, context: Mapping[str, object]
) -> web.Response:
    assert session.match_number is not None
    return render_page(
        request, "match.html",
        {**context, "session": session, "token": session.phone_token,
         "numbers": choices(session.match_number, session.phone_token)},
    )
