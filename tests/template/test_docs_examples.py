"""The examples issue #2 quotes from the CLOSER template docs, through `flowbot template`.

The guide's pages themselves, example by example, are in test_closer_guide.py;
these are the issue's quotations, with contexts of the same shape, run through
the command line the way a bot builder uses the playground.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app

runner = CliRunner()

DOC_CONTEXT: dict[str, Any] = {
    "params": {"product": "떡볶이", "name": "홍길동"},
    "poets": [
        {"name": "윤동주", "works": ["서시", "별 헤는 밤"]},
        {"name": "김소월", "works": ["진달래꽃"]},
    ],
    "novel": {"title": "소나기", "author": {"name": "황순원"}},
    "memo": "창가 자리",
    "seats": 3,
    "carts": [{"name": "사과", "count": 2}, {"name": "배", "count": 1}],
    "animal": "monkey",
}


def playground(template: str, context: dict[str, Any] = DOC_CONTEXT) -> str:
    result = runner.invoke(app, ["template", template, "--context", json.dumps(context)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\n")
    return result.stdout[:-1]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{JOSA("멍멍이","이")}}', "멍멍이가"),
        ('{{JOSA(params.product,"을")}}', "떡볶이를"),
        ('{{JOSA(product,"을")}}', "떡볶이를"),
        ("{{QUOTE(params.name)}}", '"홍길동"'),
        ('{{QUOTE("말했다 \\"네\\"", "\'")}}', "'말했다 \"네\"'"),
        ('{{ESCAPE("name=홍길동")}}', "name%3D%ED%99%8D%EA%B8%B8%EB%8F%99"),
        ("{{FORMAT(10000)}}", "10,000"),
        ('{{FORMAT("01234.5")}}', "1,234.5"),
        ('{{FORMAT(123.456,"0.00")}}', "123.46"),
        ('{{FORMAT(1230974,"0.0a")}}', "1.2m"),
        ('{{TRUNCATE("가나다라마바사아자차카타파하", 10)}}', "가나다라마바사아자차"),
        ('{{TRUNCATE("가나다라마바사아자차카타파하", 10, "...")}}', "가나다라마바사..."),
        ('{{TRUNCATE("가나다라마바사아자차카타파하", 10, "~")}}', "가나다라마바사아자~"),
        (
            '{{DATE("2018-12-07T05:47:14.667Z","YYYY년 MM월 DD일 HH시 mm분","Asia/Seoul")}}',
            "2018년 12월 07일 14시 47분",
        ),
        (
            "{{poets[0].name}}, {{poets.[1].name}}, {{poets[0].works[1]}}",
            "윤동주, 김소월, 별 헤는 밤",
        ),
        ("{{#with novel}}{{title}} - {{author.name}}{{/with}}", "소나기 - 황순원"),
        ("{{#if memo}}메모: {{memo}}{{else}}메모 없음{{/if}}", "메모: 창가 자리"),
        ("{{#if ($gt seats 0)}}잔여 {{seats}}석{{else}}매진{{/if}}", "잔여 3석"),
        ("{{#each carts}}{{@index}}.{{name}}x{{count}} {{/each}}", "0.사과x2 1.배x1 "),
        (
            '{{#if ($eq animal "monkey")}}바나나{{else if ($eq animal "rabbit")}}당근'
            "{{else}}사과{{/if}}",
            "바나나",
        ),
    ],
)
def test_docs_example_through_the_playground(template: str, expected: str) -> None:
    assert playground(template) == expected


def test_starships_card_expansion_through_the_playground() -> None:
    message = {
        "type": "cards",
        "cards": [
            {
                "title": "{{sandbox.result.data.results[i].name}}",
                "description": "{{sandbox.result.data.results[i].model}}\n"
                "{{sandbox.result.data.results[i].manufacturer}}",
            }
        ],
    }
    ships = [
        {"name": "CR90 corvette", "model": "CR90", "manufacturer": "Corellian"},
        {"name": "Star Destroyer", "model": "Imperial I", "manufacturer": "Kuat"},
        {"name": "Sentinel", "model": "Sentinel-class", "manufacturer": "Sienar"},
    ]
    context = {"sandbox": {"result": {"data": {"results": ships}}}}
    result = runner.invoke(
        app, ["template", "--context", json.dumps(context), "--expand", json.dumps(message)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cards"] == [
        {"title": ship["name"], "description": f"{ship['model']}\n{ship['manufacturer']}"}
        for ship in ships
    ]
