"""The `nlp` node: the local engine fills `nlp`; a cloud engine fails naming itself."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.engine import Ports, load_program
from flowbot.format import read_bot_data

from .support import Chat, node, one_flow, program_of, text, texts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2024, 5, 17, 9, 30, tzinfo=ZoneInfo("Asia/Seoul"))
runner = CliRunner()

LOCAL: dict[str, Any] = {
    "engine": "local",
    "intents": [
        {
            "name": "환불",
            "examples": ["환불하고 싶어요", "결제 취소해 주세요", "돈 돌려받고 싶어요"],
            "answer": "7일 안에 환불해 드려요",
        },
        {"name": "위치", "examples": ["매장 어디예요", "주소 알려주세요", "가게 위치"]},
        {"name": "주문", "examples": ["아메리카노 주세요", "주문할게요", "커피 한 잔"]},
    ],
    "entities": [
        {"name": "menu", "type": "list", "values": [{"value": "아메리카노", "synonyms": ["아아"]}]},
        {"name": "count", "type": "number"},
    ],
}


def nlp_bot(data: dict[str, Any]) -> dict[str, Any]:
    """entry → keyboard 2 → nlp 3 → branches on nlp.intent."""
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        node(
            3,
            "nlp",
            data,
            {"nodeId": 4, "where": {"nlp.intent": {"equals": "환불"}}},
            {"nodeId": 5, "where": {"nlp.intent": {"equals": "none"}}},
            {"nodeId": 6, "where": {"nlp.score": {"gt": 0}}},
        ),
        text(4, "{{nlp.answer}}", 2),
        text(5, "모르겠어요", 2),
        text(6, "{{nlp.intent}} {{nlp.slots.menu}} {{nlp.slots.count}}", 2),
        systemMessage={"error": "ERR {{error}}"},
    )


async def say(chat: Chat, words: str) -> list[str]:
    return texts(await chat.say(words))


@pytest.fixture
def chat() -> Chat:
    return Chat(program_of(nlp_bot(LOCAL)), Ports(now=lambda: NOW))


async def test_the_context_as_closer_documents_it(chat: Chat) -> None:
    await chat.open()
    assert await say(chat, "환불 하고싶어요") == ["7일 안에 환불해 드려요"]
    assert chat.last is not None
    (step,) = [s for s in chat.last.trace if s.type == "nlp"]
    nlp = step.data["nlp"]
    assert nlp["intent"] == "환불" and 0 < nlp["score"] <= 1
    assert nlp["answer"] == "7일 안에 환불해 드려요" and nlp["error"] is None
    assert nlp["ranking"][0] == {"intent": "환불", "score": nlp["score"]}
    assert [r["intent"] for r in nlp["ranking"]][1:] != []


async def test_entities_and_slots(chat: Chat) -> None:
    await chat.open()
    assert await say(chat, "아아 두 잔 주세요") == ["주문 아메리카노 2"]


async def test_out_of_scope_falls_to_the_fallback_intent(chat: Chat) -> None:
    await chat.open()
    assert await say(chat, "내일 날씨 어때") == ["모르겠어요"]


async def test_builder_threshold_and_fallback_intent() -> None:
    data = {**LOCAL, "threshold": 1.0, "fallbackIntent": "none"}
    chat = Chat(program_of(nlp_bot(data)), Ports(now=lambda: NOW))
    await chat.open()
    assert await say(chat, "환불하고 싶어요 진짜로") == ["모르겠어요"]


async def test_a_message_without_text_sets_nlp_error(chat: Chat) -> None:
    await chat.open()
    result = await chat.click("", "{}")
    (step,) = [s for s in result.trace if s.type == "nlp"]
    assert step.data["nlp"]["error"] == "the message has no text to analyse"
    assert step.data["nlp"]["intent"] == "none"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"engine": "dialogflow", "agent": "shop"}, "with engine 'dialogflow' does not run"),
        ({"engine": "watson"}, "with engine 'watson' does not run"),
        ({"provider": "watson"}, "the nlp node does not run in flowbot"),
    ],
)
async def test_a_cloud_engine_loads_and_fails_naming_it(data: dict[str, Any], message: str) -> None:
    bot = nlp_bot(data)
    loaded = read_bot_data(bot)
    assert (
        bot["flows"][0]["nodes"][2]["data"]
        == loaded.bot.flows[0]
        .nodes[2]
        .model_dump(mode="json", by_alias=True, exclude_unset=True)["data"]
    )
    chat = Chat(load_program(loaded.bot))
    await chat.open()
    result = await chat.say("환불")
    assert result.error is not None and message in result.error
    assert texts(result) == [f"ERR {result.error}"]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
def test_deterministic_and_user_text_is_never_a_template(words: str) -> None:
    from flowbot.nlp import NluModel, parse_spec

    spec, _ = parse_spec(LOCAL)
    first = NluModel(spec).analyse(words, NOW)
    assert NluModel(spec).analyse(words, NOW) == first
    for entity in first["entities"]:
        assert entity["text"] == words[entity["start"] : entity["end"]]


async def test_template_text_comes_back_verbatim() -> None:
    data = {**LOCAL, "entities": [{"name": "raw", "type": "regex", "pattern": "\\{\\{.*\\}\\}"}]}
    bot = nlp_bot(data)
    bot["flows"][0]["nodes"][5]["data"]["message"]["text"] = "[{{nlp.entities.[0].text}}]"
    bot["flows"][0]["nodes"][4]["data"]["message"]["text"] = "[{{nlp.entities.[0].text}}]"
    chat = Chat(program_of(bot), Ports(now=lambda: NOW))
    await chat.open()
    for words in ("{{7*7}}", "{{message.text}}", "{{#each params}}x{{/each}}"):
        assert await say(chat, words) == [f"[{words}]"]


def test_the_example_bot_through_chat_jsonl() -> None:
    lines = [
        {"user": "u", "event": "open"},
        {"user": "u", "text": "아메리까노 두잔 주문할게요"},
        {"user": "u", "text": "영업시간 알려주세여"},
        {"user": "u", "text": "대통령 선거 누가 이겨"},
    ]
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(EXAMPLES / "shop-nlu.yaml"), "--jsonl"],
        input="".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    replies = [[r["text"] for r in answer["replies"]] for answer in answers]
    assert replies[1] == ["주문 접수할게요: 아메리카노 2개"]
    assert replies[2] == ["매일 오전 8시부터 오후 10시까지 영업해요. 명절 당일만 쉬어요."]
    assert replies[3][0].startswith("죄송해요")
    assert all(answer["error"] is None for answer in answers)


def test_nlp_eval_prints_the_figures() -> None:
    result = runner.invoke(
        app,
        [
            "nlp",
            "eval",
            str(EXAMPLES / "shop-nlu.yaml"),
            "--data",
            str(EXAMPLES / "shop-nlu.eval.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    for label in ("accuracy:", "out-of-scope rejection:", "ms/message", "load time:", "confusion"):
        assert label in result.output
    accuracy = float(result.output.split("accuracy: ")[1].split("%")[0])
    rejection = float(result.output.split("out-of-scope rejection: ")[1].split("%")[0])
    assert accuracy >= 85 and rejection >= 75


def test_nlp_eval_without_a_local_node_fails(tmp_path: Path) -> None:
    bot = tmp_path / "bot.json"
    bot.write_text(json.dumps(nlp_bot({"engine": "watson"})), encoding="utf-8")
    data = tmp_path / "set.yaml"
    data.write_text("intents: {a: [b]}\n", encoding="utf-8")
    result = runner.invoke(app, ["nlp", "eval", str(bot), "--data", str(data)])
    assert result.exit_code == 2
