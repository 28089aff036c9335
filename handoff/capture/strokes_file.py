"""``strokes.json``: the signature as drawn, for those who verify signatures by their dynamics.

A session created with ``include_strokes`` gets this file beside the picture.
The fields follow ISO/IEC 19794-7 (signature/sign time series data) where they
match: per point the X and Y coordinates, the time T and the pen tip force F
(``pressure``); docs/api.md describes the format. Pure code.
"""

import json

from ..domain import NewFile
from ..models import SignatureStrokes

FORMAT = "handoff-strokes/1"
#: X and Y coordinates (CSS px), time T (ms since the first point), tip force F (0 to 1).
CHANNELS = ("X", "Y", "T", "F")


def strokes_file(pad: SignatureStrokes) -> NewFile:
    """The strokes with the pad they were drawn on; old ``[x, y]`` points get ``null`` times."""
    strokes = [
        {"points": [[p[0], p[1], p[2] if len(p) > 2 else None, p[3] if len(p) > 3 else 0]
                    for p in stroke]}
        for stroke in pad.strokes if stroke
    ]
    document = {
        "format": FORMAT,
        "pad": {"width": pad.width, "height": pad.height, "unit": "css_px"},
        "device_pixel_ratio": pad.device_pixel_ratio,
        "pointer_type": pad.pointer_type,
        # Each point's values, named as ISO/IEC 19794-7 names its channels.
        "channels": list(CHANNELS),
        "strokes": strokes,
    }
    data = json.dumps(document, separators=(",", ":")).encode()
    return NewFile.of("application/json", "strokes.json", data)
