"""CLOSER's template pages, example by example, through the `flowbot template` command.

Pages (in /work/shared/closer-docs/chatbot/advanced/):

- ``template-syntax.md``: the older one-page guide, helpers included;
- ``template-syntax/README.md``: the same guide, its helpers moved to
- ``template-syntax/helper-function.md``.

`EXAMPLES` holds one row per example a page gives: the template, the context
the page gives (or implies, said in the row), and the output it promises. Where
the page's own example has an evident slip (an unclosed parenthesis, swapped
letters, a context that contradicts the text) the row tests the evident intent
and its `note` says what the page wrote. Where the output hangs on the clock or
on chance (DATE without a value, RAND), the row checks what can be checked.

`RULES` holds the statements of those pages that are rules rather than
examples ("a missing value prints nothing", "at most 10 copies"), each with an
example made up for it.

SPEC.md §5 is the contract; where the pages disagree with it (the indented
lines of the Handlebars examples), the rows follow the spec and say so.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.template import compile_template
from flowbot.template.masking import star

from .js_oracle import NodeOracle, open_oracle

runner = CliRunner()

ONE_PAGE = "template-syntax.md"
SYNTAX = "template-syntax/README.md"
HELPERS = "template-syntax/helper-function.md"


# --- what a row expects --------------------------------------------------------------


@dataclass(frozen=True)
class Prints:
    """`flowbot template` prints exactly this (its final newline aside)."""

    text: str


@dataclass(frozen=True)
class Matches:
    """The output has this shape, and `check` (when given) holds for it."""

    pattern: str
    check: Callable[[str, float, float], bool] | None = None  # (output, start, end) in ms


@dataclass(frozen=True)
class OneOf:
    """The output is one of these (RAND): every one of them turns up over the draws."""

    texts: frozenset[str]


@dataclass(frozen=True)
class Fails:
    """The command refuses the template: exit 1 and `line:column: message` on stderr."""

    where: str  # the "line:column" flowbot reports


@dataclass(frozen=True)
class Expands:
    """`flowbot template --expand MESSAGE` prints this JSON value."""

    value: Any


Expect = Prints | Matches | OneOf | Fails | Expands


@dataclass(frozen=True)
class Row:
    page: str
    section: str
    template: str | dict[str, Any] | list[Any]  # JSON: a message, rendered with --expand
    context: dict[str, Any]
    expect: Expect
    note: str = ""
    logged: str | None = None  # MASK: the copy kept in stored logs


# --- shared contexts ------------------------------------------------------------------

POETS_NOVEL = {
    "params": {
        "poets": ["김소월", "유치환", "김수영"],
        "novel": {"author": "김동인", "title": "감자"},
    }
}
PHONE_SEATS = {"params": {"phoneNumber": "010-1234-5678", "seats": 5}}
CARTS = {
    "carts": [
        {"name": "사과", "quantity": 1},
        {"name": "포도", "quantity": 2},
        {"name": "복숭아", "quantity": 4},
        {"name": "망고", "quantity": 4},
    ]
}
STARSHIPS = {
    "fetch": {
        "data": {
            "count": 37,
            "next": "https://swapi.dev/api/starships/?page=2",
            "previous": None,
            "results": [
                {
                    "name": "Executor",
                    "model": "Executor-class star dreadnought",
                    "manufacturer": "Kuat Drive Yards, Fondor Shipyards",
                    "url": "https://swapi.dev/api/starships/15/",
                },
                {"name": "Sentinel-class landing craft"},
            ],
        }
    }
}
MONKEY = {"params": {"monkey": "원숭이", "apple": "사과", "banana": "바나나"}}
NOVEL_PARAMS = {
    "params": {
        "poets": ["김소월", "유치환", "김수영"],
        "novel": {"title": "감자", "author": "김동인"},
    }
}


def _now_iso(output: str, start: float, end: float) -> bool:
    """An ISO date of the current instant, in UTC, with milliseconds."""
    instant = datetime.fromisoformat(output.replace("Z", "+00:00")).timestamp() * 1000
    return start - 1 <= instant <= end + 1


def _today_utc(output: str, start: float, end: float) -> bool:
    days = {datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d") for ms in (start, end)}
    return output in days


ISO_NOW = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", _now_iso)
TODAY = Matches(r"\d{4}-\d\d-\d\d", _today_utc)
CLOCK_NOTE = "the clock's value: checks the ISO shape (UTC, milliseconds) and that it is now"


# --- the rows both versions of the syntax page share ----------------------------------


def _syntax_rows(page: str) -> list[Row]:
    spaced = page == ONE_PAGE  # its operator table writes `{{ #if ($eq a b) }}`
    operator_note = (
        "the page writes `{{ #if ($op a b) }}`, with spaces inside the braces, which "
        "handlebars 4.0.12 itself refuses (see the row after the table); tested as "
        "`{{#if ($op a b)}}`"
        if spaced
        else ""
    )
    operator_note_ctx = "the table gives no context or output: a, b chosen to show JS semantics"

    def op(name: str, args: str, context: dict[str, Any], result: str, why: str) -> Row:
        note = "; ".join(n for n in (operator_note, operator_note_ctx, why) if n)
        return Row(
            page,
            "조건부 표현식 > 논리 연산자",
            f"{{{{#if ({name} {args})}}}}참{{{{else}}}}거짓{{{{/if}}}}",
            context,
            Prints(result),
            note,
        )

    operators = [
        op("$eq", "a b", {"a": 1, "b": "1"}, "거짓", "=== is strict: 1 is not '1'"),
        op("$ne", "a b", {"a": 1, "b": "1"}, "참", "!== is strict"),
        op("$lt", "a b", {"a": 2, "b": 10}, "참", "numbers compare as numbers"),
        op("$lte", "a b", {"a": "2", "b": "10"}, "거짓", "two strings compare as text"),
        op("$gt", "a b", {"a": 10, "b": 2}, "참", ""),
        op("$gte", "a b", {"a": 2, "b": 2}, "참", ""),
        op("$and", "a b c", {"a": 1, "b": "x", "c": 0}, "거짓", "a && b && c: c is 0"),
        op("$or", "a b c", {"a": 0, "b": "", "c": "x"}, "참", "a || b || c: c is 'x'"),
    ]
    if spaced:
        operators.append(
            Row(
                page,
                "조건부 표현식 > 논리 연산자",
                "{{ #if ($eq a b) }}참{{/if}}",
                {"a": 1, "b": 1},
                Fails("1:4"),
                "the table's spelling as written: handlebars 4.0.12 refuses it too "
                "('Expecting ID … got INVALID')",
            )
        )
    cards_message = {
        "type": "cards",
        "cards": [
            {"title": "{{carts[i].name}}", "description": "{{carts[i].quantity}} 개"},
        ],
    }
    rows = [
        Row(
            page,
            "템플릿이란?",
            "안녕하세요 {{name}}님? 좋은 하루 되세요.",
            {"params": {"name": "홍길동"}},
            Prints("안녕하세요 홍길동님? 좋은 하루 되세요."),
            "the page gives no context or output: a `name` parameter is implied",
        ),
        Row(
            page,
            "템플릿 사용 방법 > 컨텍스트 (Context)",
            "{{platform}}에서 오셨군요",
            {"platform": "kakao"},
            Prints("kakao에서 오셨군요"),
        ),
        Row(
            page,
            "템플릿 사용 방법 > 컨텍스트 (Context)",
            "{{params.name}}",
            {"params": {"name": "홍길동"}},
            Prints("홍길동"),
            "the long form of a parameter; the value is made up",
        ),
        Row(
            page,
            "템플릿 사용 방법 > 컨텍스트 (Context)",
            "{{name}}",
            {"params": {"name": "홍길동"}},
            Prints("홍길동"),
            "the short form: the same value as {{params.name}}",
        ),
        Row(
            page,
            "템플릿 사용 방법 > 컨텍스트 (Context) (warning)",
            "{{platform}} / {{params.platform}}",
            {"platform": "kakao", "params": {"platform": "web"}},
            Prints("kakao / web"),
            "a parameter named like a context key: the context's value wins, "
            "{{params.platform}} reaches the parameter",
        ),
        Row(
            page,
            "경로 접근식 (Path Expression)",
            "{{poets[0]}}과 {{poets[1]}}과 {{novel.author}}",
            POETS_NOVEL,
            Prints("김소월과 유치환과 김동인"),
        ),
        Row(
            page,
            "경로 접근식 (Path Expression) (hint)",
            "{{poets[2]}} {{poets.[2]}}",
            POETS_NOVEL,
            Prints("김수영 김수영"),
            "the hint's two spellings, `path.to.array[i]` and `path.to.array.[i]`",
        ),
        Row(
            page,
            "조건부 표현식 (Conditional Expression)",
            "인원수 {{seats}}, 요청사항 {{memo}}, 전화번호 {{phoneNumber}}\n"
            "입력하신 정보가 맞으신가요?",
            PHONE_SEATS,
            Prints("인원수 5, 요청사항 , 전화번호 010-1234-5678\n입력하신 정보가 맞으신가요?"),
            "the page's output reads '인원수 5명', a 명 the template does not print",
        ),
        Row(
            page,
            "조건부 표현식 (Conditional Expression)",
            "인원수 {{seats}}, {{#if memo}}요청사항 {{memo}}, {{/if}}전화번호 {{phoneNumber}}\n"
            "입력하신 정보가 맞으신가요?",
            PHONE_SEATS,
            Prints("인원수 5, 전화번호 010-1234-5678\n입력하신 정보가 맞으신가요?"),
            "the page's template lacks the second line its output shows (added), and its "
            "output reads '5명' (no 명 in the template)",
        ),
        Row(
            page,
            "조건부 표현식 (Conditional Expression)",
            "인원수 {{seats}}, {{#if memo}}요청사항 {{memo}}, {{/if}}전화번호 {{phoneNumber}}",
            {"params": {**PHONE_SEATS["params"], "memo": "창가 자리"}},
            Prints("인원수 5, 요청사항 창가 자리, 전화번호 010-1234-5678"),
            "implied: the page shows only the case without a memo",
        ),
        *operators,
        Row(
            page,
            "반복자 표현식 > 배열 접근 반복자 표현식",
            "장바구니 목록입니다.\n\n{{#each carts}}\n  {{name}} {{quantity}} 개\n{{/each}}\n\n"
            "결제를 진행하시겠습니까?",
            CARTS,
            Prints(
                "장바구니 목록입니다.\n\n  사과 1 개\n  포도 2 개\n  복숭아 4 개\n  망고 4 개\n\n"
                "결제를 진행하시겠습니까?"
            ),
            "the page's output reads '사과 1개' … '망고 4', without the line's two-space "
            "indent, the space before 개, and the last 개; Handlebars (SPEC §5) keeps the "
            "line as the template writes it, the standalone {{#each}}/{{/each}} lines vanish",
        ),
        Row(
            page,
            "반복자 표현식 > 배열 확장 반복자 표현식 (CLOSER 한정)",
            cards_message,
            CARTS,
            Expands(
                {
                    "type": "cards",
                    "cards": [
                        {"title": "사과", "description": "1 개"},
                        {"title": "포도", "description": "2 개"},
                        {"title": "복숭아", "description": "4 개"},
                        {"title": "망고", "description": "4 개"},
                    ],
                }
            ),
            "the page's template reads `{{carts[i].description}} 개`, a field the carts do "
            "not have, while its output shows the quantities (tested with quantity; the "
            "next row runs the template as written); its output also has slips ('사과'', "
            "'복숭', '1 ', '4 ')",
        ),
        Row(
            page,
            "반복자 표현식 > 배열 확장 반복자 표현식 (CLOSER 한정)",
            {
                "type": "cards",
                "cards": [
                    {"title": "{{carts[i].name}}", "description": "{{carts[i].description}} 개"}
                ],
            },
            CARTS,
            Expands(
                {
                    "type": "cards",
                    "cards": [
                        {"title": name, "description": " 개"}
                        for name in ("사과", "포도", "복숭아", "망고")
                    ],
                }
            ),
            "the template exactly as the page writes it: the missing description prints nothing",
        ),
        Row(
            page,
            "템플릿 오류",
            "{{#if}}if를 닫지 않음",
            {},
            Fails("1:17"),
            "the page shows handlebars' 'Parse error on line 1 … got EOF'; flowbot reports "
            "line:column and the block left open",
        ),
    ]
    mistakes = "템플릿 오류 > 자주 실수하는 표현"
    name = {"params": {"name": "홍길동"}}
    rows += [
        Row(
            page, mistakes + " 1", "{{name}}", name, Prints("홍길동"), "`{{ ... }}` ✅, with a name"
        ),
        Row(page, mistakes + " 1", "{{name}}}", name, Fails("1:7"), "`{{ ... }}}` ❌"),
        Row(page, mistakes + " 1", "{{{name}}", name, Fails("1:8"), "`{{{ ... }}` ❌"),
        Row(page, mistakes + " 1", "{{name}", name, Fails("1:7"), "`{{ ... }` ❌"),
        Row(
            page,
            mistakes + " 2",
            "{{path.to.property}}",
            {"path": {"to": {"property": "값"}}},
            Prints("값"),
            "✅",
        ),
        Row(
            page,
            mistakes + " 2",
            "{{path,to,property}}",
            {"path": {"to": {"property": "값"}}},
            Fails("1:7"),
            "❌",
        ),
        Row(
            page,
            mistakes + " 3",
            "{{#if ok}}...{{/if}}",
            {"ok": True},
            Prints("..."),
            "✅; the page leaves the condition out (`{{#if}}`), which handlebars refuses when "
            "it renders and flowbot when it compiles ('#if takes exactly one argument')",
        ),
        Row(page, mistakes + " 3", "{{if}}...{{/if}}", {"if": 1}, Fails("1:10"), "❌"),
        Row(page, mistakes + " 3", "{{#if ok}}...{{if}}", {"ok": 1}, Fails("1:20"), "❌"),
        Row(
            page,
            mistakes + " 4",
            '{ "string": "{{params.string}}", "number": {{params.number}} }',
            {"params": {"string": "글", "number": 3}},
            Prints('{ "string": "글", "number": 3 }'),
            "✅ (values made up)",
        ),
        Row(
            page,
            mistakes + " 4",
            '{ "string": "{{params.string}}", "number": {{params.number}}}',
            {"params": {"string": "글", "number": 3}},
            Fails("1:59"),
            "❌: `}}}` closes a triple-stash",
        ),
        Row(
            page,
            "실제 사용 예제 > 스타워즈 우주선 목록",
            {
                "type": "cards",
                "cards": [
                    {
                        "title": "{{fetch.data.results[i].name}}",
                        "description": "{{fetch.data.results[i].description}}",
                    }
                ],
            },
            STARSHIPS,
            Expands(
                {
                    "type": "cards",
                    "cards": [
                        {"title": "Executor", "description": ""},
                        {"title": "Sentinel-class landing craft", "description": ""},
                    ],
                }
            ),
            "the page shows the result as a picture: one card per ship; the ships have no "
            "`description`, so it prints nothing (the context is cut to its two ships)",
        ),
        Row(
            page,
            "실제 사용 예제 > Handlebars 템플릿 예제 > if-else, unless 구문",
            "{{#if monkey}}원숭이 엉덩이는 빨개{{/if}}\n{{#if red}}빨간 건 사과{{/if}}\n"
            "{{#if apple}}\n  {{apple}}는 맛있어\n{{else}}\n  맛있으면 {{banana}}\n{{/if}}\n"
            "{{banana}}는 길어",
            MONKEY,
            Prints("원숭이 엉덩이는 빨개\n\n  사과는 맛있어\n바나나는 길어"),
            "the page's output drops the two-space indent of '사과는 맛있어'; Handlebars "
            "(SPEC §5) keeps it",
        ),
        Row(
            page,
            "실제 사용 예제 > Handlebars 템플릿 예제 > each, with 구문",
            "{{#with novel}}\n  {{author}}은 <{{title}}>를 썼다.\n{{/with}}",
            NOVEL_PARAMS,
            Prints("  김동인은 <감자>를 썼다.\n"),
            "the page's output drops the two-space indent and the final line break the "
            "template's middle line has; Handlebars (SPEC §5) keeps both",
        ),
    ]
    return rows


# --- the helpers, on the one-page guide and on the helper page ------------------------


def _helper_rows() -> list[Row]:
    one = ONE_PAGE
    h = "도우미 함수 (Helper Functions) > "
    rows = [
        Row(one, h + "DATE", "{{DATE()}}", {}, ISO_NOW, CLOCK_NOTE),
        Row(one, h + "DATE", "{{DATE(null)}}", {}, ISO_NOW, CLOCK_NOTE),
        Row(one, h + "DATE", '{{DATE("2018-12-07","YYYY.MM")}}', {}, Prints("2018.12")),
        Row(
            one,
            h + "DATE",
            '{{DATE("2018-12-07T05:47:14.667Z", "YYYY년 MM월 DD일 HH시 mm분", "Asia/Seoul")}}',
            {},
            Prints("2018년 12월 07일 14시 47분"),
        ),
        Row(
            one,
            h + "DATE (hint)",
            '{{DATE(null, "YYYY-MM-DD")}}',
            {},
            TODAY,
            "today's date (UTC): checks the shape and that it is today",
        ),
        Row(
            one,
            h + "RAND([from, to])",
            "{{RAND(1,10)}}",
            {},
            OneOf(frozenset(str(n) for n in range(1, 11))),
            "random: any integer from 1 to 10, each of which turns up",
        ),
        Row(
            one,
            h + "RAND([...items])",
            '{{RAND("철수", "영희")}}',
            {},
            OneOf(frozenset({"철수", "영희"})),
            'the page writes `RAND("철수", "영희"` without its closing parenthesis; random: '
            "either name",
        ),
        Row(one, h + "JOSA", '{{JOSA("멍멍이","이")}}', {}, Prints("멍멍이가")),
        Row(
            one,
            h + "JOSA",
            '{{JOSA(params.product, "을")}}',
            {"params": {"product": "떡볶이"}},
            Prints("떡볶이를"),
            'the page writes `JOSA(params.product, "을"` without its closing parenthesis, '
            'and its context `{ "product": "떡볶이" }` means the parameters',
        ),
        Row(one, h + "FORMAT", "{{FORMAT(10000)}}", {}, Prints("10,000")),
        Row(one, h + "FORMAT", '{{FORMAT("01234.5")}}', {}, Prints("1,234.5")),
        Row(one, h + "FORMAT", '{{FORMAT("안녕하세요")}}', {}, Prints("안녕하세요")),
        Row(one, h + "FORMAT", '{{FORMAT(1230974, "0.0a")}}', {}, Prints("1.2m")),
    ]
    p = HELPERS
    rows += [
        Row(
            p,
            "숫자 (Number) > RAND(from, to)",
            "{{RAND(1,10)}}",
            {},
            OneOf(frozenset(str(n) for n in range(1, 11))),
            "random: any integer from 1 to 10, each of which turns up",
        ),
        Row(
            p,
            "문자열 (String) > RAND(...items)",
            '{{RAND("철수", "영희")}}',
            {},
            OneOf(frozenset({"철수", "영희"})),
            'the page writes `RAND("철수", "영희"` without its closing parenthesis; random: '
            "either name",
        ),
        Row(p, "문자열 (String) > JOSA", '{{JOSA("멍멍이","이")}}', {}, Prints("멍멍이가")),
        Row(
            p,
            "문자열 (String) > JOSA",
            '{{JOSA(params.product, "을")}}',
            {"params": {"product": "떡볶이"}},
            Prints("떡볶이를"),
            'the page writes `JOSA(params.product, "을"` without its closing parenthesis, '
            'and its context `{ "product": "떡볶이" }` means the parameters',
        ),
        Row(
            p,
            "문자열 (String) > QUOTE",
            "{{QUOTE(params.input, '\"')}}",
            {"params": {"input": '안녕하세요? 저는 "개똥이" 입니다.'}},
            Prints('"안녕하세요? 저는 \\"개똥이\\" 입니다."'),
        ),
        Row(
            p,
            "문자열 (String) > ESCAPE",
            '{{ESCAPE("name=홍길동")}}',
            {},
            Prints("name%3D%ED%99%8D%EA%B8%B8%EB%8F%99"),
            "the page shows the output in double quotes; encodeURIComponent adds none",
        ),
        Row(p, "문자열 (String) > FORMAT", "{{FORMAT(10000)}}", {}, Prints("10,000")),
        Row(p, "문자열 (String) > FORMAT", '{{FORMAT("01234.5")}}', {}, Prints("1,234.5")),
        Row(p, "문자열 (String) > FORMAT", '{{FORMAT("안녕하세요")}}', {}, Prints("안녕하세요")),
        Row(p, "문자열 (String) > FORMAT", '{{FORMAT(123.456, "0.00")}}', {}, Prints("123.46")),
        Row(p, "문자열 (String) > FORMAT", '{{FORMAT(1230974, "0.0a")}}', {}, Prints("1.2m")),
        Row(
            p,
            "문자열 (String) > TRUNCATE",
            '{{TRUNCATE("ABCDEFGHIJKLMNOP", 10)}}',
            {},
            Prints("ABCDEFGHIJ"),
            'the page writes `TRUNCATE("ABCDEFGHIJKLMNOP", 10}}` without its closing '
            "parenthesis and expects 'ABCEDFGHIJ', E and D swapped",
        ),
        Row(
            p,
            "문자열 (String) > TRUNCATE",
            '{{TRUNCATE("ABCDEFGHIJKLMNOP", 10, "...")}}',
            {},
            Prints("ABCDEFG..."),
            "the page leaves the parenthesis open and expects 'ABCEDFG...', E and D swapped; "
            "the omission counts inside the length",
        ),
        Row(p, "날짜 (Date) > DATE", "{{DATE()}}", {}, ISO_NOW, CLOCK_NOTE),
        Row(p, "날짜 (Date) > DATE", "{{DATE(null)}}", {}, ISO_NOW, CLOCK_NOTE),
        Row(p, "날짜 (Date) > DATE", '{{DATE("2018-12-07","YYYY.MM")}}', {}, Prints("2018.12")),
        Row(
            p,
            "날짜 (Date) > DATE",
            '{{DATE("2018-12-07T05:47:14.667Z", "YYYY년 MM월 DD일 HH시 mm분", "Asia/Seoul")}}',
            {},
            Prints("2018년 12월 07일 14시 47분"),
        ),
        Row(
            p,
            "날짜 (Date) > DATE (hint)",
            '{{DATE(null, "YYYY-MM-DD")}}',
            {},
            TODAY,
            "today's date (UTC): checks the shape and that it is today",
        ),
        Row(
            p,
            "메시지 관련 (Message) > MASK",
            '안녕하세요 {{MASK("김철수")}} 고객님?',
            {},
            Prints("안녕하세요 김철수 고객님?"),
            "the user sees the name; the page's '\"안녕하세요 *** 고객님\"' is the stored "
            "copy (quoted, and without the template's '?')",
            logged="안녕하세요 *** 고객님?",
        ),
        Row(
            p,
            "메시지 관련 (Message) > MASK",
            '주문번호 {{MASK(orderNo, "6h")}}에 대한 답변입니다.',
            {"params": {"orderNo": 1234}},
            Prints("주문번호 1234에 대한 답변입니다."),
            "the page masks the stored copy after 6 hours; flowbot stars it at once "
            "(docs/decisions.md: stricter, never leaks)",
            logged="주문번호 ****에 대한 답변입니다.",
        ),
    ]
    return rows


EXAMPLES: list[Row] = [*_syntax_rows(ONE_PAGE), *_syntax_rows(SYNTAX), *_helper_rows()]


# --- rules the pages state without an example of their own ----------------------------


def _many(n: int) -> dict[str, Any]:
    return {"items": [{"name": f"n{k}"} for k in range(n)]}


def _labels(n: int, first: int = 0) -> list[dict[str, str]]:
    return [{"label": f"n{k}"} for k in range(first, first + n)]


EXPANSION = "반복자 표현식 > 배열 확장 반복자 표현식 (CLOSER 한정)"

RULES: list[Row] = [
    Row(
        SYNTAX,
        "조건부 표현식 (hint)",
        "{{#unless memo}}요청사항 없음{{/unless}}",
        PHONE_SEATS,
        Prints("요청사항 없음"),
        "`if`, `with` and `unless` are the conditional helpers; no example uses unless",
    ),
    Row(
        SYNTAX,
        EXPANSION,
        [{"label": "{{items[i].name}}"}],
        _many(12),
        Expands(_labels(10)),
        "`arr[i]`: one copy per element, at most 10",
    ),
    Row(
        SYNTAX,
        EXPANSION,
        [{"label": "{{items[0..5].name}}"}],
        _many(8),
        Expands(_labels(6)),
        "`arr[0..5]`: indices 0 through 5",
    ),
    Row(
        SYNTAX,
        EXPANSION,
        [{"label": "{{items[0..5].name}}"}],
        _many(4),
        Expands(_labels(4)),
        "`arr[0..5]` over fewer elements: the missing ones are ignored",
    ),
    Row(
        SYNTAX,
        EXPANSION,
        [{"label": "{{items[0..11].name}}"}],
        _many(15),
        Expands(_labels(12)),
        "past 10 copies, the page says to use a range: a range has no cap of 10",
    ),
    Row(
        SYNTAX,
        "실제 사용 예제 > 스타워즈 우주선 목록 (hint)",
        {
            "type": "text",
            "text": "과일을 고르세요",
            "buttons": [{"type": "postback", "label": "{{carts[i].name}}"}],
        },
        CARTS,
        Expands(
            {
                "type": "text",
                "text": "과일을 고르세요",
                "buttons": [
                    {"type": "postback", "label": name}
                    for name in ("사과", "포도", "복숭아", "망고")
                ],
            }
        ),
        "array expansion works on message buttons and quick replies too (README only)",
    ),
    Row(
        HELPERS,
        "숫자 (Number) > RAND(from, to)",
        "{{RAND(1.5, 2)}}",
        {},
        OneOf(frozenset({"1.5", "2"})),
        "a number between only when both are integers; otherwise one of the two",
    ),
    Row(
        HELPERS,
        "문자열 (String) > JOSA",
        '{{JOSA("책","는")}} {{JOSA("사과","은")}} {{JOSA("책","가")}} {{JOSA("사과","이")}} '
        '{{JOSA("책","를")}} {{JOSA("사과","을")}}',
        {},
        Prints("책은 사과는 책이 사과가 책을 사과를"),
        "either letter of 은/는, 이/가, 을/를 names the pair",
    ),
    Row(
        HELPERS,
        "문자열 (String) > QUOTE",
        "{{QUOTE(params.input)}}",
        {"params": {"input": '저는 "개똥이"'}},
        Prints('"저는 \\"개똥이\\""'),
        'the quote defaults to `"`',
    ),
    Row(
        HELPERS,
        "문자열 (String) > QUOTE",
        '{{QUOTE(params.input, "\'")}}',
        {"params": {"input": "it's"}},
        Prints("'it\\'s'"),
        "with `'`, a `'` inside becomes `\\'`",
    ),
    Row(
        HELPERS,
        "문자열 (String) > FORMAT",
        '{{FORMAT(1234567.891)}} {{FORMAT(0.0625)}} {{FORMAT(-1234.5678)}} {{FORMAT("1e3")}}',
        {},
        Prints("1,234,567.891 0.063 -1,234.568 1,000"),
        "no option: JS toLocaleString() (en-US and ko-KR alike: commas, at most three "
        "decimals, halves away from zero); a number string is read as JS Number() reads it",
    ),
    Row(
        HELPERS,
        "문자열 (String) > FORMAT",
        '{{FORMAT("만원", "0,0")}}|{{FORMAT(missing)}}|{{FORMAT("12,000", "0,0")}}',
        {},
        Prints("만원||12,000"),
        "a plain string comes back unchanged, option or not (so does '12,000', which JS "
        "Number() does not read); a missing value prints nothing",
    ),
    Row(
        HELPERS,
        "문자열 (String) > TRUNCATE",
        '{{TRUNCATE("가나다라마바사아자차카타파하", 5)}}|{{TRUNCATE("짧은 글", 10)}}',
        {},
        Prints("가나다라마|짧은 글"),
        "the omission defaults to ''; a text within the length stays whole",
    ),
    Row(
        HELPERS,
        "날짜 (Date) > DATE",
        '{{DATE(1544161634667, "YYYY-MM-DD HH:mm", "Asia/Seoul")}}',
        {},
        Prints("2018-12-07 14:47"),
        "`value` may be a UNIX timestamp: read in milliseconds, as moment(number) reads it",
    ),
    Row(
        HELPERS,
        "날짜 (Date) > DATE",
        '{{DATE("2018-12-07T05:47:14.667Z", null, "Asia/Seoul")}}',
        {},
        Prints("2018-12-07T14:47:14.667+09:00"),
        "no format but a zone: the ISO form, with milliseconds, in that zone "
        "(the page shows no such example)",
    ),
]


# --- running a row ---------------------------------------------------------------------


def _invoke(row: Row) -> tuple[int, str, str]:
    context = json.dumps(row.context, ensure_ascii=False)
    if isinstance(row.template, str):
        args = ["template", row.template, "--context", context]
    else:
        args = ["template", "--context", context, "--expand", json.dumps(row.template)]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def _ids(rows: list[Row]) -> list[str]:
    """`page:n`, n counting the page's rows from 1 (pytest would escape the Korean headings)."""
    counts: dict[str, int] = {}
    ids = []
    for row in rows:
        counts[row.page] = counts.get(row.page, 0) + 1
        ids.append(f"{row.page}:{counts[row.page]}")
    return ids


