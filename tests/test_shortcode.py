"""Short codes: 40 random bits people can read aloud and type back with mistakes forgiven."""

from handoff import shortcode


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
