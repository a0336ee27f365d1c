"""The chat page and the bot's title, served in the bot's language (the widget's side: web.py).

The real-browser side (the widget's Korean and English strings, wrapping on a
phone) is in test_widget_browser.py, with the same Korean bot.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.server.web import chat_page_values, page_language, pretty_title, render_chat_page

from .support import API_KEY, POKEMON, AppFactory

KOREAN_TITLE = "포켓몬 도우미"
KOREAN_SENTENCE = (
    "안녕하세요! 포켓몬 도우미입니다. 함께 모험을 떠날 첫 번째 파트너 포켓몬을 고르는 일을 "
    "도와드릴게요. 궁금한 점이 있으면 언제든지 편하게 물어보세요."
)
# One unbroken token longer than a phone's line: it must break rather than overflow.
KOREAN_URL = "https://pokemon.example.kr/guide/starterpokemonselectionfornewtrainersinkanto2024"
KOREAN_WELCOME = f"{KOREAN_SENTENCE}\n자세한 안내: {KOREAN_URL}"
_WELCOME_YAML = json.dumps(KOREAN_WELCOME, ensure_ascii=False)  # a JSON string is YAML too
KOREAN_BOT = f"""\
title: {KOREAN_TITLE}
preference:
  entryFlowId: 1
flows:
  - id: 1
    title: 인사
    data: {{entry: 1}}
    nodes:
      - id: 1
        type: entry
        data: {{}}
        next: [{{nodeId: 2}}]
      - id: 2
        type: response
        data:
          message:
            type: text
            text: {_WELCOME_YAML}
        next: [{{nodeId: 3}}]
      - id: 3
        type: keyboard
        data:
          type: buttons
          buttons:
            - {{type: postback, label: 파트너 고르기}}
            - {{type: postback, label: 포켓몬 도감 살펴보기}}
        next: [{{nodeId: 4}}]
      - id: 4
        type: response
        data:
          message: {{type: text, text: "좋아요! 바로 준비해 드릴게요."}}
        next: []
