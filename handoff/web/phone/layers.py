"""The layers only phone routes pass through: their language, the miss limit on phone
links, and the upload metrics.

They sit behind one middleware that hands every other route straight to its handler,
as a plain function, so the API's requests pay one call for all three and no frame
of it stays suspended under an idle websocket. Outermost first: the language (every
error beneath is put into it), the miss limit (it counts those errors), the upload
timing (it sees a refusal's code first).
"""

from collections.abc import Awaitable
from functools import partial

from aiohttp import web
from aiohttp.typedefs import Handler

from ..metrics import UPLOAD_ROUTES, route_of, timed_upload
from ..ratelimit import counting_misses
from .language import in_language, is_phone_path


@web.middleware
def phone_layers(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    if not is_phone_path(request.path):
        return handler(request)
    if route_of(request) in UPLOAD_ROUTES:
        handler = partial(timed_upload, handler=handler)
    if "token" in request.match_info:
        handler = partial(counting_misses, handler=handler)
    return in_language(request, handler)
