from __future__ import annotations

import random

import pytest

from flowbot.template.helpers import (
    HELPERS,
    HelperError,
    escape_uri_component,
    make_helpers,
    quote_string,
    seed_random,
    truncate,
)

FIXED_NOW = 1_544_161_634_667.0  # 2018-12-07T05:47:14.667Z


def test_helper_table_names_every_closer_helper() -> None:
    assert set(HELPERS) == {"RAND", "JOSA", "QUOTE", "ESCAPE", "FORMAT", "TRUNCATE", "DATE", "MASK"}


# --- the examples of CLOSER's helper documentation -----------------------------------


def test_josa_docs_examples() -> None:
    assert HELPERS["JOSA"]("멍멍이", "이") == "멍멍이가"
    assert HELPERS["JOSA"]("떡볶이", "을") == "떡볶이를"


def test_quote_docs_example() -> None:
    text = '안녕하세요? 저는 "개똥이" 입니다.'
    assert HELPERS["QUOTE"](text, '"') == '"안녕하세요? 저는 \\"개똥이\\" 입니다."'


def test_escape_docs_example() -> None:
    assert HELPERS["ESCAPE"]("name=홍길동") == "name%3D%ED%99%8D%EA%B8%B8%EB%8F%99"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((10000,), "10,000"),
        (("01234.5",), "1,234.5"),
        ((123.456, "0.00"), "123.46"),
        ((1230974, "0.0a"), "1.2m"),
    ],
)
def test_format_docs_examples(args: tuple[object, ...], expected: str) -> None:
    assert HELPERS["FORMAT"](*args) == expected


def test_format_leaves_what_is_no_number_unchanged() -> None:
    fmt = HELPERS["FORMAT"]
    assert fmt("안녕하세요", "0.00") == "안녕하세요"  # with an option too
    assert fmt("12,000") == "12,000"  # JS Number() reads no number in it
    assert fmt(None) is None and fmt(None, "0,0") is None  # prints nothing
    assert fmt(True) is True
    assert fmt([1000]) == [1000]
    assert fmt("") == "" and fmt("  ") == "  "


def test_format_reads_number_strings_as_js_number_does() -> None:
    fmt = HELPERS["FORMAT"]
    assert fmt("1e3") == "1,000"
    assert fmt("1e3", "0,0") == "1,000"  # numeral alone would read "1e3" as 13
    assert fmt(" 42 ") == "42"
    assert fmt("0x1F") == "31"
    assert fmt("-0") == "-0"
    assert fmt("Infinity") == "∞"


def test_format_without_option_is_to_locale_string() -> None:
    fmt = HELPERS["FORMAT"]
    assert fmt(1234567.891) == "1,234,567.891"
    assert fmt(0.0625) == "0.063"  # halves away from zero
    assert fmt(1.0005) == "1.001"  # on the shortest digits, not the binary value
    assert fmt(-1234.5678) == "-1,234.568"
    assert fmt(10**21) == "1,000,000,000,000,000,000,000"
    assert fmt(1e-7) == "0"


def test_date_docs_example() -> None:
    rendered = HELPERS["DATE"](
        "2018-12-07T05:47:14.667Z", "YYYY년 MM월 DD일 HH시 mm분", "Asia/Seoul"
    )
    assert rendered == "2018년 12월 07일 14시 47분"


def test_truncate_fits_the_omission_into_the_length() -> None:
    assert HELPERS["TRUNCATE"]("hi-diddly-ho there, neighborino", 24) == "hi-diddly-ho there, neig"
    text = "hi-diddly-ho there, neighborino"
    assert HELPERS["TRUNCATE"](text, 24, "...") == "hi-diddly-ho there, n..."
    assert HELPERS["TRUNCATE"]("짧은 글", 10) == "짧은 글"
    assert HELPERS["TRUNCATE"]("안녕하세요 반갑습니다", 8, "…") == "안녕하세요 반…"


# --- RAND ----------------------------------------------------------------------------


def test_rand_between_integer_bounds_is_inclusive() -> None:
    helpers = make_helpers(rng=random.Random(7))
    draws = {helpers["RAND"](1, 3) for _ in range(200)}
    assert draws == {1, 2, 3}
    assert all(isinstance(d, int) for d in draws)


