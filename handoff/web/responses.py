"""JSON responses built from the pydantic models, in one compact form everywhere."""

from aiohttp import web
from pydantic import BaseModel


def json_model(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        body=model.model_dump_json(exclude_none=True),
        status=status,
        content_type="application/json",
    )
