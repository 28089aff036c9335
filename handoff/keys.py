"""Every application and request key, declared once and typed."""

import weakref
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .idempotency import IdempotencyStore
from .metrics import Metrics
from .ratelimits import RateLimits
from .web.presenter import Presenter
from .web.turns import Turns
from .settings import Settings
from .store import SessionStore
from .tenants import Tenants
from .webhooks.sender import Sender

settings_key = web.AppKey("settings", Settings)
#: Every tenant, by opaque id, with the API keys that identify it.
tenants_key = web.AppKey("tenants", Tenants)
presenter_key = web.AppKey("presenter", Presenter)
store_key = web.AppKey("store", SessionStore)
#: Thread pool for Pillow and PDF work, sized so image jobs cannot starve each other.
executor_key = web.AppKey("executor", ThreadPoolExecutor)
#: A separate small pool for OCR, so reading text cannot hold up page uploads.
ocr_executor_key = web.AppKey("ocr_executor", ThreadPoolExecutor)
#: One thread for PDFium (PDF previews): the library is not thread-safe, and previews
#: then never hold up the image pool's uploads.
pdf_executor_key = web.AppKey("pdf_executor", ThreadPoolExecutor)
#: PDF previews' turns on that thread (the PDF is read only when its turn comes).
preview_turns_key = web.AppKey("preview_turns", Turns)
#: The languages Tesseract can read on this machine (empty: no OCR), found at startup.
ocr_languages_key = web.AppKey("ocr_languages", frozenset[str])
websockets_key = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
#: Wrong short codes per client address (see web/phone/codes.py).
#: The language a phone route answers in (see web/phone/language.py).
locale_key = web.RequestKey("locale", str)
#: This request's id (the X-Request-ID it answers with), and the session it turned out to be about.
request_id_key = web.RequestKey("request_id", str)
session_id_key = web.RequestKey("session_id", str)
#: What that session asks for (``photo``, ``signature``, ``scan``), for the upload metrics.
action_key = web.RequestKey("action", str)
#: Responses to replay for a repeated Idempotency-Key (see web/idempotency.py).
idempotency_key = web.AppKey("idempotency", IdempotencyStore)
#: The webhook sender and its delivery queue (see webhooks/).
webhooks_key = web.AppKey("webhooks", Sender)
#: The rate limits and their counts (see ratelimits.py).
ratelimits_key = web.AppKey("ratelimits", RateLimits)
#: The Prometheus metrics of this app (see web/metrics.py).
metrics_key = web.AppKey("metrics", Metrics)