def check_row(row: Row) -> None:
    expect = row.expect
    if isinstance(expect, OneOf):
        seen = set()
        for _ in range(200):
            code, out, err = _invoke(row)
            assert code == 0, err
            seen.add(out.removesuffix("\n"))
            if seen == expect.texts:
                break
        assert seen == expect.texts, row.note
        return
    start = time.time() * 1000
    code, out, err = _invoke(row)
    end = time.time() * 1000
    if isinstance(expect, Fails):
        assert code == 1, (out, row.note)
        assert err.startswith(expect.where + ":"), (err, row.note)
        return
    assert code == 0, (err, row.note)
    assert out.endswith("\n")
    output = out[:-1]
    if isinstance(expect, Prints):
        assert output == expect.text, row.note
    elif isinstance(expect, Matches):
        assert re.fullmatch(expect.pattern, output), (output, row.note)
        assert expect.check is None or expect.check(output, start, end), (output, row.note)
    else:
        assert json.loads(output) == expect.value, row.note
    if row.logged is not None:
        assert isinstance(row.template, str)
        assert star(compile_template(row.template).render(row.context)) == row.logged


@pytest.mark.parametrize("row", EXAMPLES, ids=_ids(EXAMPLES))
def test_guide_example(row: Row) -> None:
    check_row(row)


