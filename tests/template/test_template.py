"""compile_template / Template.render: the CLOSER template guide's cases and Handlebars semantics.

The guide's own text was not available offline; the cases below are written to
the same shape (poets/novel paths, memo/seats conditions, carts #each, the
monkey/apple/banana chain, #with novel) with contexts of our own.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.template import (
    TemplateRenderError,
    TemplateSyntaxError,
    compile_template,
)


def render(source: str, context: dict[str, Any]) -> str:
    return compile_template(source).render(context)


LIBRARY: dict[str, Any] = {
    "poets": [
        {"name": "윤동주", "works": ["서시", "별 헤는 밤"]},
        {"name": "김소월", "works": ["진달래꽃"]},
    ],
    "novel": {"title": "소나기", "author": {"name": "황순원", "born": 1915}},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{poets[0].name}}", "윤동주"),
        ("{{poets.[1].name}}", "김소월"),
        ("{{poets[0].works[1]}}", "별 헤는 밤"),
        ("{{poets.[0].works.[0]}}", "서시"),
        ("{{novel.author.name}} ({{novel.author.born}})", "황순원 (1915)"),
        ("{{novel.translator.name}}", ""),
        ("{{poets[5].name}}", ""),
        ("{{poets.length}}명", "2명"),
        ("{{poets[0].works}}", "서시,별 헤는 밤"),
        ("{{novel}}", "[object Object]"),
    ],
)
def test_paths_in_js_and_handlebars_style(source: str, expected: str) -> None:
    assert render(source, LIBRARY) == expected


def test_with_novel_changes_the_context_and_else_covers_missing() -> None:
    source = "{{#with novel}}{{title}} - {{author.name}}{{else}}없음{{/with}}"
    assert render(source, LIBRARY) == "소나기 - 황순원"
    assert render(source, {}) == "없음"
    assert (
        render("{{#with novel}}{{#with author}}{{../title}}{{/with}}{{/with}}", LIBRARY) == "소나기"
    )


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"memo": "창가 자리", "seats": 3}, "메모: 창가 자리\n잔여 좌석 3석\n"),
        ({"memo": "", "seats": 0}, "메모 없음\n매진\n"),
        ({"seats": "2"}, "메모 없음\n잔여 좌석 2석\n"),
    ],
)
def test_memo_and_seats_conditions(context: dict[str, Any], expected: str) -> None:
    source = (
        "{{#if memo}}\n메모: {{memo}}\n{{else}}\n메모 없음\n{{/if}}\n"
        "{{#if ($gt seats 0)}}\n잔여 좌석 {{seats}}석\n{{else}}\n매진\n{{/if}}\n"
    )
    assert render(source, context) == expected


def test_carts_each_with_index_and_else() -> None:
    source = (
        "{{#each carts}}\n{{@index}}. {{name}} x{{count}}{{#if @last}} (끝){{/if}}\n"
        "{{else}}\n장바구니가 비었습니다\n{{/each}}\n"
    )
    carts = [{"name": "사과", "count": 2}, {"name": "배", "count": 1}]
    assert render(source, {"carts": carts}) == "0. 사과 x2\n1. 배 x1 (끝)\n"
    assert render(source, {"carts": []}) == "장바구니가 비었습니다\n"


def test_each_over_an_object_gives_keys_in_js_order() -> None:
    source = "{{#each stock}}{{@key}}={{this}}{{#unless @last}}, {{/unless}}{{/each}}"
    assert render(source, {"stock": {"apple": 3, "2": "b", "banana": 0, "1": "a"}}) == (
        "1=a, 2=b, apple=3, banana=0"
    )


@pytest.mark.parametrize(
    ("animal", "expected"),
    [("monkey", "바나나"), ("rabbit", "당근"), ("cat", "사과")],
)
def test_monkey_apple_banana_chain(animal: str, expected: str) -> None:
    source = (
        '{{#if ($eq animal "monkey")}}바나나{{else if ($eq animal "rabbit")}}당근'
        "{{else}}사과{{/if}}"
    )
    assert render(source, {"animal": animal}) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "no"), ("", "no"), ([], "no"), ({}, "yes"), ("0", "yes"), (None, "no"), (-1, "yes")],
)
def test_if_uses_handlebars_truthiness(value: Any, shown: str) -> None:
    assert render("{{#if v}}yes{{else}}no{{/if}}", {"v": value}) == shown
    assert render("{{#unless v}}no{{else}}yes{{/unless}}", {"v": value}) == shown


def test_include_zero_option() -> None:
    assert render("{{#if v includeZero=true}}yes{{else}}no{{/if}}", {"v": 0}) == "yes"


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (True, "true"),
        (False, "false"),
        (1.0, "1"),
        (0.5, "0.5"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (123456789012345680000, "123456789012345680000"),
        (2**64, "18446744073709552000"),
        ([1, [2, None], "x"], "1,2,,x"),
        ({"a": 1}, "[object Object]"),
        (None, ""),
        ("text", "text"),
    ],
)
def test_values_print_like_js_string(value: Any, printed: str) -> None:
    assert render("{{v}}", {"v": value}) == printed
    assert render("{{{v}}}", {"v": value}) == printed


def test_no_html_escaping() -> None:
    assert render("{{v}}|{{{v}}}", {"v": "<b>&'\"</b>"}) == "<b>&'\"</b>|<b>&'\"</b>"


def test_top_level_names_fall_back_to_params() -> None:
    context = {"params": {"name": "Kim", "platform": "param"}, "platform": "kakao"}
    assert render("{{name}} {{params.name}}", context) == "Kim Kim"
    assert render("{{platform}}", context) == "kakao"
    assert render("{{#each items}}{{name}}{{/each}}", {**context, "items": [{}]}) == ""


def test_data_variables_and_parent_scope() -> None:
    source = (
        "{{#each rows}}{{#each this}}{{@../index}}.{{@index}}={{this}}"
        "{{#if @first}}*{{/if}} {{/each}}{{/each}}{{@root.title}}"
    )
    context = {"rows": [["a", "b"], ["c"]], "title": "T"}
    assert render(source, context) == "0.0=a* 0.1=b 1.0=c* T"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{{$eq 1 "1"}} {{$eq 1 1.0}} {{$ne null undefined}}', "false true true"),
        (
            '{{$lt "10" 9}} {{$lt "10" "9"}} {{$gte null 0}} {{$lt undefined 1}}',
            "false true true false",
        ),
        ('{{$and 1 "" 2}}|{{$or 0 "" "x"}}|{{$or 0 null}}', "|x|"),
        ("{{#if ($and ($gt n 1) ($lt n 10))}}mid{{/if}}", "mid"),
        ("{{#unless ($eq n 5)}}not five{{/unless}}", "not five"),
        ("{{($or missing n)}}", "3"),
    ],
)
def test_sub_expressions_follow_javascript(source: str, expected: str) -> None:
    assert render(source, {"n": 3}) == expected


def test_function_style_helper_calls() -> None:
    context = {"params": {"product": "사과", "price": 10000}}
    assert render('{{JOSA(params.product,"을")}} 샀어요', context) == "사과를 샀어요"
    assert render("{{FORMAT(10000)}}원 / {{FORMAT(params.price)}}", context) == "10,000원 / 10,000"
    assert render('{{JOSA(TRUNCATE(params.product, 1, ""), "이")}}', context) == "사가"
    date = render(
        '{{DATE("2018-12-07T05:47:14.667Z","YYYY년 MM월 DD일 HH시 mm분","Asia/Seoul")}}', {}
    )
    assert date == "2018년 12월 07일 14시 47분"
    assert render("{{RAND(1,10)}}", {}) in {str(n) for n in range(1, 11)}


def test_injected_helpers_replace_the_table() -> None:
    template = compile_template("{{SHOUT(word)}}", helpers={"SHOUT": lambda s: f"{s}!"})
    assert template.render({"word": "hi"}) == "hi!"


def test_failing_helper_is_a_render_error() -> None:
    def broken(*_: Any) -> Any:
        raise ValueError("boom")

    with pytest.raises(TemplateRenderError, match="BROKEN: boom"):
        compile_template("{{BROKEN(1)}}", helpers={"BROKEN": broken}).render({})


def test_comments_and_standalone_lines() -> None:
    source = "목록:\n  {{! 주석 }}\n  {{#each xs}}\n  - {{this}}\n  {{/each}}\n{{!-- {{xs}} --}}끝"
    assert render(source, {"xs": [1, 2]}) == "목록:\n  - 1\n  - 2\n끝"


def test_whitespace_control() -> None:
    assert render("a  {{~x~}}  b", {"x": 1}) == "a1b"
    assert render("{{#if x~}}\n  yes  \n{{~/if}}", {"x": 1}) == "yes"


def test_escaped_mustache_is_text() -> None:
    assert render("\\{{x}} {{x}}", {"x": 1}) == "{{x}} 1"


def test_template_source_and_static_flag() -> None:
    assert compile_template("plain text").is_static
    assert compile_template("{{! only a comment }}text").is_static
    template = compile_template("hi {{x}}")
    assert not template.is_static
    assert template.source == "hi {{x}}"


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("{{#if a}}x", 1, 11, "to close the block"),
        ("hello\n  {{#if a}}x{{/each}}", 2, 13, "if doesn't match each"),
        ("{{a.this}}", 1, 5, "invalid path"),
        ("x\n\n {{ NOPE(1) }}", 3, 5, "unknown helper 'NOPE'"),
        ("{{foo bar}}", 1, 3, "unknown helper 'foo'"),
        ("{{$eq a}}", 1, 3, "$eq takes 2 arguments"),
        ("{{else}}", 1, 1, "'else' outside of a block"),
        ("{{/if}}", 1, 1, "closing tag without an opening block"),
        ("{{> partial}}", 1, 1, "partials"),
        ("{{!-- open", 1, 1, "unclosed comment"),
        ('{{JOSA(a "이")}}', 1, 10, "',' or ')'"),
        ("{{#each}}{{/each}}", 1, 4, "#each takes exactly one argument"),
        ("{{if a}}", 1, 3, "block helper"),
    ],
)
def test_syntax_errors_have_line_and_column(
    source: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(source)
    error = caught.value
    assert (error.line, error.column) == (line, column), error
    assert message in error.message
    assert str(error).startswith(f"{line}:{column}: ")


def test_adjacent_numbers_add_up_like_handlebars_js() -> None:
    # handlebars.js joins raw values with JS `+`: CLOSER printed 3 here, not "12".
    assert render("{{a}}{{b}}", {"a": 1, "b": 2}) == "3"
    assert render("x{{a}}{{b}}", {"a": 1, "b": 2}) == "x12"
    assert render("{{#each xs}}{{@index}}{{this}}{{/each}}", {"xs": [1, "x"]}) == "11x"
