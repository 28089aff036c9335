"""Photo checks and conversion with Pillow. Everything here blocks: call it in a thread."""

import io
import logging
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import img2pdf
import pillow_heif
from PIL import Image, ImageOps

from ..errors import UnsupportedMediaType, Unprocessable
from ..domain import NewFile
from .jpeg import MAX_SEGMENTS, Crowded, Segments, layout, without_metadata

log = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

#: Longest side of a stored photo.
MAX_SIDE = 4096
#: The EXIF tag saying how a photo must be turned to be upright (1: as stored).
ORIENTATION = 0x0112
#: Images above this many pixels are refused before decoding (decompression bombs).
MAX_PIXELS = 64_000_000

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}

#: output_format -> (Pillow format, content type, file extension)
PHOTO_FORMATS = {
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "webp": ("WEBP", "image/webp", "webp"),
    "pdf": ("PDF", "application/pdf", "pdf"),
}


def sniff_image_type(data: bytes) -> str | None:
    """The image type judged by the bytes (never by a declared type), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heif"
    return None


def open_image(data: bytes) -> Image.Image:
    """Decode an uploaded image fully, upright and without metadata surprises.

    Raises 415 for bytes that are no accepted image type and 422 for ones that
    cannot be used (undecodable, truncated, too many pixels).
    """
    image, _ = _opened(data)
    _decoded(image)
    # In place: the image is ours, and a copy of 12 megapixels costs tens of milliseconds.
    ImageOps.exif_transpose(image, in_place=True)
    return image


def _opened(data: bytes) -> tuple[Image.Image, Segments | None]:
    """The image's header read (no pixels yet), its type and size checked; with a JPEG's
    segments, read first so that a crowded one never reaches a decoder."""
    kind = sniff_image_type(data)
    if kind is None:
        raise UnsupportedMediaType(
            "This file is not a JPEG, PNG, WebP or HEIC image.", code="unsupported_image_type"
        )
    segments = None
    if kind == "jpeg":
        try:
            segments = layout(data)
        except Crowded:
            raise Unprocessable(
                f"This JPEG is made of more than {MAX_SEGMENTS} segments, more than any "
                "camera writes; please take the photo again.",
                code="undecodable_image",
            ) from None
    with _read_errors(kind):
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise Unprocessable(
                f"This image has too many pixels ({width}×{height}); "
                f"at most {MAX_PIXELS // 1_000_000} megapixels are accepted.",
                code="image_too_large",
            )
    if width < 1 or height < 1:
        raise Unprocessable("This image is empty.", code="undecodable_image")
    return image, segments


def _decoded(image: Image.Image) -> None:
    """Decode all of ``image``'s data (at the scale a ``draft`` chose), or 422."""
    with _read_errors(image.format or "image"):
        image.load()


