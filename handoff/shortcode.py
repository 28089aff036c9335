"""Short codes: a session's link typed by hand when its QR code cannot be scanned.

A code is 40 random bits written as 8 characters of Crockford's base32 and
shown as ``XXXX-XXXX``. Reading one forgives what people mistype: case,
spaces and hyphens are ignored, ``O`` reads as ``0`` and ``I``/``L`` as ``1``.
Pure code: the standard library only.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
BITS = 5 * LENGTH
#: The letters people type for the digits they look like.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code, 8 characters without the hyphen."""
    value = secrets.randbits(BITS)
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(BITS - 5, -1, -5))


def normalize(typed: str) -> str | None:
    """The code someone typed, as stored; ``None`` when it cannot be a code at all."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display(code: str) -> str:
    """``ABCD1234`` as people read it: ``ABCD-1234``."""
    return f"{code[:4]}-{code[4:]}"
