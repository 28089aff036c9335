"""Tombstones packed a few thousand at a time: most of what the in-memory store keeps
of expired sessions, at about a quarter of what the records and their indexes took."""

from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Sequence

from .base import Tombstone

#: What a packed tombstone is found by: the position of each field in its row.
ID, TOKEN, SECRET, CODE = range(4)
#: The bits of a hash a pack keeps: a false match costs one row read, and is rare.
LOW = 0xFFFFFFFF
#: Most tombstones in one pack (row numbers are kept in two bytes).
MOST = 0xFFFF


class Pack:
    """Consecutive tombstones (numbered ``first`` to ``end - 1``) in one blob of text.

    A row is the tombstone's id, phone token, client secret and short code joined by
    NULs; what many share (its action, status and owner) is kept once per pack and
    the row points at it. A tombstone is found by the low 32 bits of the ``hash()``
    of its id, phone token, client secret or short code in one sorted array, and the
    row's own text confirms it. Tombstones are rebuilt on each read, equal to the one
    packed. About 0.16 KiB each, where a Tombstone, its four strings and four index
    entries took about 0.56.
    """

    __slots__ = ("first", "end", "_blob", "_starts", "_versions", "_hashes", "_rows",
                 "_tails", "_tail_of")

    def __init__(self, first: int, tombstones: Sequence[Tombstone]) -> None:
        self.first = first
        self.end = first + len(tombstones)
        assert len(tombstones) <= MOST
        rows: list[bytes] = []
        hashes: list[int] = []
        tails: dict[tuple[str, str, str], int] = {}
        tail_of = array("H")
        for t in tombstones:
            rows.append("\0".join((t.id, t.phone_token, t.client_secret, t.short_code)).encode())
            # The strings were dict keys: their hashes are cached, so this costs little.
            hashes += (hash(t.id) & LOW, hash(t.phone_token) & LOW, hash(t.client_secret) & LOW,
                       hash(t.short_code) & LOW)
            tail_of.append(tails.setdefault((t.action_type, t.was, t.owner), len(tails)))
        # Sorting positions, not (hash, row) tuples: ints are not tracked by the garbage
        # collector, so packing does not set off a full collection among 100,000 sessions.
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        self._blob = b"".join(rows)
        self._starts = array("I", [0])
        for text in rows:
            self._starts.append(self._starts[-1] + len(text))
        self._versions = array("I", [t.version for t in tombstones])
        self._hashes = array("I", [hashes[at] for at in order])
        self._rows = array("H", [at >> 2 for at in order])  # four hashes per row
        self._tails = tuple(tails)
        self._tail_of = tail_of

    def find(self, kind: int, value: str, since: int) -> Tombstone | None:
        """The tombstone numbered ``since`` or later whose field ``kind`` is ``value``."""
        hashes, key = self._hashes, hash(value) & LOW
        at = bisect_left(hashes, key)
        while at < len(hashes) and hashes[at] == key:
            row = self._rows[at]
            at += 1
            if self.first + row < since:
                continue
            fields = self._blob[self._starts[row] : self._starts[row + 1]].decode().split("\0")
            if fields[kind] == value:
                action_type, was, owner = self._tails[self._tail_of[row]]
                return Tombstone(
                    id=fields[ID], owner=owner, phone_token=fields[TOKEN],
                    client_secret=fields[SECRET], version=self._versions[row],
                    short_code=fields[CODE], action_type=action_type, was=was,
                )
        return None


class Packs:
    """The packs, oldest first; tombstones numbered below ``forgotten`` answer nothing."""

    __slots__ = ("_packs", "forgotten")

    def __init__(self) -> None:
        self._packs: deque[Pack] = deque()
        self.forgotten = 0

    def add(self, pack: Pack) -> None:
        self._packs.append(pack)

    def forget_below(self, number: int) -> int:
        """Forget the tombstones numbered below ``number``; a pack goes with its last.
        Returns how many packs went."""
        self.forgotten = max(self.forgotten, number)
        packs, gone = self._packs, 0
        while packs and packs[0].end <= self.forgotten:
            packs.popleft()
            gone += 1
        return gone

    def find(self, kind: int, value: str) -> Tombstone | None:
        for pack in reversed(self._packs):
            if (found := pack.find(kind, value, self.forgotten)) is not None:
                return found
        return None

    def __len__(self) -> int:
        return len(self._packs)

    def clear(self) -> None:
        self._packs.clear()