@contextmanager
def _read_errors(kind: str) -> Iterator[None]:
    """Pillow's many exceptions for broken and oversized files, as 422s that say why."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except Unprocessable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Unprocessable(
            "This image has too many pixels to be processed.", code="image_too_large"
        ) from exc
    except Exception as exc:  # Pillow raises many kinds for broken files
        log.info("undecodable %s upload: %s", kind, exc)
        raise Unprocessable(
            "This image could not be read; it may be damaged or incomplete. Please take it again.",
            code="undecodable_image",
        ) from exc


def normalize(image: Image.Image, max_side: int = MAX_SIDE, *, owned: bool = False) -> Image.Image:
    """Upright, at most ``max_side`` px, in RGB or RGBA, with no metadata left on it.

    ``owned``: the caller's image may be changed (its metadata dropped in place)."""
    # A colour profile only describes the pixels it came with (a CMYK one would lie).
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
    original = image
    if image.mode not in ("RGB", "RGBA"):
        has_alpha = image.mode in ("LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha else "RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Metadata travels in ``info`` (EXIF, XMP, comments): the result gets a fresh one with
    # only the colour profile. A copy only when nothing above made a new image, so the
    # caller's is left as it was; pasting into a blank image would cost four times as much.
    clean = image.copy() if image is original and not owned else image
    clean.info = {"icc_profile": icc} if icc else {}
    return clean


def flatten(image: Image.Image, background: str = "white") -> Image.Image:
    """Drop transparency onto a background (for JPEG and PDF)."""
    if image.mode != "RGBA":
        return image
    base = Image.new("RGB", image.size, background)
    base.paste(image, mask=image.getchannel("A"))
    base.info = dict(image.info)
    return base


def encode(image: Image.Image, output_format: str) -> bytes:
    """Encode a normalised image as ``jpg``, ``png``, ``webp`` or a one-page ``pdf``."""
    if output_format == "pdf":
        return jpeg_pdf([encode(image, "jpg")], page_size(image.size))
    icc = image.info.get("icc_profile")
    # Pillow releases the GIL while it encodes into a real file, but holds it for
    # each 64 KiB block written to a BytesIO: several milliseconds at a time in
    # which the event loop cannot run. A temporary file stays in the page cache.
    with tempfile.TemporaryFile() as out:
        if output_format == "jpg":
            flatten(image).save(out, "JPEG", quality=90, icc_profile=icc)
        elif output_format == "png":
            image.save(out, "PNG", compress_level=6, icc_profile=icc)
        elif output_format == "webp":
            image.save(out, "WEBP", quality=90, method=4, icc_profile=icc)
        else:
            raise ValueError(f"unknown output format {output_format!r}")
        out.seek(0)
        return out.read()


#: The long side of an A4 page in points: photos become pages of a printable size.
A4_LONG_SIDE = 842.0
#: No page side is shorter (one inch): a strip of an image is centred on a page
#: this wide rather than on one too thin for viewers (img2pdf refuses under 3).
MIN_PAGE_SIDE = 72.0
#: The longest page side PDF allows (200 inches).
MAX_PAGE_SIDE = 14400.0

LayoutFun = Callable[[int, int, object], tuple[float, float, float, float]]


def page_size(pixels: tuple[int, int], long_side: float = A4_LONG_SIDE) -> tuple[float, float]:
    """Page size in points for an image, its long side ``long_side``, aspect kept."""
    scale = long_side / max(pixels)
    return pixels[0] * scale, pixels[1] * scale


def page_layout(size: tuple[float, float]) -> LayoutFun:
    """An img2pdf layout drawing each image ``size`` points large, centred on a page
    at least :data:`MIN_PAGE_SIDE` on each side; both shrink to fit PDF's limit."""
    scale = min(1.0, MAX_PAGE_SIDE / max(size))
    width, height = size[0] * scale, size[1] * scale

    def layout(_width_px: int, _height_px: int, _dpi: object) -> tuple[float, float, float, float]:
        return max(width, MIN_PAGE_SIDE), max(height, MIN_PAGE_SIDE), width, height

    return layout


def jpeg_pdf(pages: list[bytes], size: tuple[float, float] | None = None) -> bytes:
    """A PDF with one page per JPEG, embedding the JPEG data as it is (no re-encoding).

    With ``size`` (points) every image has that size; without, the image's own DPI decides.
    """
    layout = page_layout(size) if size else None
    return img2pdf.convert(pages, layout_fun=layout)


def process_photo(data: bytes, output_format: str) -> NewFile:
    """Validate an uploaded photo and store it in exactly the requested format."""
    _, content_type, extension = PHOTO_FORMATS[output_format]
    image, segments = _opened(data)
    size = image.size  # before a draft scales it down
    if output_format in ("jpg", "pdf") and (kept := _as_taken(image, data, segments)):
        body = jpeg_pdf([kept], page_size(size)) if output_format == "pdf" else kept
        return NewFile.of(content_type, f"photo.{extension}", body)
    _decoded(image)
    ImageOps.exif_transpose(image, in_place=True)
    image = normalize(image, owned=True)
    return NewFile.of(content_type, f"photo.{extension}", encode(image, output_format))


def _as_taken(image: Image.Image, data: bytes, segments: Segments | None) -> bytes | None:
    """An upright colour JPEG that needs no scaling, as it was compressed, metadata dropped
    (:mod:`.jpeg`); ``None`` when it must be decoded and encoded again.

    What is stored is still decoded in full to refuse a damaged file, at an eighth of
    its size: the entropy-coded data is read to its end, the costly inverse transform is
    not.
    """
    # MPO: a JPEG with more pictures after the first (a phone's depth or gain map),
    # which are dropped with the rest of the metadata.
    if image.format not in ("JPEG", "MPO") or image.mode != "RGB" or max(image.size) > MAX_SIDE:
        return None
    if image.getexif().get(ORIENTATION, 1) != 1:
        return None
    kept = None if segments is None else without_metadata(data, segments)
    if kept is None:
        return None
    with _read_errors("JPEG"):
        stored = Image.open(io.BytesIO(kept))
        same = stored.size == image.size and stored.mode == "RGB"
    if not same:
        return None
    stored.draft("RGB", (1, 1))
    _decoded(stored)
    return kept
