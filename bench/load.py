"""Client-side load: create sessions fast with many concurrent requests, and act as the phone."""

import asyncio
import io
import time
from collections.abc import Callable

import aiohttp
from PIL import Image

SIGNATURE = {"width": 300, "height": 150,
             "strokes": [[[20, 20 + i % 7, i] for i in range(0, 40)],
                         [[30 + 5 * i, 100 - 2 * i] for i in range(40)]]}


def connector(limit: int = 64) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=limit, force_close=False)


async def create_sessions(
    http: aiohttp.ClientSession,
    base: str,
    key: str,
    count: int,
    *,
    ttl: Callable[[], float | None] = lambda: None,
    action: str = "signature",
    concurrency: int = 64,
    deadline: float = 300.0,
) -> list[tuple[str, str]]:
    """``count`` sessions as (id, phone token); ``ttl()`` gives each its session_ttl in seconds."""
    made: list[tuple[str, str]] = []
    remaining = iter(range(count))
    stop_at = time.monotonic() + deadline
    fmt = "png" if action == "signature" else "jpg"

    async def worker() -> None:
        for _ in remaining:
            if time.monotonic() > stop_at:
                raise TimeoutError(f"creating {count} sessions took over {deadline:.0f}s")
            body: dict[str, object] = {"action_type": action, "output_format": fmt}
            if (seconds := ttl()) is not None:
                body["session_ttl"] = round(max(seconds, 1.0), 3)
            async with http.post(f"{base}/api/v1/sessions", json=body,
                                 headers={"X-API-Key": key}) as response:
                if response.status != 201:
                    raise RuntimeError(f"create answered {response.status}: {await response.text()}")
                session = await response.json()
            made.append((session["id"], session["url"].rsplit("/", 1)[1]))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return made


async def open_page(http: aiohttp.ClientSession, base: str, token: str) -> None:
    async with http.get(f"{base}/s/{token}") as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"phone page answered {response.status}")


async def send_signature(http: aiohttp.ClientSession, base: str, token: str) -> None:
    async with http.post(f"{base}/s/{token}/result", json=SIGNATURE) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"signature upload answered {response.status}")


async def send_photo(http: aiohttp.ClientSession, base: str, token: str, photo: bytes) -> float:
    """Upload a photo; returns the seconds the upload took."""
    form = aiohttp.FormData()
    form.add_field("file", photo, filename="photo.jpg", content_type="image/jpeg")
    started = time.monotonic()
    async with http.post(f"{base}/s/{token}/result", data=form,
                         timeout=aiohttp.ClientTimeout(total=120)) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"photo upload answered {response.status}: {await response.text()}")
    return time.monotonic() - started


def twelve_megapixel_jpeg() -> bytes:
    """A 4000x3000 camera-like JPEG of a few MB: gradients under fine-grained texture."""
    size = (4000, 3000)
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    # Noise drawn at a third of the size and scaled up: detail like a real scene,
    # which compresses like a phone photo (pure per-pixel noise would not).
    texture = [Image.effect_noise((1333, 1000), 64).resize(size, Image.Resampling.BICUBIC)
               for _ in range(3)]
    image = Image.merge("RGB", (Image.blend(texture[0], red, 0.3),
                                Image.blend(texture[1], green, 0.3), texture[2]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
