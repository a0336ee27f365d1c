from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowbot.format.condition_values import MISSING, loose_equals, resolve_path, split_path
from flowbot.format.conditions import ConditionError, compile_where
from flowbot.format.js_regex import translate_js_regex


def ctx(text: str | None = None, payload: Any = None, **params: Any) -> dict[str, Any]:
    return {"message": {"type": "text", "text": text, "payload": payload}, "params": params}


def holds(where: dict[str, Any], context: dict[str, Any]) -> bool:
    return compile_where(where).holds(context)


# --- paths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("message", ("message",)),
        ("message.payload.flowId", ("message", "payload", "flowId")),
        ("message.payload.array[0].x", ("message", "payload", "array", 0, "x")),
        ("a.b.[0].c", ("a", "b", 0, "c")),
        ("a.0.c", ("a", 0, "c")),
        ('a["key.with dot"].b', ("a", "key.with dot", "b")),
        ("a['k'][2]", ("a", "k", 2)),
        ("params.이름", ("params", "이름")),
    ],
)
def test_split_path(path: str, parts: tuple[Any, ...]) -> None:
    assert split_path(path) == parts


@pytest.mark.parametrize("path", ["", "a..b", "a.", ".a", "a[0", "a]", "[0].a", " a"])
def test_split_path_rejects_malformed(path: str) -> None:
    with pytest.raises(ValueError):
        split_path(path)


def test_resolve_path_through_lists_and_length() -> None:
    context = {"message": {"payload": {"array": [{"x": 1}, {"x": 2}]}, "text": "hello"}}
    assert resolve_path(context, ("message", "payload", "array", 1, "x")) == 2
    assert resolve_path(context, ("message", "payload", "array", 5, "x")) is MISSING
    assert resolve_path(context, ("message", "payload", "array", "length")) == 2
    assert resolve_path(context, ("message", "text", "length")) == 5
    assert resolve_path(context, ("message", "text", "nope")) is MISSING


def test_top_level_name_falls_back_to_params_but_context_wins() -> None:
    context = {"params": {"name": "kim", "message": "param"}, "message": {"text": "hi"}}
    assert resolve_path(context, ("name",)) == "kim"
    assert resolve_path(context, ("message", "text")) == "hi"


# --- operators -----------------------------------------------------------------


def test_none_and_empty_where_hold_always_with_size_zero() -> None:
    assert compile_where(None).holds({}) and compile_where(None).size == 0
    assert compile_where({}).holds({}) and compile_where({}).size == 0


def test_message_alone_is_the_message_text() -> None:
    where = {"message": {"equals": "진행"}}
    assert holds(where, ctx("진행"))
    assert not holds(where, ctx("진행 안함"))
    assert holds(where, {"message": "진행"})


def test_equals_is_loose_between_numbers_and_strings() -> None:
    assert holds({"params.n": {"equals": 3}}, ctx(n="3"))
    assert holds({"params.n": {"equals": "3"}}, ctx(n=3))
    assert holds({"params.n": {"equals": "3.0"}}, ctx(n=3))
    assert holds({"params.n": {"equals": 3.0}}, ctx(n=3))
    assert not holds({"params.n": {"equals": "three"}}, ctx(n=3))
    assert holds({"params.b": {"equals": "true"}}, ctx(b=True))
    assert not holds({"params.b": {"equals": 1}}, ctx(b=True))
    assert not holds({"params.missing": {"equals": ""}}, ctx())
    assert holds({"params.missing": {"equals": None}}, ctx())
    assert holds({"params.o": {"equals": {"a": [1, "2"]}}}, ctx(o={"a": ["1", 2]}))


def test_not_equals_is_the_negation_of_equals() -> None:
    assert holds({"message.text": {"notEquals": "a"}}, ctx("b"))
    assert not holds({"message.text": {"notEquals": "a"}}, ctx("a"))
    assert holds({"params.missing": {"notEquals": "a"}}, ctx())


