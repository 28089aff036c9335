"""Sessions not changed since they were made, as the in-memory store holds them.

Most live sessions wait untouched for a phone, and most of a Session's 24 fields
are the same in many of them: held as a :class:`Pending` (its own values and a
shared :class:`Options`), one takes about 0.1 KiB where the Session took 0.23.
It is rebuilt as a Session, equal to the one made, on each read.
"""

from typing import NamedTuple

from .base import Session

#: Most distinct options kept for sharing; past it the table starts afresh (a session
#: keeps the options it has, they are only no longer shared with newer ones).
SHARED_OPTIONS = 256


class Options(NamedTuple):
    owner: str
    action_type: str
    output_format: str
    intro_text: str
    result_ttl: float
    document_mode: str | None
    ocr_languages: tuple[str, ...] | None
    locale: str | None
    include_strokes: bool


class Pending(NamedTuple):
    id: str
    phone_token: str
    client_secret: str
    short_code: str
    #: ``created_at`` and ``session_ttl`` as one complex number (``.real``, ``.imag``):
    #: one 32-byte object, where two floats took 48 bytes and a slot 8 more. Exact, as a
    #: complex number is two floats.
    times: complex
    metadata: dict[str, str] | None
    match_number: str | None
    options: Options

    def session(self) -> Session:
        o = self.options
        return Session(
            id=self.id, owner=o.owner, action_type=o.action_type,
            output_format=o.output_format, intro_text=o.intro_text,
            session_ttl=self.times.imag, result_ttl=o.result_ttl, metadata=self.metadata,
            document_mode=o.document_mode, phone_token=self.phone_token,
            client_secret=self.client_secret, created_at=self.times.real,
            ocr_languages=o.ocr_languages, locale=o.locale, short_code=self.short_code,
            match_number=self.match_number, include_strokes=o.include_strokes,
        )


class Packer:
    """Makes a new session's :class:`Pending`, sharing its options with earlier ones."""

    __slots__ = ("_options",)

    def __init__(self) -> None:
        self._options: dict[Options, Options] = {}

    def pending(self, s: Session) -> Pending:
        options = Options(s.owner, s.action_type, s.output_format, s.intro_text, s.result_ttl,
                          s.document_mode, s.ocr_languages, s.locale, s.include_strokes)
        shared = self._options.get(options)
        if shared is None:
            if len(self._options) >= SHARED_OPTIONS:
                self._options.clear()
            shared = self._options[options] = options
        return Pending(s.id, s.phone_token, s.client_secret, s.short_code,
                       complex(s.created_at, s.session_ttl), s.metadata, s.match_number, shared)
