"""A JPEG kept as it was taken, without its metadata: no decode, no second generation.

An upright phone photo that needs no scaling is stored as its own compressed data:
the segments that describe the picture (quantisation and Huffman tables, the frame,
the scans) are copied, everything else is dropped. That is EXIF (GPS, camera, the
embedded thumbnail), XMP, IPTC, comments and anything after the first image (the
extra pictures of an MPF file, a depth or gain map). Only the colour profile stays,
as a re-encoded photo keeps it. The layout follows ITU-T T.81, annex B.
"""

import re
from collections.abc import Iterator

SOI, EOI = b"\xff\xd8", b"\xff\xd9"
#: A fresh JFIF header, as Pillow writes one: version 1.1, no density, no thumbnail.
JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
APP0, APP2, APP15, COM, SOS, DNL = 0xE0, 0xE2, 0xEF, 0xFE, 0xDA, 0xDC
ICC = b"ICC_PROFILE\x00"
#: The frames every browser shows: baseline, extended and progressive Huffman coding.
FRAMES = frozenset({0xC0, 0xC1, 0xC2})
#: What else makes up such a picture: Huffman and quantisation tables, restart interval.
TABLES = frozenset({0xC4, 0xDB, 0xDD})
#: Components 1, 2, 3 as JFIF numbers them: YCbCr, which the JFIF header declares.
YCBCR = bytes((1, 2, 3))
#: More segments than any camera writes (a phone photo has a few dozen, with its
#: metadata); past it a file is refused before a decoder walks it: Pillow's header walk
#: took seconds for millions of empty comments, libjpeg 0.8 s for 1,000 tiny scans.
MAX_SEGMENTS = 256
#: Markers without a length: restarts, TEM.
STANDALONE = frozenset({*range(0xD0, 0xD8), 0x01})
#: Where entropy-coded data ends: at a 0xFF that starts a marker, i.e. that is followed
#: by neither a stuffed zero, nor a restart, nor another 0xFF (a fill byte). A literal
#: first, so the search skips from one 0xFF to the next in C: linear in the length
#: whatever the bytes (12 ns a byte for 20 MB of nothing but stuffed zeros).
_SCAN_END = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
#: The end of a run of fill bytes.
_NOT_FILL = re.compile(rb"[^\xff]")


class Malformed(Exception):
    """The stream is not laid out as T.81 says."""


class Crowded(Malformed):
    """The stream has more than ``MAX_SEGMENTS`` segments."""


def _segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of each segment from SOI to EOI, a scan's entropy-coded data
    included in its segment; raises :class:`Malformed`, or past ``MAX_SEGMENTS``."""
    if not data.startswith(SOI):
        raise Malformed("no start of image")
    pos, end, count = 2, len(data), 0
    while pos + 2 <= end:
        count += 1
        if count > MAX_SEGMENTS:
            raise Crowded(f"more than {MAX_SEGMENTS} segments")
        if data[pos] != 0xFF:
            raise Malformed("bytes between segments")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill bytes before the marker: skip the run in one search
            after = _NOT_FILL.search(data, pos)
            if after is None:
                raise Malformed("fill bytes to the end")
            pos = after.start() - 1
            continue
        if marker == EOI[1]:
            yield marker, pos, pos + 2
            return
        if marker in STANDALONE:
            yield marker, pos, pos + 2
            pos += 2
            continue
        if pos + 4 > end:
            raise Malformed("a segment cut short")
        segment_end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if segment_end > end or segment_end < pos + 4:
            raise Malformed("a segment longer than the file")
        if marker == SOS:
            found = _SCAN_END.search(data, segment_end)
            if found is None:
                raise Malformed("a scan without an end")
            segment_end = found.start()
        yield marker, pos, segment_end
        pos = segment_end
    raise Malformed("no end of image")


Segments = list[tuple[int, int, int]]


def layout(data: bytes) -> Segments | None:
    """The stream's segments, as :func:`without_metadata` reads them; ``None`` when it is
    not laid out as T.81 says (the decoder then says what is wrong with it). Raises
    :class:`Crowded` past ``MAX_SEGMENTS`` (many thousands of empty comments, say),
    which no decoder should be made to walk."""
    try:
        return list(_segments(data))
    except Crowded:
        raise
    except Malformed:
        return None


def without_metadata(data: bytes, segments: Segments | None = None) -> bytes | None:
    """``data`` with only the segments that make up the picture and its colour profile;
    ``segments``: its :func:`layout`, when the caller has it already.

    ``None`` when it must be decoded and encoded again: the stream is not laid out as
    T.81 says, holds a segment that is neither picture nor metadata (anything could
    travel in one), is coded in a way browsers do not show (arithmetic, lossless,
    hierarchical), or has components that are not JFIF's YCbCr (an RGB JPEG, which a
    JFIF header would make every decoder read as YCbCr, in the wrong colours).
    """
    kept = [SOI, JFIF]
    try:
        for marker, start, end in _segments(data) if segments is None else segments:
            if APP0 <= marker <= APP15 or marker == COM:
                if marker == APP2 and data[start + 4:start + 16] == ICC:
                    kept.append(data[start:end])
                continue
            if marker in FRAMES and not _ycbcr(data[start:end]):
                return None
            if marker == DNL and end - start != 6:
                return None
            if marker == SOS:
                # Fill bytes at the scan's end are no part of the picture.
                kept.append(data[start:end].rstrip(b"\xff"))
            elif marker in FRAMES or marker in TABLES or marker in (DNL, EOI[1]):
                kept.append(data[start:end])
            elif marker not in STANDALONE:  # a stray restart outside a scan means nothing
                return None
    except Malformed:
        return None
    return b"".join(kept)


def _ycbcr(frame: bytes) -> bool:
    """Whether a frame header (SOFn) declares three components numbered 1, 2, 3."""
    # FF Cn, length (2), precision (1), height (2), width (2), count (1), then 3 bytes each.
    if len(frame) < 19 or frame[9] != 3:
        return False
    return bytes(frame[10 + 3 * i] for i in range(3)) == YCBCR
