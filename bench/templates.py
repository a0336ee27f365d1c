"""Template rendering speed and bot load time; prints its figures.

(a) renders per second of a 20-placeholder template with two `#if` and one
    `#each` over 10 items (target: ≥ 50,000/s);
(b) load + validate (+ engine compile when `flowbot.engine.load_program`
    exists) of a generated bot of 1,000 flows × 10 nodes, from CLOSER-shaped
    JSON in memory (target: under 1 s).

Run: .venv/bin/python bench/templates.py
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from typing import Any

from flowbot.format import read_bot_data
from flowbot.format.node_checks import template_error
from flowbot.template import compile_template
from flowbot.template.template import clear_template_cache

FLOWS = 1000
NODES_PER_FLOW = 10


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The fastest of `runs` timings in seconds (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


# --- (a) rendering -------------------------------------------------------------

TEMPLATE = (
    "{{user.name}}님 안녕하세요! 주문번호 {{order.id}} ({{order.date}})\n"
    "{{#if order.paid}}결제 완료: {{order.total}}원 ({{order.method}}){{else}}"
    "미결제: {{order.total}}원{{/if}}\n"
    "{{#each order.items}}- {{this.name}} x{{this.count}} {{this.price}}원\n{{/each}}"
    "{{#if user.vip}}VIP 등급 {{user.level}}, 포인트 {{user.points}}{{/if}}\n"
    "배송지: {{address.city}} {{address.street}} {{address.zip}}\n"
    "연락처: {{user.phone}} / {{user.email}} / 담당 {{staff.name}} {{staff.phone}}\n"
    "요청사항: {{order.note}} (등급 {{user.grade}})"
)

CONTEXT: dict[str, Any] = {
    "user": {
        "name": "김철수",
        "vip": True,
        "level": 3,
        "points": 1200,
        "phone": "010-1234-5678",
        "email": "kim@example.com",
        "grade": "골드",
    },
    "order": {
        "id": 12345,
        "date": "2024-05-01",
        "paid": True,
        "total": 45000,
        "method": "카드",
        "note": "문 앞에 놓아 주세요",
        "items": [{"name": f"상품{i}", "count": i + 1, "price": 1000 * (i + 1)} for i in range(10)],
    },
    "address": {"city": "서울", "street": "세종대로 110", "zip": "04524"},
    "staff": {"name": "이영희", "phone": "02-123-4567"},
    "params": {},
}


def bench_render() -> None:
    placeholders = TEMPLATE.count("{{") - TEMPLATE.count("{{#") - TEMPLATE.count("{{/")
    placeholders -= TEMPLATE.count("{{else}}")
    template = compile_template(TEMPLATE)
    rendered = template.render(CONTEXT)
    assert "상품9" in rendered and "VIP 등급 3" in rendered, rendered
    count = 20_000

    def render_many() -> None:
        render = template.render
        for _ in range(count):
            render(CONTEXT)

    seconds = best_of(3, render_many)
    print(
        f"(a) render: {count / seconds:,.0f} renders/s "
        f"({placeholders} placeholders, 2 #if, #each over 10 items; "
        f"{seconds / count * 1e6:.1f} µs each; target ≥ 50,000/s)"
    )


# --- (b) a big bot -------------------------------------------------------------


def _edge(node_id: int, where: dict[str, Any] | None = None, priority: int | None = None) -> Any:
    edge: dict[str, Any] = {"nodeId": node_id}
    if where is not None:
        edge["where"] = where
    if priority is not None:
        edge["priority"] = priority
    return edge


def generated_flow(flow_id: int, flows: int) -> dict[str, Any]:
    """Ten realistic nodes: texts with templates and buttons, cards, a keyboard, conditions…"""
    other = flow_id % flows + 1
    design = {"design": {"x": 24, "y": 24}}
    nodes: list[dict[str, Any]] = [
        {
            "id": 1,
            "label": "진입 노드",
            "type": "entry",
            "data": {},
            "meta": design,
            "next": [_edge(2), _edge(9, {"message.payload.flowId": {"exists": True}}, 1)],
        },
        {
            "id": 2,
            "label": "인사",
            "type": "response",
            "meta": design,
            "data": {
                "message": {
                    "type": "text",
                    "text": "{{#if params.name}}{{params.name}}님{{else}}손님{{/if}}, 플로우 "
                    f'{flow_id}입니다. {{{{JOSA(params.menu, "을")}}}} 고르세요.',
                    "buttons": [
                        {"type": "postback", "label": "다음", "payload": f'{{"flowId": {other}}}'},
                        {
                            "type": "link",
                            "label": "홈페이지",
                            "uri": "https://example.com/{{params.page}}",
                        },
                        {"type": "goto", "label": "처음으로", "flowId": 1},
                    ],
                }
            },
            "next": [_edge(3)],
        },
        {
            "id": 3,
            "label": "카드",
            "type": "response",
            "meta": design,
            "data": {
                "message": {
                    "type": "cards",
                    "cards": [
                        {
                            "title": "{{items[i].name}}",
                            "description": "{{FORMAT(items[i].price, '0,0')}}원",
                            "media": {
                                "uri": "https://example.com/{{items[i].id}}.png",
                                "contentType": "image",
                            },
                            "buttons": [
                                {
                                    "type": "postback",
                                    "label": "선택",
                                    "payload": '{"item": "{{items[i].id}}"}',
                                }
                            ],
                        }
                    ],
                }
            },
            "next": [_edge(4)],
        },
        {
            "id": 4,
            "label": "입력 대기",
            "type": "keyboard",
            "meta": design,
            "data": {
                "type": "buttons",
                "strict": False,
                "buttons": [
                    {"type": "postback", "label": f"선택 {k}", "payload": f'{{"choice": {k}}}'}
                    for k in range(5)
                ],
            },
            "next": [
                _edge(5, {"message.payload.choice": {"gte": 3}}, 2),
                _edge(
                    6,
                    {
                        "$or": [
                            {"message": {"equals": "처음"}},
                            {"message.text": {"regex": "^(home|처음)"}},
                        ]
                    },
                    1,
                ),
                _edge(7),
            ],
        },
        {
            "id": 5,
            "label": "파라미터",
            "type": "parameter",
            "meta": design,
            "data": {
                "type": "set",
                "params": [
                    {"key": "choice", "value": "{{message.payload.choice}}"},
                    {"key": "visits", "value": 1},
                ],
            },
            "next": [_edge(8)],
        },
        {
            "id": 6,
            "label": "플로우 이동",
            "type": "flow",
            "meta": design,
            "data": {"flowId": other},
            "next": [],
        },
        {
            "id": 7,
            "label": "다시",
            "type": "response",
            "meta": design,
            "data": {"message": {"type": "text", "text": "{{message.text}}는 선택지에 없어요."}},
            "next": [_edge(4)],
        },
        {
            "id": 8,
            "label": "요청",
            "type": "fetch",
            "meta": design,
            "data": {
                "uri": "https://api.example.com/choice/{{params.choice}}",
                "method": "POST",
                "headers": {"Content-Type": "application/json"},
                "contentType": "json",
                "body": '{"user": "{{endUserId}}"}',
            },
            "next": [_edge(10, {"fetch.statusCode": {"lt": 300}}, 1), _edge(10)],
        },
        {
            "id": 9,
            "label": "폴백 이동",
            "type": "flow",
            "meta": design,
            "data": {"flowId": "{{message.payload.flowId}}"},
            "next": [],
        },
        {
            "id": 10,
            "label": "결과",
            "type": "response",
            "meta": design,
            "data": {
                "message": {
                    "type": "text",
                    "text": "결과: {{fetch.data.result}} ({{fetch.statusCode}})",
                    "delay": 300,
                }
            },
            "next": [],
        },
    ]
    assert len(nodes) == NODES_PER_FLOW
    return {"id": flow_id, "title": f"플로우 {flow_id}", "data": {"entry": 1}, "nodes": nodes}


def generated_bot(flows: int = FLOWS) -> dict[str, Any]:
    return {
        "title": "벤치마크 봇",
        "flows": [generated_flow(i, flows) for i in range(1, flows + 1)],
        "preference": {"entryFlowId": 1, "fallbackFlowId": 2},
    }


def cold_load(data: dict[str, Any]) -> None:
    # the validator caches template checks per source text; start each load cold
    template_error.cache_clear()
    clear_template_cache()
    read_bot_data(data, "bench")


def bench_load() -> None:
    data = generated_bot()
    size = len(json.dumps(data, ensure_ascii=False).encode())
    load_seconds = best_of(3, lambda: cold_load(data))
    bot = read_bot_data(data, "bench").bot
    print(
        f"(b) read_bot_data (structure + validation, templates and conditions compiled): "
        f"{load_seconds * 1000:.0f} ms for {FLOWS} flows × {NODES_PER_FLOW} nodes "
        f"({size / 1e6:.1f} MB of JSON)"
    )
    try:
        from flowbot.engine import load_program
    except ImportError:
        print("    flowbot.engine.load_program not available: engine compile not timed")
        return
    del bot

    def cold_load_and_compile() -> None:
        template_error.cache_clear()
        clear_template_cache()
        load_program(read_bot_data(data, "bench").bot, "bench")

    # Both phases from cold caches: the compiled-template cache is shared by
    # validation and the engine, so timing them apart would flatter the second.
    total = best_of(3, cold_load_and_compile)
    compile_seconds = total - load_seconds
    verdict = "ok" if total < 1 else "OVER the 1 s target"
    print(f"    engine load_program (after validation): ~{compile_seconds * 1000:.0f} ms")
    print(f"    load + validate + compile, cold: {total * 1000:.0f} ms ({verdict})")


if __name__ == "__main__":
    bench_render()
    bench_load()
