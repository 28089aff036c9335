"""The phone's error sentences in the phone user's language.

Handlers and the layers below raise with English sentences (the desktop API
keeps those). For a phone route the sentence is looked up in the catalogue;
sentences that carry numbers or names are translated by their code instead,
and anything unknown becomes a general sentence rather than stay in English.
"""

from typing import Any

from ...errors import HandoffError
from ...locale import DEFAULT_LOCALE, N_, translations

#: Fixed sentences phone routes raise (from the store, the image code and the body readers).
SENTENCES = (
    N_("This link is not valid."),
    N_("This link has expired; start again on your computer."),
    N_("This request was cancelled on the computer."),
    N_("This was already sent."),
    N_("The scan is being finished; no pages can be changed now."),
    N_("Another upload for this session is being processed; wait for it to finish."),
    N_("Choose a photo to send (a part named 'file')."),
    N_("Choose a photo of the page to send (a part named 'file')."),
    N_("Scan pages are sent to /scan/upload."),
    N_("This link is not for a document scan."),
    N_("No page has been sent yet; scan at least one page first."),
    N_("Send the file as multipart/form-data in a part named 'file'."),
    N_("The multipart body is malformed."),
    N_("The request body is empty; send a JSON object."),
    N_("The request body must be a JSON object."),
    N_("This file is not a JPEG, PNG, WebP or HEIC image."),
    N_("This image has too many pixels to be processed."),
    N_("This image could not be read; it may be damaged or incomplete. Please take it again."),
    N_("This image is empty."),
    N_("The corners are in mirrored order; give them as top-left, top-right, bottom-right, bottom-left."),
    N_("The corners do not form a convex four-sided shape; drag them onto the page's four corners."),
    N_("corners must be four [x, y] points in the photo's pixels: top-left, top-right, "
       "bottom-right, bottom-left."),
    N_("The signature is empty or too short; please sign on the pad."),
    N_("The signature is too small; please sign across the pad."),
    N_("Choose the number your computer shows first."),
)

#: Sentences built with numbers or names, by code; ``%(name)s`` comes from the error's extra fields.
BY_CODE = {
    "too_many_pages": N_("This scan already has the most pages allowed (%(limit)s); "
                         "send it or remove a page."),
    "page_too_large": N_("This page is too large; take it again or at a lower resolution."),
    "invalid_index": N_("A page number is not valid; reload the page and try again."),
    "body_too_large": N_("What was sent is too large."),
    "invalid_json": N_("What was sent could not be read; please try again."),
    "invalid_request": N_("What was sent could not be read; please try again."),
    "image_too_large": N_("This image has too many pixels to be processed."),
    "corners_outside_image": N_("A corner lies outside the photo; place all four corners on the photo."),
    "rate_limited": N_("Too many links that do not work were opened from here; "
                       "try again in %(retry_after)s seconds."),
    "crop_too_small": N_("The selected area is too small; include the whole page."),
}
GENERAL = N_("Something went wrong. Please try again.")


def phone_sentence(exc: HandoffError, locale: str) -> str:
    """The error's sentence as the phone user should read it."""
    if locale == DEFAULT_LOCALE:
        return exc.message
    catalogue = translations(locale)
    translated = catalogue.gettext(exc.message)
    if translated != exc.message:
        return translated
    template = BY_CODE.get(exc.code)
    if template is None:
        return catalogue.gettext(GENERAL)
    values: dict[str, Any] = {"limit": "", **exc.extra}
    return catalogue.gettext(template) % values


def translated(exc: HandoffError, locale: str) -> HandoffError:
    """The same error (status, code, fields) with its sentence in ``locale``."""
    return type(exc)(phone_sentence(exc, locale), code=exc.code, details=exc.details, extra=exc.extra,
                     headers=exc.headers)
