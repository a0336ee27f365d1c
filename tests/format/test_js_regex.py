"""JS regex semantics under the `regex` package, and the limits on a search (issue 9)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flowbot.format.conditions import ConditionError, compile_where
from flowbot.format.js_regex import (
    MAX_PATTERN_SIZE,
    JsRegexError,
    RegexClock,
    RegexTimeoutError,
    compile_js_regex,
)

JS_SPACES = "\t\n\x0b\x0c\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
JS_SPACES += "\u2028\u2029\u202f\u205f\u3000\ufeff"
# white space to Python's str.isspace (or to \s of `re`) but not to JavaScript
NOT_JS_SPACES = "\x1c\x1d\x1e\x1f\x85\u180e\u200b"
LINE_TERMINATORS = "\n\r\u2028\u2029"

# (pattern, text, does JavaScript's `new RegExp(pattern).test(text)` hold)
SEMANTICS: list[tuple[str, str, bool]] = [
    *[("\\s", ch, True) for ch in JS_SPACES],
    *[("\\s", ch, False) for ch in NOT_JS_SPACES],
    *[("\\S", ch, False) for ch in JS_SPACES],
    *[("\\S", ch, True) for ch in NOT_JS_SPACES],
    *[("^[\\s]$", ch, True) for ch in "\u3000\xa0\ufeff\u2028"],
    *[("^[^\\s]$", ch, False) for ch in "\u3000\xa0\ufeff\u2028"],
    ("^[^\\s]$", "\x85", True),
    # `.` stops at JS line terminators only
    *[("^.$", ch, False) for ch in LINE_TERMINATORS],
    *[("^.$", ch, True) for ch in "\x85\x0b\x0c\u3000a"],
    ("^a.c$", "a\rc", False),
    ("^[.]$", "\n", False),
    ("^[.]$", ".", True),
    # \S inside classes
    ("^[\\S]$", " ", False),
    ("^[\\S]$", "\u3000", False),
    ("^[\\S]$", "x", True),
    ("^[^\\S]$", "\u3000", True),
    ("^[^\\S]$", "x", False),
    ("^[\\S\\d]+$", "1a", True),
    ("^[\\S\\d]$", " ", False),
    ("^[^\\S\\d]$", " ", True),
    ("^[^\\S\\d]$", "1", False),
    ("^[^\\S ]$", " ", False),
    ("^[^\\S ]$", "\u3000", True),
    ("^[\\s\\S]$", "\n", True),
    # a dash next to a class escape is a dash
    ("^[\\s-a]$", "-", True),
    ("^[\\s-a]$", "b", False),
    ("^[a-\\s]$", "-", True),
    ("^[\\d-z]$", "-", True),
    ("^[\\d-z]$", "m", False),
    ("^[b\\S-a]$", "-", True),
    # ASCII-only \d \w \b
    ("\\d", "٣", False),
    ("\\w", "한", False),
    ("\\w", "é", False),
    ("\\bé", "é", False),
    ("a\\b", "aé", True),
    ("\\W", "é", True),
    # identity escapes and literal braces
    ("^\\p{L}$", "p{L}", True),
    ("\\p{L}", "a", False),
    ("^\\X$", "X", True),
    ("^\\z$", "z", True),
    ("^\\e$", "e", True),
    ("^a{e<=1}$", "a{e<=1}", True),
    ("a{e<=1}", "ab", False),
    ("^x{,3}$", "x{,3}", True),
    ("^x{,3}$", "xx", False),
    ("^a{2$", "a{2", True),
    ("^a{2}$", "aa", True),
    ("^a{٣}$", "a{٣}", True),  # a quantifier takes ASCII digits only
    ("^}$", "}", True),
    ("^\\x4$", "x4", True),
    ("^\\x41$", "A", True),
    ("^\\u12$", "u12", True),
    ("^\\u0041$", "A", True),
    ("^\\c1$", "\\c1", True),
    ("^\\cJ$", "\n", True),
    ("^[\\c1]$", "\x11", True),
    ("^[\\c_]$", "\x1f", True),
    ("^[\\B]$", "B", True),
    ("^[\\b]$", "\b", True),
    ("^\\k<a>$", "k<a>", True),
    ("^(?<a>x)\\k<a>$", "xx", True),
    ("^\\0$", "\x00", True),
    ("^a\\/b$", "a/b", True),
    # end of input, look-behind
    ("a$", "a\n", False),
    ("(?<=a+)b", "aab", True),
    ("(?<!a)b", "ab", False),
    ("^[^]$", "\n", True),
    ("[]", "x", False),
    ("[[]", "[", True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), SEMANTICS)
def test_javascript_semantics(pattern: str, text: str, expected: bool) -> None:
    assert compile_js_regex(pattern).test(text) is expected


def test_invalid_patterns_are_refused_with_the_reason() -> None:
    for pattern, reason in [
        ("(a", "missing )"),
        ("a**", "multiple repeat"),
        ("[a", "unterminated character set"),
        ("[\\S", "unterminated character set"),
        ("[^\\s\\S", "unterminated character set"),
    ]:
        with pytest.raises(JsRegexError) as info:
            compile_js_regex(pattern)
        assert reason in str(info.value)


# --- against node's RegExp ------------------------------------------------------------

_NODE_REGEXP = r"""
const lines = require("readline").createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  const { pattern, texts } = JSON.parse(line);
  let answer;
  try {
    const re = new RegExp(pattern);
    answer = { output: texts.map((text) => re.test(text)) };
  } catch (error) {
    answer = { error: String(error.message) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
"""


class RegExpOracle:
    """node's `new RegExp(pattern).test(text)`, one JSON line in, one out."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", "-e", _NODE_REGEXP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def test(self, pattern: str, texts: list[str]) -> list[bool] | None:
        """JS's answers, or None when JS refuses the pattern."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"pattern": pattern, "texts": texts}) + "\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = json.loads(self.process.stdout.readline())
        output: list[bool] | None = reply.get("output")
        return output

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def regexp() -> Iterator[RegExpOracle]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    oracle = RegExpOracle()
    yield oracle
    oracle.close()


@pytest.mark.node
def test_the_semantics_table_is_what_javascript_does(regexp: RegExpOracle) -> None:
    for pattern, text, expected in SEMANTICS:
        assert regexp.test(pattern, [text]) == [expected], (pattern, text)


_ATOMS = [
    "\\s", "\\S", ".", "\\d", "\\D", "\\w", "\\W", "a", "b", "-", " ", "1",
    "[\\s]", "[^\\s]", "[\\S]", "[^\\S]", "[\\S\\d]", "[^\\S\\d]", "[^\\S ]", "[\\s-a]",
    "[a-\\s]", "[^.]", "[.]", "[a-c]", "[^a]", "\\u3000", "\\x20", "\\p", "\\X", "{", "}",
    "[\\b]", "\\cJ", "\\k", "[^]", "\\t", "\\n", "\\r",
]  # fmt: skip
_ASSERTIONS = ["^", "$", "\\b", "\\B"]
_QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?", "+?"]
_CHARACTERS = (
    "ab1_- .{}pXkJé한\t\n\r\x0b\x0c\xa0\u1680\u2000\u200a\u200b\u2028\u2029\u202f\u205f"
    "\u3000\ufeff\x1c\x85\u180e\x08"
)


@st.composite
def js_patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parts.append(draw(st.sampled_from(_ASSERTIONS)))
            continue
        if kind == 1 and depth < 2:
            inner = draw(js_patterns(depth + 1))
            atom = f"({inner})" if draw(st.booleans()) else f"(?:{inner}|{draw(js_patterns(2))})"
        else:
            atom = draw(st.sampled_from(_ATOMS))
        parts.append(atom + draw(st.sampled_from(_QUANTIFIERS)))
    return "".join(parts)


@pytest.mark.node
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=js_patterns(),
    texts=st.lists(st.text(alphabet=_CHARACTERS, max_size=6), min_size=1, max_size=4),
)
def test_patterns_match_like_javascript(
    regexp: RegExpOracle, pattern: str, texts: list[str]
) -> None:
    expected = regexp.test(pattern, texts)
    assume(expected is not None)  # what JS refuses is out of scope here
    compiled = compile_js_regex(pattern)
    assert [compiled.test(text) for text in texts] == expected


# --- limits ----------------------------------------------------------------------------

HOSTILE = "a" * 40 + "b"


def test_a_catastrophic_search_gives_up_after_its_limit() -> None:
    pattern = compile_js_regex("(a|aa)+$")
    started = time.perf_counter()
    with pytest.raises(RegexTimeoutError) as info:
        pattern.test(HOSTILE)
    assert time.perf_counter() - started < 0.5
    assert info.value.message == "regex '(a|aa)+$' timed out after 50 ms"


def test_the_searches_given_one_clock_share_its_time() -> None:
    clock = RegexClock(0.02)
    started = time.perf_counter()
    with pytest.raises(RegexTimeoutError, match="for regular expressions are used up"):
        compile_js_regex("(a|a)+$").test(HOSTILE, clock)
    assert time.perf_counter() - started < 0.045  # stopped at the clock's 20 ms, not 50
    assert clock.left <= 0
    with pytest.raises(RegexTimeoutError, match="are used up"):
        compile_js_regex("x").test("x", clock)  # nothing left: not even tried


def test_a_normal_search_is_charged_to_the_clock() -> None:
    clock = RegexClock()
    assert compile_js_regex("b").test("ab", clock)
    assert 0.19 < clock.left < 0.2


def test_a_timed_out_condition_names_its_path() -> None:
    condition = compile_where({"message.text": {"regex": "(a|aa)+$"}})
    with pytest.raises(ConditionError) as info:
        condition.holds({"message": {"text": HOSTILE}})
    assert info.value.path == 'where["message.text"].regex'
    assert "timed out" in info.value.message
    assert isinstance(info.value.__cause__, RegexTimeoutError)


def test_a_templated_regex_is_limited_the_same_way() -> None:
    condition = compile_where({"message.text": {"regex": "^{{params.p}}"}})
    context = {"message": {"text": HOSTILE}, "params": {"p": "(a|aa)+$"}}
    started = time.perf_counter()
    with pytest.raises(ConditionError, match="timed out"):
        condition.holds(context, RegexClock())
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "pattern",
    [
        "a{1000000}",
        "a{4294967294}",
        "(?:a{1000}){1000}",
        "((a{100}){100}){100}",
        "a{" + "9" * 5000 + "}",
        "x" * (MAX_PATTERN_SIZE + 1),
    ],
)
def test_patterns_too_large_to_compile_quickly_are_refused(pattern: str) -> None:
    started = time.perf_counter()
    with pytest.raises(JsRegexError, match="pattern too large"):
        compile_js_regex(pattern)
    assert time.perf_counter() - started < 0.5  # refused before `regex` compiles anything


@pytest.mark.parametrize(
    "pattern",
    ["a{0,100000}", "a{1,100000}", "(?:a{100}){50}", "x" * MAX_PATTERN_SIZE, "a{2}" * 100],
)
def test_patterns_of_reasonable_size_compile(pattern: str) -> None:
    started = time.perf_counter()
    compile_js_regex(pattern)
    assert time.perf_counter() - started < 1  # 20-60 ms when the machine is idle


def test_deeply_nested_patterns_are_refused() -> None:
    with pytest.raises(JsRegexError, match="nested"):
        compile_js_regex("(" * 2000 + "a" + ")" * 2000)
