"""Number matching against QR phishing: the phone picks the number the computer shows.

Someone who sends a victim the QR code of a session they created sees its
number on *their* screen; the victim's own computer shows none, so the victim
picks at random and, two times in three, cancels the session at once. Pure code.
"""

import random
import secrets

#: How many numbers the phone offers, the right one among them.
CHOICES = 3


def new_match_number() -> str:
    """Two digits, 10–99: no leading zero to misread."""
    return str(10 + secrets.randbelow(90))


def choices(match_number: str, seed: str) -> list[str]:
    """The numbers the phone offers: the right one and two others, in an order fixed by
    ``seed`` (the phone token), so a reload shows the same three in the same places."""
    pick = random.Random(seed)  # not a secret: it only has to stay put across reloads
    others = pick.sample([str(n) for n in range(10, 100) if str(n) != match_number], CHOICES - 1)
    offered = [match_number, *others]
    pick.shuffle(offered)
    return offered