"""
# A title that is markup: bot data, never HTML.
MARKUP_TITLE = '<b>Oak</b> & "friends"'


def korean_settings(folder: Path) -> Settings:
    """The Korean bot as `doumi`, a bot titled with markup, and one without a title."""
    (folder / "doumi.yaml").write_text(KOREAN_BOT, encoding="utf-8")
    markup = KOREAN_BOT.replace(f"title: {KOREAN_TITLE}", f"title: '{MARKUP_TITLE}'", 1)
    (folder / "markup.yaml").write_text(markup, encoding="utf-8")
    (folder / "untitled-bot.yaml").write_text(
        KOREAN_BOT.replace(f"title: {KOREAN_TITLE}\n", "", 1), encoding="utf-8"
    )
    return Settings(
        bots=[
            BotSource("doumi", folder / "doumi.yaml"),
            BotSource("markup", folder / "markup.yaml"),
            BotSource("untitled-bot", folder / "untitled-bot.yaml"),
            BotSource("pokemon", POKEMON),
        ],
        database=f"sqlite:///{folder / 'flowbot.db'}",
        api_key=API_KEY,
    )


@pytest.fixture
def korean(tmp_path: Path) -> Settings:
    return korean_settings(tmp_path)


async def test_the_chat_page_carries_the_bot_title(
    serve_asgi: AppFactory, korean: Settings
) -> None:
    async with serve_asgi(korean) as client:
        page = await client.get("/chat/doumi")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["cache-control"] == "no-cache"
        assert f"<title>{KOREAN_TITLE}</title>" in page.text
        assert f'data-bot-title="{KOREAN_TITLE}"' in page.text
        assert "{{" not in page.text
        # ?title= names the page (the widget applies it too); the bot's own stays the default.
        renamed = await client.get("/chat/doumi", params={"title": "오박사"})
        assert "<title>오박사</title>" in renamed.text
        assert f'data-bot-title="{KOREAN_TITLE}"' in renamed.text
        # a bot without a title: its id, capitalised, as the widget makes it
        untitled = await client.get("/chat/untitled-bot")
        assert "<title>Untitled bot</title>" in untitled.text
        assert 'data-bot-title=""' in untitled.text


async def test_titles_are_escaped(serve_asgi: AppFactory, korean: Settings) -> None:
    async with serve_asgi(korean) as client:
        page = (await client.get("/chat/markup")).text
        assert "<title>&lt;b&gt;Oak&lt;/b&gt; &amp; &quot;friends&quot;</title>" in page
        assert 'data-bot-title="&lt;b&gt;Oak&lt;/b&gt; &amp; &quot;friends&quot;"' in page
        assert "<b>" not in page
        hostile = '"></script><script>alert(1)</script>'
        page = (await client.get("/chat/doumi", params={"title": hostile})).text
        assert "<script>alert" not in page
        assert page.count("<script") == 1


async def test_the_chat_page_language(serve_asgi: AppFactory, korean: Settings) -> None:
    async with serve_asgi(korean) as client:
        korean_page = await client.get("/chat/doumi", params={"lang": "ko"})
        assert '<html lang="ko">' in korean_page.text
        assert "<noscript>이 채팅을 사용하려면 JavaScript가 필요합니다.</noscript>" in (
            korean_page.text
        )
        browser = await client.get("/chat/doumi", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
        assert '<html lang="ko">' in browser.text
        english = await client.get(
            "/chat/doumi", params={"lang": "en"}, headers={"Accept-Language": "ko-KR"}
        )
        assert '<html lang="en">' in english.text
        assert "<noscript>This chat needs JavaScript.</noscript>" in english.text
        assert '<html lang="en">' in (await client.get("/chat/doumi")).text


async def test_bot_info_is_public_and_cross_origin(
    serve_asgi: AppFactory, korean: Settings
) -> None:
    async with serve_asgi(korean) as client:
        info = await client.get("/chat/doumi/info", headers={"Origin": "https://shop.example"})
        assert info.status_code == 200
        assert info.json() == {"id": "doumi", "title": KOREAN_TITLE}
        assert info.headers["access-control-allow-origin"] == "*"
        assert info.headers["cache-control"] == "public, max-age=60"
        assert (await client.get("/chat/untitled-bot/info")).json() == {
            "id": "untitled-bot",
            "title": None,
        }
        assert (await client.get("/chat/markup/info")).json()["title"] == MARKUP_TITLE
        missing = await client.get("/chat/digimon/info")
        assert missing.status_code == 404
        assert "error" in missing.json()
        assert (await client.post("/chat/doumi/info")).status_code == 405


async def test_a_bot_imported_through_the_api_has_its_title_at_once(
    client: httpx.AsyncClient,
) -> None:
    bot = {"title": "새 봇", "flows": [{"id": 1, "nodes": [{"id": 1, "type": "entry"}]}]}
    put = await client.put(
        "/api/bots/fresh", json=bot, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert put.status_code == 201, put.text
    assert (await client.get("/chat/fresh/info")).json()["title"] == "새 봇"
    assert "<title>새 봇</title>" in (await client.get("/chat/fresh")).text


def test_page_values() -> None:
    assert page_language(None, None) == "en"
    assert page_language("ko-KR", "en") == "ko"
    assert page_language("fr", "ko") == "en"  # an explicit unknown language is English
    assert page_language("", "ko;q=1, en;q=0.5") == "ko"
    assert pretty_title("my_first-bot") == "My first bot"
    assert pretty_title("--", "ko") == "채팅"
    values = chat_page_values("doumi", "  ", "  ", None, None)
    assert values["title"] == "Doumi" and values["botTitle"] == ""
    long = chat_page_values("doumi", "가" * 300, None, "ko", None)
    assert long["title"] == "가" * 100
    assert render_chat_page("{{lang}} {{nope}} {{title}}", {"lang": "ko", "title": "{{lang}}"}) == (
        "ko {{nope}} {{lang}}"
    )