def test_rand_same_seed_same_sequence() -> None:
    one = make_helpers(rng=random.Random(42))["RAND"]
    two = make_helpers(rng=random.Random(42))["RAND"]
    assert [one(1, 1000) for _ in range(5)] == [two(1, 1000) for _ in range(5)]


def test_rand_reversed_and_numeric_string_bounds() -> None:
    rand = make_helpers(rng=random.Random(1))["RAND"]
    assert all(5 <= rand(10, 5) <= 10 for _ in range(50))
    assert all(1 <= rand("1", "4") <= 4 for _ in range(50))


def test_rand_picks_one_of_the_items() -> None:
    rand = make_helpers(rng=random.Random(3))["RAND"]
    assert {rand("철수", "영희") for _ in range(100)} == {"철수", "영희"}
    assert {rand(1, 2, 3) for _ in range(100)} == {1, 2, 3}
    assert {rand(1.5, 2) for _ in range(100)} == {1.5, 2}  # not both integers: a choice


def test_seed_random_makes_the_shared_table_reproducible() -> None:
    seed_random(99)
    first = [HELPERS["RAND"](1, 10**9) for _ in range(3)]
    seed_random(99)
    assert [HELPERS["RAND"](1, 10**9) for _ in range(3)] == first


# --- QUOTE / ESCAPE / TRUNCATE / MASK / DATE ----------------------------------------------


def test_quote_single_quotes_and_control_characters() -> None:
    assert quote_string("it's", "'") == "'it\\'s'"
    assert quote_string('say "hi"', "'") == "'say \"hi\"'"
    assert quote_string("a\\b\nc\td\x01", '"') == '"a\\\\b\\nc\\td\\u0001"'
    assert quote_string(None) == '""'
    assert quote_string(12.5) == '"12.5"'


def test_escape_matches_encode_uri_component() -> None:
    assert escape_uri_component("a b&c/d?e#f") == "a%20b%26c%2Fd%3Fe%23f"
    assert escape_uri_component("-_.!~*'()") == "-_.!~*'()"
    assert escape_uri_component("😀") == "%F0%9F%98%80"
    assert escape_uri_component(None) == ""
    with pytest.raises(HelperError):
        escape_uri_component("\ud800")


def test_truncate_defaults_and_edge_lengths() -> None:
    long_text = "x" * 40
    assert truncate(long_text) == "x" * 30  # lodash's length 30, CLOSER's omission ''
    assert truncate("abcdef", 2) == "ab"
    assert truncate("abcdef", "4") == "abcd"
    assert truncate("abcdef", 6) == "abcdef"
    assert truncate("abcdef", 0) == ""
    assert truncate("abcdef", 2, "...") == "..."  # lodash: the omission alone when it fills
    assert truncate("abcdef", "4", "...") == "a..."


def test_mask_wraps_the_text_in_markers_whatever_the_schedule() -> None:
    assert HELPERS["MASK"]("010-1234-5678") == "\ue000010-1234-5678\ue001"
    assert HELPERS["MASK"]("secret", "1h") == "\ue000secret\ue001"
    assert HELPERS["MASK"](1234) == "\ue0001234\ue001"
    assert HELPERS["MASK"](None) == ""


def test_date_uses_the_injected_clock() -> None:
    helpers = make_helpers(clock=lambda: FIXED_NOW)
    assert helpers["DATE"]() == "2018-12-07T05:47:14.667Z"  # ISO, with milliseconds
    assert helpers["DATE"](None, None, "Asia/Seoul") == "2018-12-07T14:47:14.667+09:00"
    assert helpers["DATE"](None, "YYYY-MM-DD HH:mm", "Asia/Seoul") == "2018-12-07 14:47"
    assert helpers["DATE"]("not a date") == "Invalid date"


def test_helpers_ignore_surplus_arguments_like_js() -> None:
    assert HELPERS["JOSA"]("책", "이", "extra") == "책이"
    assert HELPERS["FORMAT"](1000, None, "extra") == "1,000"