def test_contains_on_strings_lists_and_objects() -> None:
    assert holds({"message.text": {"contains": "drop"}}, ctx("스킵(drop)"))
    assert not holds({"message.text": {"contains": "drop"}}, ctx("진행"))
    assert holds({"message.text": {"contains": 2}}, ctx("pop 2"))
    assert holds({"params.tags": {"contains": "vip"}}, ctx(tags=["new", "vip"]))
    assert holds({"params.ids": {"contains": "2"}}, ctx(ids=[1, 2]))
    assert not holds({"params.tags": {"contains": "vi"}}, ctx(tags=["vip"]))
    assert holds({"params.obj": {"contains": "k"}}, ctx(obj={"k": None}))
    assert holds({"params.code": {"contains": "23"}}, ctx(code=1234))
    assert not holds({"params.missing": {"contains": "x"}}, ctx())


def test_exists() -> None:
    where_true = {"message.payload.flowId": {"exists": True}}
    where_false = {"message.payload.flowId": {"exists": False}}
    assert holds(where_true, ctx("x", {"flowId": 1}))
    assert not holds(where_true, ctx("x", "not an object"))
    assert not holds(where_true, ctx("x", {"flowId": None}))
    assert holds(where_false, ctx("x", None))
    assert holds({"params.zero": {"exists": True}}, ctx(zero=0))


@pytest.mark.parametrize(
    ("operator", "value", "operand", "expected"),
    [
        ("gt", 5, 3, True),
        ("gt", 3, 3, False),
        ("gte", 3, 3, True),
        ("lt", "2", 10, True),
        ("lt", "10", "9", False),
        ("lte", " 4 ", "4", True),
        ("gt", "abc", 1, False),
        ("gt", None, 1, False),
        ("gt", True, 0, False),
        ("gt", "", -1, False),
        ("gt", "1e3", 999, True),
    ],
)
def test_numeric_operators(operator: str, value: Any, operand: Any, expected: bool) -> None:
    assert holds({"params.v": {operator: operand}}, ctx(v=value)) is expected


def test_regex_is_searched_not_fully_matched() -> None:
    where = {"message.text": {"regex": "뒤|back"}}
    assert holds(where, ctx("뒤로"))
    assert holds(where, ctx("go back please"))
    assert not holds(where, ctx("진행"))
    assert not holds(where, ctx(None))
    assert holds({"params.n": {"regex": "^\\d+$"}}, ctx(n=42))


def test_regex_follows_javascript_syntax() -> None:
    assert holds({"message.text": {"regex": "(?<word>a)\\k<word>"}}, ctx("xaay"))
    assert holds({"message.text": {"regex": "^a[^]c$"}}, ctx("a\nc"))
    assert not holds({"message.text": {"regex": "[]"}}, ctx("anything"))
    # JS `$` is the end of input, not "before a final newline"
    assert not holds({"message.text": {"regex": "a$"}}, ctx("a\n"))
    # JS \d and \w are ASCII only
    assert not holds({"message.text": {"regex": "\\w"}}, ctx("한글"))
    assert not holds({"message.text": {"regex": "\\d"}}, ctx("٣"))
    assert holds({"message.text": {"regex": "a\\/b"}}, ctx("a/b"))
    assert holds({"message.text": {"regex": "[[]"}}, ctx("["))
    assert translate_js_regex("(?<=a)(?<!b)") == "(?<=a)(?<!b)"


def test_and_of_several_keys_and_nested_or() -> None:
    where = {
        "message.text": {"contains": "a"},
        "$or": [{"params.x": {"equals": 1}}, {"params.y": {"exists": True}}],
    }
    condition = compile_where(where)
    assert condition.size == 3
    assert condition.holds(ctx("abc", x=1))
    assert condition.holds(ctx("abc", y="q"))
    assert not condition.holds(ctx("abc"))
    assert not condition.holds(ctx("xyz", x=1))
    nested = compile_where({"$and": [{"$or": [{"params.a": {"exists": True}}]}, {}]})
    assert nested.size == 1 and nested.holds(ctx(a=1)) and not nested.holds(ctx())


def test_template_operands_render_against_the_context() -> None:
    assert holds({"message.text": {"equals": "{{params.answer}}"}}, ctx("42", answer=42))
    assert not holds({"message.text": {"equals": "{{params.answer}}"}}, ctx("41", answer=42))
    assert holds({"params.n": {"gt": "{{params.limit}}"}}, ctx(n=5, limit=3))
    assert holds({"message.text": {"regex": "^{{params.prefix}}"}}, ctx("abc", prefix="ab"))
    assert not holds({"message.text": {"regex": "^{{params.prefix}}"}}, ctx("abc", prefix="b"))


