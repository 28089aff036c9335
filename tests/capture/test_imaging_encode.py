"""Encoding a normalised photo gives exactly the requested format, readable back."""

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from handoff.capture.photo import encode, normalize


@pytest.mark.parametrize(
    ("output_format", "pillow_format"), [("jpg", "JPEG"), ("png", "PNG"), ("webp", "WEBP")]
)
def test_encoded_photo_decodes_in_the_requested_format(output_format, pillow_format):
    image = normalize(Image.new("RGB", (320, 240), "teal"))
    data = encode(image, output_format)
    decoded = Image.open(io.BytesIO(data))
    assert decoded.format == pillow_format
    assert decoded.size == (320, 240)


def test_pdf_is_one_page_with_the_photo():
    data = encode(normalize(Image.new("RGB", (320, 240), "teal")), "pdf")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        encode(normalize(Image.new("RGB", (8, 8))), "gif")
