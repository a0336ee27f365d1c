"""The budget of one render: #each iterations and output size (issue 9)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowbot.template import (
    TemplateError,
    TemplateLimitError,
    TemplateRenderError,
    compile_template,
    compile_value,
)
from flowbot.template.limits import MAX_ITERATIONS, MAX_OUTPUT, UNCHARGED

NESTED_EACH = (
    "{{#each params.list}}{{#each ../params.list}}{{#each ../../params.list}}x"
    "{{/each}}{{/each}}{{/each}}"
)


def render(source: str, **context: Any) -> str:
    return compile_template(source).render(context)


def test_the_limit_is_a_render_error() -> None:
    assert issubclass(TemplateLimitError, TemplateRenderError)
    assert issubclass(TemplateLimitError, TemplateError)


def test_three_nested_each_over_200_elements_stop_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateLimitError, match="more than 10,000 #each iterations"):
        render(NESTED_EACH, params={"list": list(range(200))})
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("source", "context"),
    [
        ("{{#each list}}x{{/each}}", {"list": [0] * MAX_ITERATIONS}),
        ("{{#each list}}{{@index}}{{/each}}", {"list": [0] * MAX_ITERATIONS}),
        ("{{#each obj}}{{@key}}{{/each}}", {"obj": {str(i): i for i in range(MAX_ITERATIONS)}}),
        ("{{#list}}x{{/list}}", {"list": [1] * MAX_ITERATIONS}),
        # nested loops count together: 100 + 100 × 99
        ("{{#each a}}{{#each ../b}}x{{/each}}{{/each}}", {"a": [0] * 100, "b": [1] * 99}),
    ],
)
def test_up_to_the_limit_renders_one_more_does_not(source: str, context: dict[str, Any]) -> None:
    assert render(source, **context)
    bigger = {
        key: ([*value, value[-1]] if isinstance(value, list) else {**value, "x": 0})
        for key, value in context.items()
    }
    with pytest.raises(TemplateLimitError):
        render(source, **bigger)


def test_a_loop_is_charged_before_it_starts() -> None:
    calls: list[int] = []
    template = compile_template(
        "{{#each list}}{{COUNT()}}{{/each}}", helpers={"COUNT": calls.append}
    )
    with pytest.raises(TemplateLimitError):
        template.render({"list": list(range(MAX_ITERATIONS + 1))})
    assert calls == []


def test_each_render_has_its_own_budget() -> None:
    template = compile_template("{{#each list}}x{{/each}}")
    context = {"list": [0] * (MAX_ITERATIONS // 2 + 1)}
    for _ in range(3):
        assert template.render(context) == "x" * len(context["list"])
    assert UNCHARGED.iterations == MAX_ITERATIONS  # loop-free renders never charge it


@pytest.mark.parametrize(
    "source",
    [
        "{{#each list}}{{this}}{{/each}}",  # the loop without @data or depths
        "{{#each list}}{{@index}}{{this}}{{/each}}",  # with @data
        "{{#each list}}{{this}}{{../sep}}{{/each}}",  # with depths
        "{{#each list}}{{@root.big}}{{/each}}",
    ],
)
def test_output_over_the_limit_stops_inside_the_loop(source: str) -> None:
    big = "y" * 30_000
    with pytest.raises(TemplateLimitError, match="over 100,000 characters"):
        render(source, list=[big] * 1000, big=big, sep=",")


def test_output_over_the_limit_stops_outside_loops_too() -> None:
    with pytest.raises(TemplateLimitError, match="over 100,000 characters"):
        render("{{a}}{{a}}", a="y" * (MAX_OUTPUT // 2 + 1))
    assert len(render("{{a}}{{a}}", a="y" * (MAX_OUTPUT // 2))) == MAX_OUTPUT


def test_the_builders_own_long_text_is_never_refused() -> None:
    long_text = "z" * (MAX_OUTPUT + 10)
    assert render(long_text) == long_text
    assert render(long_text + "{{a}}", a="") == long_text


@pytest.mark.parametrize(("size", "fits"), [(1000, True), (1001, False)])
def test_the_strings_of_one_value_share_a_budget(size: int, fits: bool) -> None:
    # ten clones of a card, each looping over `size` elements: one render of the value
    value = compile_value([{"title": "{{items[i].name}}: {{#each @root.params.list}}x{{/each}}"}])
    context = {"items": [{"name": n} for n in "abcdefghijkl"], "params": {"list": [0] * size}}
    if not fits:
        with pytest.raises(TemplateLimitError):
            value.render(context)
        return
    rendered = value.render(context)
    assert len(rendered) == 10  # still at most 10 clones
    assert rendered[0]["title"] == "a: " + "x" * size
    assert value.render(context) == rendered  # and the next render has its own budget


def test_values_without_loops_need_no_budget() -> None:
    value = compile_value({"text": "{{a}}", "buttons": [{"label": "{{items[i]}}"}]})
    assert value.render({"a": 1, "items": ["x", "y"]}) == {
        "text": "1",
        "buttons": [{"label": "x"}, {"label": "y"}],
    }
    assert UNCHARGED.iterations == MAX_ITERATIONS