def test_templated_regex_that_renders_invalid_raises_at_evaluation() -> None:
    condition = compile_where({"message.text": {"regex": "{{params.p}}"}})
    with pytest.raises(ConditionError) as info:
        condition.holds(ctx("abc", p="(a"))
    assert info.value.path == 'where["message.text"].regex'


# --- compile errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "path", "substance"),
    [
        ({"message.text": {"regex": "(a"}}, 'where["message.text"].regex', "missing )"),
        ({"message.text": {"regex": "a**"}}, 'where["message.text"].regex', "multiple repeat"),
        ({"message.text": {"regex": 3}}, 'where["message.text"].regex', "pattern string"),
        ({"message.text": {"like": "a"}}, 'where["message.text"].like', "unknown operator 'like'"),
        ({"message.text": {}}, 'where["message.text"]', "exactly one operator, found none"),
        (
            {"message.text": {"equals": "a", "contains": "b"}},
            'where["message.text"]',
            "exactly one operator, found equals, contains",
        ),
        ({"message.text": "a"}, 'where["message.text"]', "one operator object"),
        ({"params.n": {"gt": "many"}}, 'where["params.n"].gt', "gt takes a number"),
        ({"params.n": {"exists": "yes"}}, 'where["params.n"].exists', "true or false"),
        ({"a..b": {"exists": True}}, 'where["a..b"]', "malformed context path"),
        ({"$not": []}, 'where["$not"]', "unknown combinator"),
        ({"$or": []}, 'where["$or"]', "non-empty list"),
        (
            {"$or": [{"message.text": {"regex": "["}}]},
            'where["$or"][0]["message.text"].regex',
            "invalid regular expression",
        ),
        ({"$and": ["x"]}, 'where["$and"][0]', "expected an object"),
    ],
)
def test_compile_errors_name_the_json_path(where: Any, path: str, substance: str) -> None:
    with pytest.raises(ConditionError) as info:
        compile_where(where)
    assert info.value.path == path
    assert substance in info.value.message


def test_where_must_be_an_object() -> None:
    with pytest.raises(ConditionError) as info:
        compile_where(["x"])  # type: ignore[arg-type]
    assert info.value.path == "where"


# --- properties ----------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@given(json_values)
def test_equals_is_reflexive(value: Any) -> None:
    assert loose_equals(value, value)


@given(json_values, json_values)
def test_equals_is_symmetric_and_not_equals_is_its_negation(a: Any, b: Any) -> None:
    assert loose_equals(a, b) == loose_equals(b, a)
    context = {"params": {"v": a}}
    assert holds({"params.v": {"equals": b}}, context) != holds(
        {"params.v": {"notEquals": b}}, context
    )


@given(st.text(), st.text())
def test_contains_on_strings_is_substring(haystack: str, needle: str) -> None:
    assert holds({"params.s": {"contains": needle}}, {"params": {"s": haystack}}) == (
        needle in haystack
    )


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False), st.integers())
def test_numeric_strings_compare_like_numbers(value: float, bound: int) -> None:
    as_number = holds({"params.v": {"gt": bound}}, {"params": {"v": value}})
    as_string = holds({"params.v": {"gt": str(bound)}}, {"params": {"v": repr(value)}})
    assert as_number == as_string == (value > bound)


@given(st.lists(st.sampled_from(["equals", "contains", "exists", "gt"]), min_size=1, max_size=5))
def test_size_counts_leaves(operators: list[str]) -> None:
    operands = {"equals": "x", "contains": "x", "exists": True, "gt": 1}
    leaves = [{f"params.p{i}": {op: operands[op]}} for i, op in enumerate(operators)]
    assert compile_where({"$or": leaves}).size == len(operators)
    merged: dict[str, Any] = {}
    for leaf in leaves:
        merged.update(leaf)
    assert compile_where(merged).size == len(operators)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_literal_regex_of_escaped_text_finds_the_text(text: str) -> None:
    # escaping for JS: every non-alphanumeric char escaped with a backslash is a literal in JS
    pattern = "".join(ch if ch.isalnum() or ch == "_" else "\\" + ch for ch in text)
    condition = compile_where({"params.s": {"regex": pattern}})
    assert condition.holds({"params": {"s": f"<{text}>"}})