@pytest.mark.parametrize("row", RULES, ids=_ids(RULES))
def test_guide_rule(row: Row) -> None:
    check_row(row)


def test_every_page_has_rows() -> None:
    pages = {row.page for row in EXAMPLES}
    assert pages == {ONE_PAGE, SYNTAX, HELPERS}
    assert all(row.note for row in EXAMPLES if isinstance(row.expect, Matches | OneOf))


# --- the same rows under handlebars.js 4.0.12 -----------------------------------------

# What only CLOSER's dialect reads: `a[0]`/`a[i]` paths and NAME(...) helper calls.
_CLOSER_ONLY = re.compile(r"[\w\]]\[|[A-Z]+\(")


def _plain_handlebars(row: Row) -> bool:
    return isinstance(row.template, str) and not _CLOSER_ONLY.search(row.template)


@pytest.fixture(scope="module")
def handlebars() -> Iterator[NodeOracle]:
    oracle = open_oracle("render_handlebars.js", "handlebars")
    yield oracle
    oracle.close()


HANDLEBARS_ROWS = [row for row in EXAMPLES + RULES if _plain_handlebars(row)]


@pytest.mark.node
@pytest.mark.parametrize("row", HANDLEBARS_ROWS, ids=_ids(HANDLEBARS_ROWS))
def test_handlebars_agrees(handlebars: NodeOracle, row: Row) -> None:
    """The plain-Handlebars rows print (or fail) the same in handlebars.js 4.0.12.

    So the indents the pages' outputs leave out are Handlebars' own. CLOSER's
    fallback to `params` is given to handlebars.js by spreading the parameters
    underneath the context.
    """
    context = {**row.context.get("params", {}), **row.context}
    reply = handlebars.exchange({"template": row.template, "context": context})
    if isinstance(row.expect, Fails):
        assert "error" in reply, reply
    else:
        assert isinstance(row.expect, Prints)
        assert reply == {"output": row.expect.text}
