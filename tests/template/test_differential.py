"""Templates against the real handlebars.js 4.0.12: byte-identical output required.

tests/js/render_handlebars.js runs once per session as a long-lived node
process; hypothesis composes templates from the Handlebars subset CLOSER bots
use (paths, #if/else if/unless/with/each, sections, @data, comments,
sub-expressions, literals, `~`, standalone lines) and JSON contexts. Where
handlebars.js refuses a template, flowbot must refuse it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowbot.template import TemplateSyntaxError, compile_template

from .js_oracle import NodeOracle, open_oracle

pytestmark = pytest.mark.node


@pytest.fixture(scope="session")
def handlebars() -> Iterator[NodeOracle]:
    oracle = open_oracle("render_handlebars.js", "handlebars")
    yield oracle
    oracle.close()


def flowbot_render(template: str, context: Any) -> dict[str, str]:
    try:
        return {"output": compile_template(template).render(context)}
    except TemplateSyntaxError as error:
        return {"error": str(error)}


def assert_same(handlebars: NodeOracle, template: str, context: Any) -> None:
    expected = handlebars.exchange({"template": template, "context": context})
    actual = flowbot_render(template, context)
    if "error" in expected or "error" in actual:
        assert ("error" in expected) == ("error" in actual), (template, expected, actual)
    else:
        assert actual == expected, (template, context)


# -- contexts -----------------------------------------------------------------

KEYS = ["a", "b", "c", "items", "name", "0", "1"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.sampled_from([0.5, -1.25, 1e21, 1e-7, 123456789.125, 2**53 + 2, 0.1 + 0.2]),
    st.text(alphabet="ab 0 1\n가{}x", max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    ),
    max_leaves=12,
)
contexts = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)


# -- templates ----------------------------------------------------------------

paths = st.sampled_from(
    [
        "a", "b", "c", "items", "name", "a.b", "a.c", "a.[0]", "items.[1]", "items.[0].a",
        "this", "this.a", ".", "../a", "../../b", "../items", "@index", "@key", "@first",
        "@last", "@root.a", "@../index", "a.length", "items.length", "name.length",
        "[0]", "a.[1].b", "this.[b]",
    ]
)  # fmt: skip
literals = st.sampled_from(
    ['"x"', "'a b'", '""', "0", "1", "-2.5", "true", "false", "null", "undefined"]
)
comparators = st.sampled_from(["$eq", "$ne", "$lt", "$lte", "$gt", "$gte"])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 9 if depth < 2 else 5))
    if choice <= 4:
        return draw(paths)
    if choice == 5:
        return draw(literals)
    if choice <= 7:
        left, right = draw(expressions(depth + 1)), draw(expressions(depth + 1))
        return f"({draw(comparators)} {left} {right})"
    count = draw(st.integers(2, 3))
    operands = " ".join(draw(expressions(depth + 1)) for _ in range(count))
    return f"({draw(st.sampled_from(['$and', '$or']))} {operands})"


texts = st.sampled_from(["", "x", " ", "  ", "\n", "\n  ", "  \n", "a b", "\r\n", "가", "\t"])


def tag(draw: st.DrawFn, inner: str) -> str:
    left = "~" if draw(st.integers(0, 7)) == 0 else ""
    right = "~" if draw(st.integers(0, 7)) == 0 else ""
    return "{{" + left + inner + right + "}}"


@st.composite
def programs(draw: st.DrawFn, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4 if depth < 2 else 2))):
        parts.append(draw(texts))
        parts.append(draw(statements(depth)))
    parts.append(draw(texts))
    return "".join(parts)


@st.composite
def statements(draw: st.DrawFn, depth: int) -> str:
    kind = draw(st.integers(0, 12 if depth < 3 else 4))
    if kind <= 1:
        return tag(draw, draw(paths))
    if kind == 2:
        return tag(draw, draw(expressions()).removeprefix("(").removesuffix(")"))
    if kind == 3:
        return "{{{" + draw(paths) + "}}}"
    if kind == 4:
        return draw(st.sampled_from(["{{! note }}", "{{!-- {{a}} --}}", "{{~! x ~}}", "{{!}}"]))
    body = draw(programs(depth + 1))
    otherwise = draw(st.one_of(st.none(), programs(depth + 1)))
    else_tag = tag(draw, "else") if otherwise is not None else ""
    tail = else_tag + (otherwise or "")
    if kind <= 6:
        name = draw(st.sampled_from(["if", "unless"]))
        head = tag(draw, f"#{name} {draw(expressions())}")
        if name == "if" and otherwise is not None and draw(st.booleans()):
            chained = tag(draw, f"else if {draw(expressions())}")
            tail = chained + draw(programs(depth + 1)) + tail
        return head + body + tail + tag(draw, f"/{name}")
    if kind <= 8:
        return tag(draw, f"#each {draw(paths)}") + body + tail + tag(draw, "/each")
    if kind == 9:
        return tag(draw, f"#with {draw(paths)}") + body + tail + tag(draw, "/with")
    name = draw(st.sampled_from(["a", "b", "items", "a.b"]))
    opener = draw(st.sampled_from(["#", "^"]))
    return tag(draw, f"{opener}{name}") + body + tag(draw, f"/{name}")


# FLOWBOT_DIFFERENTIAL_EXAMPLES raises the count for a longer hunt.
@settings(
    max_examples=int(os.environ.get("FLOWBOT_DIFFERENTIAL_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(template=programs(), context=contexts)
@example(template="{{#each items}}{{@index}}{{this}}{{/each}}", context={"items": [1, "x"]})
@example(template="{{#if a}}\n  yes\n{{else}}\n  no\n{{/if}}\n", context={"a": []})
@example(template="  {{#each a}}\n{{@key}}={{.}}\n  {{/each}}", context={"a": {"b": 1, "1": 2}})
@example(template="{{a}}{{b}}{{#c}}{{/c}}{{a}}{{b}}{{#c}}{{/c}}{{a}}", context={"a": 1, "b": True})
@example(template="{{a}} {{a.b}} {{a.length}}", context={"a": [1, [2, None], {"b": 1.5}]})
# block helpers hand a null context to their blocks as an empty object
@example(
    template="{{~#items~}}{{~#if a~}}{{~else~}}{{~this~}}{{~/if~}}{{~/items~}}",
    context={"a": None, "items": [None]},
)
@example(
    template="{{#each i}}{{#with x}}a{{else}}{{this}}{{/with}}|{{/each}}", context={"i": [None, 1]}
)
@example(
    template="{{#each i}}{{#each x}}{{else}}{{this}}{{/each}}|{{/each}}", context={"i": [None]}
)
@example(template="{{#each i}}{{#x}}{{else}}{{this}}{{/x}}|{{/each}}", context={"i": [None]})
def test_templates_render_like_handlebars(
    handlebars: NodeOracle, template: str, context: Any
) -> None:
    assert_same(handlebars, template, context)


@pytest.mark.parametrize(
    "template",
    [
        "{{#if a}}x{{/if}",
        "{{#if a}}x",
        "{{#if a}}x{{/each}}",
        "{{a.this}}",
        "{{else}}",
        "{{/if}}",
        "{{a b=}}",
        "{{!-- x",
        "{{ a ",
        "x\\{{a}}y{{b}}",
        "x\\\\{{a}}y",
        "{{elsewhere}}",
        "{{#with a}}{{else}}{{else}}{{/with}}",
        "{{[a b]}} {{a.[b c]}} {{[a\\]b]}}",
        "{{#each a}}{{#each this}}{{../../b}}{{@../index}}{{/each}}{{/each}}",
        '{{true}} {{null}} {{1}} {{"a"}}',
    ],
)
def test_edge_cases_render_like_handlebars(handlebars: NodeOracle, template: str) -> None:
    context = {"a": [{"b": 1}, [2, 3]], "b": "B", "a b": "space", "b c": 1, "true": "T", "1": "one"}
    assert_same(handlebars, template, context)
