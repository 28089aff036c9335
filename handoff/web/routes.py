"""Every route, named, so links are built with ``url_for``."""

import asyncio
from pathlib import Path

from aiohttp import web

from ..assets import STATIC_DIR
from ..errors import NotFound
from . import api, metrics, openapi, previews, webhooks, ws
from .demo import setup_demo_routes
from .phone import pages as phone
from .phone import codes, scan


def setup_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/metrics", metrics.metrics_page, name="metrics")
    router.add_get("/api/v1/health", api.health, name="health")
    router.add_get("/api/v1/ready", api.ready, name="ready")
    router.add_get("/api/v1/version", api.version, name="version")
    router.add_get("/api/v1/openapi.json", openapi.openapi_document, name="openapi")
    router.add_post("/api/v1/sessions", api.create_session, name="sessions")
    router.add_get("/api/v1/sessions", api.list_sessions, name="session_list")
    router.add_get("/api/v1/sessions/{session_id}", api.get_session, name="session")
    router.add_delete("/api/v1/sessions/{session_id}", api.cancel_session, name="session_cancel")
    router.add_get("/api/v1/sessions/{session_id}/result", api.get_result, name="session_result")
    router.add_get("/api/v1/sessions/{session_id}/ws", ws.session_events, name="session_ws")
    router.add_get(
        "/api/v1/sessions/{session_id}/qr.{kind:svg|png}", api.qr_code, name="session_qr"
    )
    router.add_get("/api/v1/webhooks/deliveries", webhooks.list_deliveries, name="deliveries")
    router.add_post("/api/v1/webhooks/deliveries/{delivery_id}/retry", webhooks.retry_delivery,
                    name="delivery_retry")
    router.add_get("/api/v1/downloads/{download_id}", api.download, name="download")
    router.add_get(
        "/api/v1/downloads/{download_id}/preview", previews.download_preview, name="download_preview"
    )
    router.add_delete(
        "/api/v1/downloads/{download_id}", api.delete_download, name="download_delete"
    )

    # No HEAD on the pages: loading one moves the session on, a probe must not.
    router.add_get("/s/{token}", phone.phone_page, name="phone_page", allow_head=False)
    router.add_get("/s/{token}/action", phone.phone_action, name="phone_action", allow_head=False)
    router.add_post("/s/{token}/match", phone.phone_match, name="phone_match")
    router.add_post("/s/{token}/started", phone.phone_started, name="phone_started")
    router.add_get("/s/{token}/status", phone.phone_status, name="phone_status")
    router.add_post("/s/{token}/result", phone.phone_result, name="phone_result")
    router.add_post("/s/{token}/scan/detect", scan.scan_detect, name="scan_detect")
    router.add_post("/s/{token}/scan/upload", scan.scan_upload, name="scan_upload")
    router.add_delete("/s/{token}/scan/pages", scan.scan_clear, name="scan_pages")
    router.add_post("/s/{token}/scan/finalize", scan.scan_finalize, name="scan_finalize")

    # The short code typed by hand when the QR code cannot be scanned.
    router.add_get("/c", codes.code_page, name="code_page")
    router.add_post("/c", codes.code_form, name="code_form")
    router.add_get("/c/{code}", codes.code_link, name="code_link", allow_head=False)

    setup_demo_routes(app)
    router.add_get("/static/{filename:.+}", static_file, name="static")


async def static_file(request: web.Request) -> web.FileResponse:
    """A file from ``static/``; anything else is the JSON 404 every route answers.

    (aiohttp's own static route answers a missing file with an empty 404.)
    """
    filename = request.match_info["filename"]
    path = await asyncio.get_running_loop().run_in_executor(None, _static_path, filename)
    if path is None:
        raise NotFound("There is no such file under /static/.", code="static_file_not_found")
    return web.FileResponse(path)


def _static_path(filename: str) -> Path | None:
    # Resolved first, so neither ../ nor a symlink can lead outside the folder.
    try:
        path = (STATIC_DIR / filename).resolve()
        return path if path.is_relative_to(STATIC_DIR) and path.is_file() else None
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        return None
