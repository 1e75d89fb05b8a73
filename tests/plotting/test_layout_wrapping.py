"""Breaking titles into lines, measured here in characters (one unit each)."""

from plotting.layout import wrap_title


def test_parts_are_joined_while_they_fit_and_a_break_replaces_the_separator():
    assert wrap_title("aaaa · bbbb · cccc", len, 11) == "aaaa · bbbb\ncccc"
    assert wrap_title("aaaa · bbbb · cccc", len, 18) == "aaaa · bbbb · cccc"
    assert wrap_title("aaaa · bbbb · cccc", len, 10) == "aaaa\nbbbb\ncccc"


def test_a_part_too_wide_alone_is_broken_at_spaces_then_inside_a_word():
    assert wrap_title("one two three four · x", len, 9) == "one two\nthree\nfour · x"
    assert wrap_title("abcdefghijklmnopqrstuvwxyz", len, 10) == "abcdefghij\nklmnopqrst\nuvwxyz"
