"""compile_value: every string of a message compiled once, and CLOSER's array expansion."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.template import TemplateLimitError, TemplateSyntaxError, compile_value
from flowbot.template.limits import MAX_ITERATIONS

STARSHIPS = {
    "sandbox": {
        "result": {
            "data": {
                "results": [
                    {"name": "X-wing", "model": "T-65 X-wing", "manufacturer": "Incom"},
                    {"name": "Death Star", "model": "DS-1", "manufacturer": "Imperial"},
                    {"name": "Millennium Falcon", "model": "YT-1300", "manufacturer": "Corellian"},
                ]
            }
        }
    }
}

CARD = {
    "title": "{{sandbox.result.data.results[i].name}}",
    "description": (
        "{{sandbox.result.data.results[i].model}}\n{{sandbox.result.data.results[i].manufacturer}}"
    ),
    "buttons": [
        {
            "type": "postback",
            "label": "자세히",
            "payload": "{{sandbox.result.data.results[i].name}}",
        }
    ],
}


def test_starships_card_expands_into_one_card_per_result() -> None:
    message = compile_value({"type": "cards", "cards": [CARD]})
    rendered = message.render(STARSHIPS)
    assert rendered == {
        "type": "cards",
        "cards": [
            {
                "title": ship["name"],
                "description": f"{ship['model']}\n{ship['manufacturer']}",
                "buttons": [{"type": "postback", "label": "자세히", "payload": ship["name"]}],
            }
            for ship in STARSHIPS["sandbox"]["result"]["data"]["results"]
        ],
    }


def test_static_items_stay_and_expansion_keeps_position() -> None:
    message = compile_value(
        {"buttons": [{"label": "first"}, {"label": "{{xs[i]}}"}, {"label": "last {{n}}"}]}
    )
    assert message.render({"xs": ["a", "b"], "n": 1}) == {
        "buttons": [{"label": "first"}, {"label": "a"}, {"label": "b"}, {"label": "last 1"}]
    }


def test_expansion_stops_at_ten_clones() -> None:
    message = compile_value([{"label": "{{xs[i]}}"}])
    assert len(message.render({"xs": list(range(25))})) == 10


def test_range_expansion_skips_missing_elements() -> None:
    message = compile_value([{"label": "{{xs[1..5].name}}"}])
    xs = [{"name": n} for n in "abc"]
    assert message.render({"xs": xs}) == [{"label": "b"}, {"label": "c"}]
    assert compile_value([{"label": "{{xs[3..4]}}"}]).render({"xs": [1]}) == []


def test_a_range_goes_past_ten_clones() -> None:
    # CLOSER's guide: "to expand more than 10, use a range"
    xs = list(range(25))
    assert compile_value([{"label": "{{xs[0..19]}}"}]).render({"xs": xs}) == [
        {"label": str(n)} for n in range(20)
    ]
    assert len(compile_value([{"label": "{{xs[5..100]}}"}]).render({"xs": xs})) == 20
    assert compile_value([{"label": "{{xs[0..5]}}"}]).render({"xs": xs}) == [
        {"label": str(n)} for n in range(6)
    ]


def test_range_clones_are_charged_to_the_render_budget() -> None:
    xs = list(range(MAX_ITERATIONS + 1))
    fits = compile_value({"buttons": [{"label": "{{xs[0..9999]}}"}]})
    assert len(fits.render({"xs": xs})["buttons"]) == MAX_ITERATIONS
    # two lists of one message share the budget, with the #each loops
    twice = compile_value({"a": [{"l": "{{xs[0..5999]}}"}], "b": [{"l": "{{xs[0..5999]}}"}]})
    with pytest.raises(TemplateLimitError, match="array-expansion copies"):
        twice.render({"xs": xs})
    with pytest.raises(TemplateLimitError):
        compile_value(
            {"text": "{{#each xs}}{{/each}}", "buttons": [{"label": "{{xs[0..1]}}"}]}
        ).render({"xs": xs[:MAX_ITERATIONS]})


@pytest.mark.parametrize("array", [None, "text", {"a": 1}, []])
def test_no_array_means_no_clones(array: Any) -> None:
    assert compile_value([{"label": "{{xs[i]}}"}]).render({"xs": array}) == []


def test_index_outside_a_list_item_is_a_plain_key() -> None:
    message = compile_value({"text": "{{xs[i]}}|{{xs.i}}", "items": ["{{xs[i]}}"]})
    assert message.render({"xs": {"i": "key i"}}) == {"text": "key i|key i", "items": ["key i"]}


def test_render_gives_a_fresh_copy() -> None:
    value = {"type": "text", "text": "static", "buttons": [{"label": "b"}]}
    compiled = compile_value(value)
    first = compiled.render({})
    first["buttons"].append("changed")
    assert compiled.render({}) == value


def test_non_string_leaves_are_kept() -> None:
    value = {"latitude": 37.5, "delay": 0, "meta": None, "ok": True}
    assert compile_value(value).render({}) == value


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"cards": [{"title": "ok"}, {"title": "{{#if x}}"}]}, "cards[1].title"),
        ({"text": "{{/if}}"}, "text"),
        ({"meta": {"custom key": "{{a b}}"}}, 'meta["custom key"]'),
        ("{{", ""),
    ],
)
def test_syntax_errors_name_the_json_path(value: Any, path: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_value(value)
    assert caught.value.path == path
    assert caught.value.line == 1
