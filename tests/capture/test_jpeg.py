"""Upright JPEGs are stored as taken, without their metadata; the rest is encoded again."""

import io

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw

from handoff.capture.jpeg import EOI, JFIF, SOI, without_metadata
from handoff.capture.photo import process_photo
from handoff.errors import Unprocessable

GPS_IFD = 0x8825
XMP = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>Secret place</x:xmpmeta>"


def scene(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like picture with detail, so its entropy-coded data is not trivial."""
    image = Image.effect_noise(size, 60).convert("RGB")
    ImageDraw.Draw(image).ellipse((40, 40, 300, 200), fill="#cc3311")
    return image


def saved(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, **options)
    return out.getvalue()


def camera_jpeg(**options) -> bytes:
    """What a phone sends: EXIF with GPS and a maker, XMP, a comment, a colour profile,
    and a second picture after the first one's end (as MPF files carry)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD)[2] = (48.0, 8.0, 30.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = saved(scene(), exif=exif, icc_profile=icc, comment=b"taken at home", **options)
    xmp = b"\xff\xe1" + (len(XMP) + 2).to_bytes(2, "big") + XMP
    return data[:2] + xmp + data[2:] + saved(scene((64, 48)))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"restart_marker_rows": 1}],
                         ids=["baseline", "progressive", "restart-markers"])
def test_the_picture_is_kept_bit_for_bit_and_its_metadata_dropped(options):
    source = camera_jpeg(**options)
    kept = without_metadata(source)
    assert kept is not None
    assert kept.startswith(SOI + JFIF) and kept.endswith(EOI)
    assert np.array_equal(pixels(kept), pixels(source))
    stored = Image.open(io.BytesIO(kept))
    assert len(stored.getexif()) == 0 and "comment" not in stored.info
    assert stored.info.get("icc_profile") == Image.open(io.BytesIO(source)).info["icc_profile"]
    for secret in (b"PhoneMaker", b"Exif", b"taken at home", b"Secret place", b"MPF"):
        assert secret not in kept
    # Nothing of the second picture is left behind the first one's end.
    assert kept.count(SOI) == 1 and len(kept) < len(source) - len(saved(scene((64, 48))))


def test_a_stream_that_ends_before_its_end_marker_is_not_kept():
    whole = saved(scene())
    assert without_metadata(whole[: len(whole) // 2]) is None
    assert without_metadata(whole[:-2]) is None


def test_a_segment_longer_than_the_file_is_not_kept():
    whole = saved(scene())
    assert without_metadata(whole[:2] + b"\xff\xe1\xff\xff" + b"\x00" * 20) is None
    assert without_metadata(b"\x00" + whole) is None


def test_a_jpeg_with_its_own_colour_transform_is_not_kept():
    cmyk = io.BytesIO()
    Image.new("CMYK", (80, 60), (0, 128, 255, 0)).save(cmyk, "JPEG")  # with an Adobe segment
    assert without_metadata(cmyk.getvalue()) is None


def test_an_upright_photo_is_stored_as_taken():
    source = camera_jpeg()
    stored = process_photo(source, "jpg")
    assert stored.data == without_metadata(source)
    assert np.array_equal(pixels(stored.data), pixels(source))


def test_a_multi_picture_photo_is_stored_as_its_first_picture_as_taken():
    out = io.BytesIO()
    scene().save(out, "MPO", save_all=True, append_images=[scene((64, 48))])
    source = out.getvalue()
    assert Image.open(io.BytesIO(source)).format == "MPO"
    stored = process_photo(source, "jpg")
    assert stored.data == without_metadata(source)
    assert b"MPF" not in stored.data and stored.data.count(SOI) == 1
    assert np.array_equal(pixels(stored.data), pixels(source))


def test_an_upright_photo_asked_for_as_pdf_embeds_it_as_taken():
    source = camera_jpeg()
    stored = process_photo(source, "pdf")
    assert stored.content_type == "application/pdf"
    assert without_metadata(source) in stored.data


def test_a_turned_photo_is_encoded_upright_again():
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = process_photo(saved(scene(), exif=exif), "jpg")
    image = Image.open(io.BytesIO(stored.data))
    assert image.size == (480, 640) and len(image.getexif()) == 0


@pytest.mark.parametrize("damage", ["cut short", "broken Huffman table"])
def test_an_upright_photo_with_damaged_data_is_refused(damage):
    source = saved(scene())
    if damage == "cut short":
        damaged = source[: len(source) // 2]
    else:  # the stream's layout is sound, so only decoding its data can tell
        table = source.index(b"\xff\xc4") + 5
        damaged = source[:table] + b"\xff" * 16 + source[table + 16:]
        assert without_metadata(damaged) is not None
    with pytest.raises(Unprocessable) as refused:
        process_photo(damaged, "jpg")
    assert refused.value.code == "undecodable_image"


def test_a_scan_of_stuffed_bytes_and_restarts_is_kept_whole():
    """Every 0xFF stuffed, restart markers among them: the scan still ends at the end marker."""
    data = SOI + b"\xff\xda\x00\x02" + b"\xff\x00" * 2_000_000 + b"\xff\xd0\x12" + EOI
    kept = without_metadata(data)
    assert kept == SOI + JFIF + data[2:]


def test_a_jpeg_of_rgb_components_is_encoded_again_in_its_own_colours():
    """Components named R, G, B and no Adobe segment: a JFIF header would make decoders
    read them as YCbCr."""
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (255, 0, 0)).save(out, "JPEG", keep_rgb=True)
    at = out.getvalue().index(b"\xff\xee")
    source = out.getvalue()[:at] + out.getvalue()[at + 2 + int.from_bytes(out.getvalue()[at + 2:at + 4], "big"):]
    assert b"Adobe" not in source and pixels(source)[16, 16].tolist() == [255, 0, 0]
    assert without_metadata(source) is None
    red, green, blue = pixels(process_photo(source, "jpg").data)[16, 16].tolist()
    assert red > 240 and green < 15 and blue < 15


@pytest.mark.parametrize("marker", [b"\xff\xdc", b"\xff\x00"], ids=["DNL", "FF00"])
def test_text_in_a_segment_that_is_neither_picture_nor_metadata_is_never_kept(marker):
    secret = b"GPS 48.8584N 2.2945E"
    whole = saved(scene())
    source = whole[:2] + marker + (len(secret) + 2).to_bytes(2, "big") + secret + whole[2:]
    assert without_metadata(source) is None
    try:
        stored = process_photo(source, "jpg").data
    except Unprocessable:
        return
    assert secret not in stored


def test_a_frame_browsers_do_not_show_is_not_kept():
    whole = saved(scene())
    arithmetic = whole.replace(b"\xff\xc0", b"\xff\xc9", 1)  # the same frame, arithmetic-coded
    assert without_metadata(arithmetic) is None


def test_fill_bytes_at_the_end_of_a_scan_are_dropped():
    whole = saved(scene())
    padded = whole[:-2] + b"\xff" * 10_000 + EOI
    kept = without_metadata(padded)
    assert kept is not None and b"\xff\xff" not in kept[-16:] and len(kept) < len(whole) + 100
    assert np.array_equal(pixels(kept), pixels(whole))


def test_a_jpeg_of_more_segments_than_a_camera_writes_is_refused_before_it_is_decoded():
    whole = saved(scene((64, 48)))
    crowded = whole[:2] + b"\xff\xfe\x00\x02" * 100_000 + whole[2:]
    with pytest.raises(Unprocessable) as refused:
        process_photo(crowded, "jpg")
    assert refused.value.code == "undecodable_image" and "segments" in refused.value.message
