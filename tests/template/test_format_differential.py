"""FORMAT(value, option?) against its rule written in JavaScript, run by node.

CLOSER's guide: a number, or a string holding one, prints with JS
`toLocaleString()` when no option is given and with Numeral.js' `format(option)`
otherwise; a plain string comes back unchanged. The JS side below states that
rule with the real `Number.prototype.toLocaleString` (in en-US and in ko-KR,
which must agree: CLOSER's locale is not written down) and the real Numeral.js
2.0.6; the Python helper must print the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowbot.template.helpers import format_value
from flowbot.template.jsnumbers import js_to_locale_string
from flowbot.template.jsvalues import js_string

from .js_oracle import NodeOracle, open_inline_oracle

pytestmark = pytest.mark.node

# One JSON line in ({"value", "option", "locale"}; "value" absent = undefined), one out.
FORMAT_RULE_JS = r"""
'use strict';
const readline = require('readline');
const numeral = require('numeral');

function FORMAT(value, option, locale) {
  let n;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value))) {
    n = Number(value);
  } else return value;
  return option ? numeral(n).format(option) : n.toLocaleString(locale);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let reply;
  try {
    const r = JSON.parse(line);
    const value = 'value' in r ? r.value : undefined;
    const specials = { nan: NaN, inf: Infinity, ninf: -Infinity, nzero: -0 };
    const input = r.special ? specials[r.special] : value;
    const out = FORMAT(input, r.option, r.locale);
    reply = { output: out == null ? '' : String(out) };
  } catch (error) {
    reply = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
"""


@pytest.fixture(scope="module")
def format_js() -> Iterator[NodeOracle]:
    oracle = open_inline_oracle(FORMAT_RULE_JS, "numeral")
    yield oracle
    oracle.close()


def js_format(oracle: NodeOracle, value: Any, option: str | None, locale: str) -> str:
    result = oracle.ask({"value": value, "option": option, "locale": locale})
    assert isinstance(result, str)
    return result


def py_format(value: Any, option: str | None) -> str:
    return js_string(format_value(value, option))


numbers = st.one_of(
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(
        min_value=-10_000_000, max_value=10_000_000, places=5, allow_nan=False, allow_infinity=False
    ).map(float),
    # halves at the third decimal, where the rounding shows
    st.builds(lambda k, s: s * (k + 0.5) / 1000, st.integers(0, 10**7), st.sampled_from([1, -1])),
    st.sampled_from([0, 0.0625, 1.0005, 1.0015, -1e-7, 1e21, 2.0**70, 5e-324, 1e300, 0.1 + 0.2]),
)
strings = st.one_of(
    numbers.map(repr),
    st.sampled_from(
        [
            "01234.5",
            "안녕하세요",
            "",
            "  ",
            "\ufeff",
            " 42 ",
            "1e3",
            "0x1F",
            "-0",
            "Infinity",
            "NaN",
            "1,234",
            "12%",
            "1.2k",
            "12000원",
            ".5",
            "5.",
        ]
    ),
    st.text(max_size=6),
)
values = st.one_of(numbers, strings, st.sampled_from([None, True, False]))
options = st.one_of(st.none(), st.sampled_from(["", "0,0", "0.00", "0.0a", "0,0[.][0000]", "0%"]))


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values, option=options)
@example(value=1234567.891, option=None)
@example(value="01234.5", option=None)
@example(value="안녕하세요", option=None)
@example(value="안녕하세요", option="0.00")
@example(value=123.456, option="0.00")
@example(value=1230974, option="0.0a")
@example(value="1e3", option="0,0")
def test_format_follows_the_guide_rule(
    format_js: NodeOracle, value: Any, option: str | None
) -> None:
    expected = js_format(format_js, value, option, "en-US")
    if option in (None, ""):
        assert js_format(format_js, value, option, "ko-KR") == expected
    assert py_format(value, option) == expected


@pytest.mark.parametrize(
    ("special", "number"),
    [("nan", float("nan")), ("inf", float("inf")), ("ninf", float("-inf")), ("nzero", -0.0)],
)
def test_locale_string_of_special_numbers(
    format_js: NodeOracle, special: str, number: float
) -> None:
    for locale in ("en-US", "ko-KR"):
        expected = format_js.ask({"special": special, "option": None, "locale": locale})
        assert js_to_locale_string(number) == expected
