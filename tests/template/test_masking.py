"""MASK spans: `reveal` keeps the text, `star` hides it, stray markers never raise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowbot.template import compile_template
from flowbot.template.masking import (
    MASK_CLOSE,
    MASK_OPEN,
    contains_mask,
    has_mask,
    mask,
    mentions_mask,
    reveal,
    reveal_value,
    star,
    star_value,
)

OPEN, CLOSE = MASK_OPEN, MASK_CLOSE


def test_mask_in_a_template_wraps_the_rendered_value() -> None:
    rendered = compile_template("card {{MASK(params.card)}}!").render({"params": {"card": "4111"}})
    assert rendered == f"card {OPEN}4111{CLOSE}!"
    assert reveal(rendered) == "card 4111!"
    assert star(rendered) == "card ****!"


def test_reveal_and_star_leave_plain_text_alone() -> None:
    assert not has_mask("plain")
    assert reveal("plain") == star("plain") == "plain"


def test_star_counts_characters_not_bytes() -> None:
    assert star(f"이름 {OPEN}김지우{CLOSE}") == "이름 ***"
    assert star(mask("😀x")) == "**"


def test_nested_spans_star_once() -> None:
    assert star(f"a{OPEN}b{OPEN}c{CLOSE}d{CLOSE}e") == "a***e"
    assert reveal(f"a{OPEN}b{OPEN}c{CLOSE}d{CLOSE}e") == "abcde"


def test_stray_close_marker_is_dropped() -> None:
    assert star(f"a{CLOSE}b") == "ab"
    assert reveal(f"a{CLOSE}b") == "ab"
    assert star(f"{OPEN}x{CLOSE}{CLOSE}y") == "*y"


def test_unclosed_open_marker_stars_the_rest() -> None:
    # e.g. TRUNCATE(MASK(x), 3) cut the closing marker off: nothing after it leaks
    assert star(f"a{OPEN}bcd") == "a***"
    assert reveal(f"a{OPEN}bcd") == "abcd"
    assert star(OPEN) == reveal(OPEN) == ""


def test_values_are_walked_keys_included() -> None:
    value = {"type": "text", "text": mask("12"), f"{OPEN}k{CLOSE}": [mask("ab"), 3, None]}
    assert contains_mask(value)
    assert not contains_mask({"type": "text", "text": "12", "n": [1]})
    assert reveal_value(value) == {"type": "text", "text": "12", "k": ["ab", 3, None]}
    assert star_value(value) == {"type": "text", "text": "**", "*": ["**", 3, None]}


def test_mentions_mask_looks_at_template_sources() -> None:
    assert mentions_mask({"a": ["x", "{{MASK(card)}}"]})
    assert not mentions_mask({"a": ["{{card}}", 3]})


markers_and_text = st.text(alphabet=st.sampled_from(["a", "가", "😀", " ", OPEN, CLOSE]))


@given(markers_and_text)
def test_star_keeps_the_length_of_the_revealed_text(s: str) -> None:
    assert len(star(s)) == len(reveal(s))


@given(markers_and_text)
def test_results_hold_no_markers_and_are_stable(s: str) -> None:
    assert not has_mask(reveal(s))
    assert not has_mask(star(s))
    assert reveal(star(s)) == star(s)
    assert star(reveal(s)) == reveal(s)
    assert reveal(reveal(s)) == reveal(s)


@given(markers_and_text)
def test_star_differs_from_reveal_only_by_stars(s: str) -> None:
    for shown, logged in zip(reveal(s), star(s), strict=True):
        assert logged in (shown, "*")


@given(st.text(), st.text())
def test_a_masked_span_of_clear_text(prefix: str, secret: str) -> None:
    prefix, secret = reveal(prefix), reveal(secret)
    s = prefix + mask(secret)
    assert reveal(s) == prefix + secret
    assert star(s) == prefix + "*" * len(secret)
