"""Short codes: 40 random bits people can read aloud and type back with mistakes forgiven."""

from handoff import shortcode
from handoff.web.phone.failures import FailureLimiter


def test_a_new_code_is_eight_crockford_characters():
    codes = {shortcode.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(shortcode.ALPHABET) for c in codes)
    assert not set("".join(codes)) & set("ILOU")


def test_a_code_is_shown_in_two_groups_of_four():
    assert shortcode.display("7KQ2M9XD") == "7KQ2-M9XD"


def test_case_spaces_and_hyphens_are_ignored():
    assert shortcode.normalize(" 7kq2 - m9xd ") == "7KQ2M9XD"
    assert shortcode.normalize("7KQ2-M9XD") == "7KQ2M9XD"


def test_letters_that_look_like_digits_read_as_those_digits():
    assert shortcode.normalize("O0Il-l1oi") == "00111101"


def test_what_cannot_be_a_code_is_none():
    for typed in ("", "7KQ2-M9X", "7KQ2-M9XDE", "7KQ2-M9XU", "ÄKQ2-M9XD"):
        assert shortcode.normalize(typed) is None, typed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_may_fail_up_to_the_limit_then_waits_for_its_oldest_failure_to_age():
    clock = Clock()
    limiter = FailureLimiter(limit=3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("a") is None
        limiter.failed("a")
        clock.now += 10
    assert limiter.retry_after("a") == 30  # the first failure, at 1000, leaves at 1060
    assert limiter.retry_after("b") is None
    clock.now = 1060
    assert limiter.retry_after("a") is None


def test_the_limiter_forgets_the_least_recent_keys_past_its_size():
    limiter = FailureLimiter(limit=1, window=60, max_keys=2, clock=Clock())
    for key in ("a", "b", "c"):
        limiter.failed(key)
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("b") is not None and limiter.retry_after("c") is not None
