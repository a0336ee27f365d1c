"""TalkTalk's rendering as pure functions: the exact answer and send events.

Shapes and limits from the chatbot API's README
(https://github.com/navertalk/chatbot-api: "메시지 타입 명세" — textContent,
imageContent, compositeContent with its Composite, Image and Button objects,
퀵 버튼 — and the `action` event's `typingOn`). Every rendering goes through
`_render`, which checks each message against those rules
(`_check_talktalk_rules`) and, where the community library `nta` is
installed, rebuilds it with nta's templates and compares (`_check_with_nta`),
so a key flowbot sends that TalkTalk does not define shows. The round trip
at the end plays the platform: it taps rendered TEXT buttons the way
TalkTalk reports a tap (the title as the text, the code beside it, inputType
"button") and checks that the engine gets the button's label and payload back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flowbot.channels import (
    Degradation,
    InboundEvent,
    OutboundCall,
    Recipient,
    Rendered,
    WebhookRequest,
    clicks,
    navertalk,
)
from flowbot.engine import GotoTarget, InboundMessage

USER = "al-2eGuGr5WQOnco1_V-FQ"
WHO = Recipient("pokemon", USER)
PUSH = Recipient("pokemon", USER, push=True)
SCOPE = "pokemon/navertalk"
TOKEN = "s3cr3t-path-token-0123456789"
SETTINGS = navertalk.Settings(path_token=TOKEN, authorization="ct_wc8b1i_Pb1AXDQ0RZWuCccpzdNL")
IMAGE = "https://shop1.phinf.naver.net/20170216_20/talktalk_menu_01.png"
LONG = "Pikachu, I choose you!"  # 22 characters: over a button title's 18
CUT = "Pikachu, I choose…"
TYPING = {"event": "action", "user": USER, "options": {"action": "typingOn"}}
_CONTENTS = ("textContent", "imageContent", "compositeContent")


# --- TalkTalk's rules ---------------------------------------------------------------


def _check_web_url(url: Any, where: str) -> None:
    assert isinstance(url, str) and url.partition(":")[0] in ("http", "https"), where


def _check_button(button: Mapping[str, Any], where: str, title_chars: int) -> None:
    assert set(button) == {"type", "data"}, where
    data = button["data"]
    assert isinstance(data["title"], str) and 1 <= len(data["title"]) <= title_chars, where
    if button["type"] == "TEXT":
        assert set(data) == {"title", "code"}, where
        assert isinstance(data["code"], str) and 1 <= len(data["code"]) <= 1000, where
    elif button["type"] == "LINK":
        # url and mobileUrl are both required
        assert set(data) == {"title", "url", "mobileUrl"}, where
        _check_web_url(data["url"], where)
        _check_web_url(data["mobileUrl"], where)
    else:
        raise AssertionError(f"{where}: unexpected button type {button['type']}")


def _check_composite(composite: Mapping[str, Any], where: str) -> None:
    assert set(composite) <= {"title", "description", "image", "elementList", "buttonList"}, where
    # "title, description, elementList 중 적어도 한 개 … 적어도 두 개의 속성"
    assert {"title", "description", "elementList"} & set(composite), where
    assert len(composite) >= 2, where
    if "title" in composite:
        assert 1 <= len(composite["title"]) <= 200, where
    if "description" in composite:
        assert 1 <= len(composite["description"]) <= 1000, where
    if "image" in composite:
        assert set(composite["image"]) == {"imageUrl"}, where
        _check_web_url(composite["image"]["imageUrl"], where)
    if "buttonList" in composite:
        assert 1 <= len(composite["buttonList"]) <= 10, where
        for b, button in enumerate(composite["buttonList"]):
            _check_button(button, f"{where}.buttonList[{b}]", 18)


def _check_talktalk_rules(message: Mapping[str, Any], where: str) -> None:
    """One send event's content: exactly one of the three, within the documented limits."""
    kinds = [key for key in message if key in _CONTENTS]
    assert len(kinds) == 1, f"{where}: one content, not {kinds}"
    kind = kinds[0]
    content = message[kind]
    quick = content.get("quickReply")
    if quick is not None:
        assert set(quick) == {"buttonList"}, where
        assert 1 <= len(quick["buttonList"]) <= 10, where
        for b, button in enumerate(quick["buttonList"]):
            _check_button(button, f"{where}.quickReply.buttonList[{b}]", 10)
    if kind == "textContent":
        assert set(content) <= {"text", "quickReply"}, where
        assert isinstance(content["text"], str) and 1 <= len(content["text"]) <= 10_000, where
    elif kind == "imageContent":
        assert set(content) <= {"imageUrl", "quickReply"}, where
        _check_web_url(content["imageUrl"], where)
    else:
        assert set(content) <= {"compositeList", "quickReply"}, where
        assert 1 <= len(content["compositeList"]) <= 10, where
        for c, composite in enumerate(content["compositeList"]):
            _check_composite(composite, f"{where}.compositeList[{c}]")


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _nta_button(button: Mapping[str, Any]) -> Any:
    from nta.models.buttons import ButtonLink, ButtonText  # type: ignore[import-untyped,import-not-found,unused-ignore]

    data = button["data"]
    if button["type"] == "TEXT":
        return ButtonText(data["title"], code=data["code"])
    return ButtonLink(data["title"], data["url"], mobile_url=data["mobileUrl"])


def _nta_content(kind: str, content: Mapping[str, Any]) -> Any:
    """The same content built with nta's templates, from the fields TalkTalk defines."""
    from nta.models.template import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        Composite,
        CompositeContent,
        ImageContent,
        QuickReply,
        TextContent,
    )

    quick = None
    if "quickReply" in content:
        quick = QuickReply([_nta_button(b) for b in content["quickReply"]["buttonList"]])
    if kind == "textContent":
        return TextContent(content["text"], quick_reply=quick)
    if kind == "imageContent":
        return ImageContent(image_url=content["imageUrl"], quick_reply=quick)
    composites = [
        Composite(
            c.get("title"),
            description=c.get("description"),
            image=c["image"]["imageUrl"] if "image" in c else None,
            button_list=[_nta_button(b) for b in c["buttonList"]] if "buttonList" in c else None,
        )
        for c in content["compositeList"]
    ]
    return CompositeContent(composites, quick_reply=quick)


def _check_with_nta(body: Mapping[str, Any], user: str | None) -> None:
    """nta's send payload of the same content is flowbot's body (but nta's default options)."""
    try:
        from nta.models.payload import GenericPayload  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return
    [kind] = [key for key in body if key in _CONTENTS]
    payload = GenericPayload(_nta_content(kind, body[kind]), user=user).as_json_dict()
    del payload["options"]  # notification / readBySend: false, TalkTalk's defaults
    if user is None:
        del payload["user"]
    assert _without_none(payload) == json.loads(json.dumps(body)), kind


def _check(rendered: Rendered, recipient: Recipient) -> None:
    if rendered.answer is not None:
        assert not recipient.push
        answer = rendered.answer
        # the webhook's answer goes to the user who sent the event: no `user`
        assert answer["event"] == "send" and "user" not in answer
        assert set(answer) == {"event"} | ({*answer} & set(_CONTENTS))
        _check_talktalk_rules(answer, "answer")
        _check_with_nta(answer, None)
    for c, call in enumerate(rendered.calls):
        assert call.path == navertalk.SEND_PATH and call.fallback is None
        if call.purpose == "typing":
            assert call.body == {**TYPING, "user": recipient.user_key}
            assert call.wait_ms == 0
            # a typing indicator goes just before a delayed message
            assert rendered.calls[c + 1].wait_ms > 0
            continue
        body = call.body
        assert body["event"] == "send" and body["user"] == recipient.user_key
        _check_talktalk_rules(body, f"calls[{c}]")
        _check_with_nta(body, recipient.user_key)


def _render(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]] = (),
    recipient: Recipient = WHO,
) -> Rendered:
    """`navertalk.render`, every message checked with TalkTalk's rules (and nta)."""
    rendered = navertalk.render(replies, quick_replies, recipient)
    _check(rendered, recipient)
    return rendered


def test_the_rule_checks_refuse_what_talktalk_would() -> None:
    bad: list[dict[str, Any]] = [
        {"textContent": {"text": ""}},
        {"textContent": {"text": "a" * 10_001}},
        {"textContent": {"text": "a"}, "imageContent": {"imageUrl": IMAGE}},
        {"textContent": {"text": "a", "bogus": 1}},
        {"imageContent": {"imageUrl": "data:image/png;base64,AA"}},
        {"compositeContent": {"compositeList": []}},
        {"compositeContent": {"compositeList": [{"title": "alone"}]}},
        {"compositeContent": {"compositeList": [{"image": {"imageUrl": IMAGE}}]}},
        {"compositeContent": {"compositeList": [{"title": "t" * 201, "description": "d"}]}},
        _composite({"description": "d", "buttonList": [_text_button("a" * 19, "x")]}),
        _composite({"description": "d", "buttonList": [_text_button("a", "x" * 1001)]}),
        _composite({"description": "d", "buttonList": [_text_button("a", "x")] * 11}),
        _composite(
            {
                "description": "d",
                "buttonList": [{"type": "LINK", "data": {"title": "a", "url": IMAGE}}],
            }
        ),
        {"textContent": {"text": "a", "quickReply": {"buttonList": [_text_button("a" * 11, "x")]}}},
    ]
    for message in bad:
        with pytest.raises(AssertionError):
            _check_talktalk_rules(message, "test")


# --- helpers ------------------------------------------------------------------------


def _send(content: dict[str, Any], wait_ms: int = 0) -> OutboundCall:
    return OutboundCall(navertalk.SEND_PATH, {"event": "send", "user": USER, **content}, wait_ms)


def _typing() -> OutboundCall:
    return OutboundCall(navertalk.SEND_PATH, TYPING, purpose="typing")


def _answer(content: dict[str, Any]) -> dict[str, Any]:
    return {"event": "send", **content}


def _text(text: str, **fields: Any) -> dict[str, Any]:
    return {"textContent": {"text": text, **fields}}


def _composite(*composites: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"compositeContent": {"compositeList": list(composites), **fields}}


def _text_button(title: str, code: str) -> dict[str, Any]:
    return {"type": "TEXT", "data": {"title": title, "code": code}}


def _link_button(title: str, url: str) -> dict[str, Any]:
    return {"type": "LINK", "data": {"title": title, "url": url, "mobileUrl": url}}


def _button(label: str, payload: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "postback", "label": label}
    if payload is not None:
        button["payload"] = payload
    return button


def _reply(text: str, **fields: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, **fields}


def _card(title: str, *buttons: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"title": title, "buttons": list(buttons), **fields}


def _notes(rendered: Rendered) -> list[str]:
    return [str(note) for note in rendered.notes]


def _keyed(label: str, payload: str) -> tuple[str, str]:
    """The `~fb:k:` code of a button that does not fit, and its stored record."""
    record = json.dumps({"t": label, "p": payload}, ensure_ascii=False, separators=(",", ":"))
    return "~fb:k:" + clicks.payload_key(SCOPE, record), record


def _only(rendered: Rendered) -> dict[str, Any]:
    """The one message of a rendering, answered synchronously."""
    assert rendered.calls == []
    assert rendered.answer is not None
    content = {k: v for k, v in rendered.answer.items() if k != "event"}
    return content


# --- texts and buttons ------------------------------------------------------------


def test_a_plain_text_is_the_answer() -> None:
    rendered = _render([_reply("Hello, trainer!")])
    assert rendered.answer == {"event": "send", "textContent": {"text": "Hello, trainer!"}}
    assert rendered.calls == []
    assert (dict(rendered.payload_keys), _notes(rendered)) == ({}, [])


def test_a_text_with_buttons_is_a_composite() -> None:
    buttons = [
        _button("Pikachu", '{"pokemon": "pikachu"}'),
        _button("Tell me more"),
        {"type": "goto", "label": "Start over", "flowId": 2, "nodeId": "4"},
        {"type": "link", "label": "Pokédex", "uri": "https://www.pokemon.com/us/pokedex"},
        {"type": "link", "label": "Write us", "uri": "mailto:oak@pokemon.com"},
        {"type": "operator", "label": "A person, please"},
    ]
    rendered = _render([_reply("Choose one", buttons=buttons)])
    assert rendered.answer == _answer(
        _composite(
            {
                "description": "Choose one",
                "buttonList": [
                    _text_button("Pikachu", '{"pokemon": "pikachu"}'),
                    _text_button("Tell me more", "~fb:t:Tell me more"),
                    _text_button("Start over", '~fb:g:{"f":2,"n":"4","t":"Start over"}'),
                    _link_button("Pokédex", "https://www.pokemon.com/us/pokedex"),
                ],
            }
        )
    )
    # (the operator button is Kakao's: dropped without a note)
    assert rendered.notes == [
        Degradation(0, "buttons[4]", "TalkTalk cannot open a mailto link: dropped")
    ]
    assert dict(rendered.payload_keys) == {}


def test_a_call_button_puts_its_number_in_the_text() -> None:
    buttons = [{"type": "link", "label": "Call us", "uri": "tel:021234567"}, _button("OK", "ok")]
    rendered = _render([_reply("Questions?", buttons=buttons)])
    assert _only(rendered) == _composite(
        {"description": "Questions?\nCall us: 021234567", "buttonList": [_text_button("OK", "ok")]}
    )
    assert _notes(rendered) == [
        "replies[0].buttons[0]: TalkTalk has no call button: the number is in the text"
    ]
    # with no other button, the text and the number are a text (TalkTalk links the number)
    rendered = _render([_reply("", buttons=[{"type": "link", "label": "", "uri": "tel:010-1234"}])])
    assert _only(rendered) == _text("010-1234")


def test_an_unknown_button_type_is_dropped() -> None:
    buttons = [{"type": "share", "label": "Share"}, _button("OK", "ok")]
    rendered = _render([_reply("Hi", buttons=buttons)])
    assert _only(rendered) == _composite(
        {"description": "Hi", "buttonList": [_text_button("OK", "ok")]}
    )
    assert _notes(rendered) == ["replies[0].buttons[0]: a 'share' button cannot be shown: dropped"]


def test_at_most_ten_buttons() -> None:
    buttons = [_button(f"Option {n}", f"p{n}") for n in range(12)]
    rendered = _render([_reply("Pick", buttons=buttons)])
    [composite] = _only(rendered)["compositeContent"]["compositeList"]
    assert composite["buttonList"] == [_text_button(f"Option {n}", f"p{n}") for n in range(10)]
    assert _notes(rendered) == ["replies[0].buttons: 2 buttons over the limit of 10 dropped"]


def test_a_text_with_buttons_has_1000_characters() -> None:
    text = "가" * 1200
    rendered = _render([_reply(text, buttons=[_button("OK", "ok")])])
    [composite] = _only(rendered)["compositeContent"]["compositeList"]
    assert composite["description"] == "가" * 999 + "…"
    assert _notes(rendered) == ["replies[0].text: cut from 1200 to 1000 characters"]
    rendered = _render([_reply("a" * 1000, buttons=[_button("OK", "ok")])])
    assert _notes(rendered) == []


def test_a_text_has_10000_characters() -> None:
    rendered = _render([_reply("a" * 10_000)])
    assert _only(rendered) == _text("a" * 10_000)
    assert _notes(rendered) == []
    rendered = _render([_reply("a" * 12_000)])
    assert _only(rendered) == _text("a" * 9999 + "…")
    assert _notes(rendered) == ["replies[0].text: cut from 12000 to 10000 characters"]


def test_a_long_title_is_cut_and_its_click_kept_whole() -> None:
    goto = {"type": "goto", "label": LONG, "flowId": "menu"}
    link = {"type": "link", "label": LONG, "uri": "https://example.com"}
    rendered = _render([_reply("?", buttons=[_button(LONG, "pika"), _button(LONG), goto, link])])
    code, record = _keyed(LONG, "pika")
    [composite] = _only(rendered)["compositeContent"]["compositeList"]
    assert composite["buttonList"] == [
        # the title comes back cut: the payload and the label go by a stored key
        _text_button(CUT, code),
        _text_button(CUT, f"~fb:t:{LONG}"),
        _text_button(CUT, '~fb:g:{"f":"menu","n":null,"t":"Pikachu, I choose you!"}'),
        _link_button(CUT, "https://example.com"),
    ]
    assert dict(rendered.payload_keys) == {code[len("~fb:k:") :]: record}
    assert _notes(rendered) == [
        f"replies[0].buttons[{b}].label: cut from 22 to 18 characters" for b in range(4)
    ]


def test_an_empty_label_and_an_empty_text() -> None:
    rendered = _render([_reply("", buttons=[_button("", "x")])])
    code, _ = _keyed("", "x")  # "…" is shown, so the label goes by key
    assert _only(rendered) == _composite(
        {"description": "…", "buttonList": [_text_button("…", code)]}
    )


def test_an_empty_text_and_unknown_messages_are_dropped() -> None:
    rendered = _render([_reply(""), {"type": "carousel"}, _reply("kept")])
    assert _only(rendered) == _text("kept")
    assert _notes(rendered) == [
        "replies[0].text: an empty text cannot be sent: dropped",
        "replies[1].type: a 'carousel' message cannot be sent: dropped",
    ]


def test_a_text_whose_buttons_are_all_dropped_is_a_text() -> None:
    buttons = [{"type": "link", "label": "Mail", "uri": "mailto:a@b.c"}, "not a button"]
    rendered = _render([_reply("Write to us", buttons=buttons)])
    assert _only(rendered) == _text("Write to us")
    assert _notes(rendered) == [
        "replies[0].buttons[0]: TalkTalk cannot open a mailto link: dropped"
    ]


# --- cards ---------------------------------------------------------------------


def test_one_card_is_a_composite() -> None:
    card = _card(
        "브레이즈드포크콜라세트",
        _button("주문하기", "1"),
        {"type": "link", "label": "메뉴 상세보기", "uri": "https://dominos-bot.talk.naver.com/1"},
        description="네이버페이포인트 적립",
        media={"uri": IMAGE, "contentType": "image"},
    )
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert rendered.answer == _answer(
        _composite(
            {
                "title": "브레이즈드포크콜라세트",
                "description": "네이버페이포인트 적립",
                "image": {"imageUrl": IMAGE},
                "buttonList": [
                    _text_button("주문하기", "1"),
                    _link_button("메뉴 상세보기", "https://dominos-bot.talk.naver.com/1"),
                ],
            }
        )
    )
    assert _notes(rendered) == []


def test_a_cards_uri_is_a_link_button_named_by_its_host() -> None:
    card = _card("Pikachu", _button("Choose", "pika"), uri="https://www.pokemon.com/us/pikachu")
    rendered = _render([{"type": "cards", "cards": [card]}])
    [composite] = _only(rendered)["compositeContent"]["compositeList"]
    assert composite["buttonList"] == [
        _text_button("Choose", "pika"),
        _link_button("www.pokemon.com", "https://www.pokemon.com/us/pikachu"),
    ]
    assert _notes(rendered) == [
        "replies[0].cards[0].uri: TalkTalk has no tap on a card: a link button"
    ]
    full = _card("Full", *[_button(str(n), str(n)) for n in range(10)], uri="https://x.com")
    mail = _card("Mail", _button("OK", "ok"), uri="mailto:a@b.c")
    rendered = _render([{"type": "cards", "cards": [full, mail]}])
    composites = _only(rendered)["compositeContent"]["compositeList"]
    assert [len(c["buttonList"]) for c in composites] == [10, 1]
    assert _notes(rendered) == [
        "replies[0].cards[0].uri: no room beside 10 buttons: dropped",
        "replies[0].cards[1].uri: TalkTalk cannot open this link: dropped",
    ]


def test_three_cards_are_one_carousel() -> None:
    cards = [
        _card("Bulbasaur", _button("Choose", "bulbasaur"), description="Grass"),
        _card("Charmander", _button("Choose", "charmander"), media={"uri": IMAGE}),
        _card("Squirtle", _button("Choose", "squirtle"), _button("Info"), description="Water"),
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    # TalkTalk asks for no equal columns: each composite shows what its card has
    assert _only(rendered) == _composite(
        {
            "title": "Bulbasaur",
            "description": "Grass",
            "buttonList": [_text_button("Choose", "bulbasaur")],
        },
        {
            "title": "Charmander",
            "image": {"imageUrl": IMAGE},
            "buttonList": [_text_button("Choose", "charmander")],
        },
        {
            "title": "Squirtle",
            "description": "Water",
            "buttonList": [_text_button("Choose", "squirtle"), _text_button("Info", "~fb:t:Info")],
        },
    )
    assert _notes(rendered) == []


def test_twelve_cards_are_two_carousels() -> None:
    cards = [_card(f"#{n}", _button("Go", str(n))) for n in range(12)]
    rendered = _render([{"type": "cards", "cards": cards}])
    assert rendered.answer is not None
    [call] = rendered.calls
    carousels = [rendered.answer["compositeContent"], call.body["compositeContent"]]
    assert [[c["title"] for c in carousel["compositeList"]] for carousel in carousels] == [
        [f"#{n}" for n in range(10)],
        ["#10", "#11"],
    ]
    assert _notes(rendered) == ["replies[0].cards: 12 cards split into carousels of 10"]


def test_card_limits() -> None:
    card = _card("T" * 250, *[_button(str(n), str(n)) for n in range(11)], description="d" * 1100)
    rendered = _render([{"type": "cards", "cards": [card]}])
    [composite] = _only(rendered)["compositeContent"]["compositeList"]
    assert composite["title"] == "T" * 199 + "…"
    assert composite["description"] == "d" * 999 + "…"
    assert len(composite["buttonList"]) == 10
    assert _notes(rendered) == [
        "replies[0].cards[0].buttons: 1 buttons over the limit of 10 dropped",
        "replies[0].cards[0].title: cut from 250 to 200 characters",
        "replies[0].cards[0].description: cut from 1100 to 1000 characters",
    ]


def test_a_card_image_must_be_an_http_image() -> None:
    cards = [
        _card("Video", _button("Go", "go"), media={"uri": IMAGE, "contentType": "video"}),
        _card("Local", _button("Go", "go"), media={"uri": "file:///pikachu.png"}),
        _card("Plain http", _button("Go", "go"), media={"uri": "http://example.com/p.png"}),
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    composites = _only(rendered)["compositeContent"]["compositeList"]
    assert ["image" in c for c in composites] == [False, False, True]
    assert _notes(rendered) == [
        "replies[0].cards[0].media: a card shows images only: dropped",
        "replies[0].cards[1].media: TalkTalk needs an http(s) image URL: dropped",
    ]


def test_cards_that_cannot_be_composites() -> None:
    cards = [
        _card("#0", _button("Go", "0")),
        {"title": "Only a title"},
        {"media": {"uri": IMAGE}},
        {"media": {"uri": IMAGE}, "buttons": [_button("Zoom", "zoom")]},
        {},
        {"title": "Eevee", "description": "Normal"},
        _card("#6", _button("Go", "6")),
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    assert rendered.answer == _answer(
        _composite({"title": "#0", "buttonList": [_text_button("Go", "0")]})
    )
    assert rendered.calls == [
        # a composite needs a title or a description, and two things in all
        _send(_text("Only a title")),
        _send({"imageContent": {"imageUrl": IMAGE}}),
        _send(
            _composite(
                {
                    "description": "…",
                    "image": {"imageUrl": IMAGE},
                    "buttonList": [_text_button("Zoom", "zoom")],
                },
                {"title": "Eevee", "description": "Normal"},
                {"title": "#6", "buttonList": [_text_button("Go", "6")]},
            )
        ),
    ]
    assert _notes(rendered) == [
        "replies[0].cards[1]: a card of a text alone sent as a text",
        "replies[0].cards[2]: a card of an image alone sent as an image",
        "replies[0].cards[4]: an empty card: dropped",
    ]


def test_a_card_of_a_long_title_alone_is_a_whole_text() -> None:
    rendered = _render([{"type": "cards", "cards": [{"title": "T" * 300}]}])
    assert _only(rendered) == _text("T" * 300)  # a text holds 10,000 characters, a title 200
    assert _notes(rendered) == ["replies[0].cards[0]: a card of a text alone sent as a text"]


def test_a_card_of_a_title_and_an_image_or_a_text_and_an_image() -> None:
    cards = [
        {"title": "Pikachu", "media": {"uri": IMAGE}},
        {"description": "d", "media": {"uri": IMAGE}},
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    assert _only(rendered) == _composite(
        {"title": "Pikachu", "image": {"imageUrl": IMAGE}},
        {"description": "d", "image": {"imageUrl": IMAGE}},
    )
    assert _notes(rendered) == []


def test_no_cards_are_dropped() -> None:
    rendered = _render([{"type": "cards", "cards": []}, _reply("after")])
    assert _only(rendered) == _text("after")
    assert _notes(rendered) == ["replies[0].cards: no cards: dropped"]


# --- media and locations -----------------------------------------------------------


@pytest.mark.parametrize("uri", [IMAGE, "http://blogfiles5.naver.net/20130918_119/6.jpg"])
def test_an_image_is_an_image_content(uri: str) -> None:
    rendered = _render([{"type": "media", "media": {"uri": uri, "contentType": "image"}}])
    assert rendered.answer == _answer({"imageContent": {"imageUrl": uri}})
    assert _notes(rendered) == []


@pytest.mark.parametrize("kind", ["video", "audio", "file"])
def test_other_media_are_a_text_link(kind: str) -> None:
    uri = f"https://example.com/pikachu.{kind}"
    rendered = _render([{"type": "media", "media": {"uri": uri, "contentType": kind}}])
    assert _only(rendered) == _text(uri)
    assert _notes(rendered) == [f"replies[0].media.contentType: {kind!r} media sent as a link"]


def test_an_image_without_a_web_url_or_a_uri_is_dropped() -> None:
    rendered = _render(
        [
            {"type": "media", "media": {"uri": "data:image/png;base64,AAAA"}},
            {"type": "media", "media": {"uri": ""}},
            {"type": "media"},
        ]
    )
    assert (rendered.answer, rendered.calls) == (None, [])
    assert _notes(rendered) == [
        "replies[0].media.uri: TalkTalk needs an http(s) image URL: dropped",
        "replies[1].media: no media uri: dropped",
        "replies[2].media: no media uri: dropped",
    ]


def test_a_location_is_a_text_with_a_map_link() -> None:
    reply = {"type": "location", "label": "서울역", "latitude": 37.5547, "longitude": "126.9706"}
    rendered = _render([reply])
    link = "https://www.google.com/maps/search/?api=1&query=37.5547%2C126.9706"
    assert _only(rendered) == _text(f"서울역\n{link}")
    assert _notes(rendered) == ["replies[0]: TalkTalk has no location message: sent as a map link"]
    rendered = _render([{"type": "location", "latitude": 1, "longitude": 2}])
    assert _only(rendered) == _text("https://www.google.com/maps/search/?api=1&query=1%2C2")


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("", ""), ("north", 1), (None, 1), (91, 0), (0, -181), ("nan", 0), (True, 0), (10**400, 0)],
)
def test_a_location_without_numeric_coordinates_is_dropped(latitude: Any, longitude: Any) -> None:
    rendered = _render([{"type": "location", "latitude": latitude, "longitude": longitude}])
    assert (rendered.answer, rendered.calls) == (None, [])
    assert _notes(rendered) == ["replies[0]: a location without numeric coordinates: dropped"]


# --- quick replies ---------------------------------------------------------------


def test_quick_replies_ride_on_the_last_message() -> None:
    quick = [
        _button("Yes", "yes"),
        _button("No"),
        _button("Remind me tomorrow", "later"),
        {"type": "link", "label": "Help", "uri": "https://help.naver.com"},
    ]
    rendered = _render([_reply("first"), _reply("Shall we?")], quick)
    later, record = _keyed("Remind me tomorrow", "later")
    buttons = [
        _text_button("Yes", "yes"),
        _text_button("No", "~fb:t:No"),
        _text_button("Remind me…", later),
        _link_button("Help", "https://help.naver.com"),
    ]
    assert rendered.answer == _answer(_text("first"))
    assert rendered.calls == [_send(_text("Shall we?", quickReply={"buttonList": buttons}))]
    assert dict(rendered.payload_keys) == {later[len("~fb:k:") :]: record}
    assert _notes(rendered) == ["quickReplies[2].label: cut from 18 to 10 characters"]


def test_quick_replies_on_an_image_and_a_composite_are_inside_the_content() -> None:
    quick = [_button("Again", "again")]
    buttons = {"buttonList": [_text_button("Again", "again")]}
    rendered = _render([{"type": "media", "media": {"uri": IMAGE}}], quick)
    assert _only(rendered) == {"imageContent": {"imageUrl": IMAGE, "quickReply": buttons}}
    rendered = _render([_reply("Pick", buttons=[_button("A", "a")])], quick)
    assert _only(rendered) == _composite(
        {"description": "Pick", "buttonList": [_text_button("A", "a")]}, quickReply=buttons
    )


def test_at_most_ten_quick_replies_and_no_calls_or_mail() -> None:
    quick = [_button(f"#{n}", str(n)) for n in range(12)]
    quick[1] = {"type": "link", "label": "Call", "uri": "tel:021234567"}
    quick[2] = {"type": "operator", "label": "Agent"}
    rendered = _render([_reply("Pick")], quick)
    buttons = _only(rendered)["textContent"]["quickReply"]["buttonList"]
    assert [b["data"]["code"] for b in buttons] == ["0", *[str(n) for n in range(3, 10)]]
    assert _notes(rendered) == [
        "quickReplies: 2 quick replies over the limit of 10 dropped",
        "quickReplies[1]: TalkTalk cannot open a tel link: dropped",
    ]


def test_quick_replies_without_a_message_are_dropped() -> None:
    rendered = _render([], [_button("Yes", "yes")])
    assert (rendered.answer, rendered.calls) == (None, [])
    assert _notes(rendered) == ["quickReplies: quick replies need a message to ride on: dropped"]


# --- the answer and the calls ------------------------------------------------------


def test_the_first_message_is_the_answer_and_the_rest_send_events() -> None:
    rendered = _render([_reply("one"), {"type": "media", "media": {"uri": IMAGE}}, _reply("3")])
    assert rendered.answer == {"event": "send", "textContent": {"text": "one"}}
    assert rendered.calls == [
        OutboundCall(
            "/chatbot/v1/event",
            {"event": "send", "user": USER, "imageContent": {"imageUrl": IMAGE}},
        ),
        OutboundCall(
            "/chatbot/v1/event", {"event": "send", "user": USER, "textContent": {"text": "3"}}
        ),
    ]


def test_a_delay_is_typing_then_a_wait() -> None:
    rendered = _render([_reply("Let me think…"), _reply("Pikachu!", delay=3000), _reply("Go!")])
    assert rendered.answer == _answer(_text("Let me think…"))
    assert rendered.calls == [
        _typing(),
        _send(_text("Pikachu!"), wait_ms=3000),
        _send(_text("Go!")),
    ]


def test_a_delay_on_the_first_message_answers_nothing() -> None:
    # the webhook's answer cannot wait (TalkTalk reads it for 5 seconds): all go as sends
    rendered = _render([_reply("Hmm…", delay=2000), _reply("Got it", delay="1500"), _reply("!")])
    assert rendered.answer is None
    assert rendered.calls == [
        _typing(),
        _send(_text("Hmm…"), wait_ms=2000),
        _typing(),
        _send(_text("Got it"), wait_ms=1500),
        _send(_text("!")),
    ]


@pytest.mark.parametrize("delay", [0, -5, "soon", None, True, float("inf"), float("nan")])
def test_no_positive_number_no_delay(delay: Any) -> None:
    rendered = _render([_reply("a", delay=delay), _reply("b", delay=delay)])
    assert rendered.answer == _answer(_text("a"))
    assert rendered.calls == [_send(_text("b"))]


def test_a_push_is_all_send_events() -> None:
    rendered = _render([_reply("one"), _reply("two", delay=1000)], recipient=PUSH)
    assert rendered.answer is None
    assert rendered.calls == [_send(_text("one")), _typing(), _send(_text("two"), wait_ms=1000)]


def test_nothing_to_send() -> None:
    rendered = _render([])
    assert (rendered.answer, rendered.calls, _notes(rendered)) == (None, [], [])


def test_a_late_turn_sends_its_answer_by_the_send_api() -> None:
    rendered = _render([_reply("one"), _reply("two", delay=1000)], [_button("Yes", "yes")])
    event = InboundEvent(USER, InboundMessage(USER, "text", text="hi", channel="navertalk"))
    assert navertalk.time_limit(SETTINGS, event) is None
    ack = navertalk.late_acknowledgement(SETTINGS, event, "Sorry, something went wrong.")
    assert (ack.status, ack.body) == (200, b"")
    quick = {"quickReply": {"buttonList": [_text_button("Yes", "yes")]}}
    late = navertalk.late_calls(SETTINGS, rendered, event)
    assert late == [_send(_text("one")), _typing(), _send(_text("two", **quick), wait_ms=1000)]
    # the same as a push rendering of the same replies
    pushed = _render([_reply("one"), _reply("two", delay=1000)], [_button("Yes", "yes")], PUSH)
    assert late == pushed.calls
    nothing = navertalk.late_calls(SETTINGS, _render([]), event)
    assert nothing == []


def test_nta_builds_the_same_messages() -> None:
    pytest.importorskip("nta")
    from nta.models.buttons import ButtonLink, ButtonText  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from nta.models.payload import GenericPayload  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from nta.models.template import Composite, CompositeContent, QuickReply  # type: ignore[import-untyped,import-not-found,unused-ignore]

    card = _card(
        "Pikachu",
        _button("Choose", "pika"),
        {"type": "link", "label": "Pokédex", "uri": "https://pokemon.com"},
        description="Electric",
        media={"uri": IMAGE},
    )
    rendered = _render([{"type": "cards", "cards": [card]}], [_button("Yes", "yes")], PUSH)
    [call] = rendered.calls
    content = CompositeContent(
        [
            Composite(
                "Pikachu",
                description="Electric",
                image=IMAGE,
                button_list=[
                    ButtonText("Choose", "pika"),
                    ButtonLink("Pokédex", "https://pokemon.com", mobile_url="https://pokemon.com"),
                ],
            )
        ],
        quick_reply=QuickReply([ButtonText("Yes", "yes")]),
    )
    payload = GenericPayload(content, user=USER).as_json_dict()
    del payload["options"]
    assert _without_none(payload) == call.body


# --- the round trip: play the platform ---------------------------------------------


def _resolve(event: InboundEvent, store: Mapping[str, str]) -> InboundMessage:
    """What the server makes of a click (ConversationService._resolve_click)."""
    message = event.message
    if event.click_key is None:
        return message
    record = store.get(event.click_key)
    click = clicks.decode_record(record) if record is not None else None
    assert click is not None, f"the stored record does not resolve: {record!r}"
    return clicks.resolved(message, click)


def _tap(button: Mapping[str, Any], store: Mapping[str, str]) -> InboundMessage:
    """The send event TalkTalk posts for a tap on this TEXT button, verified, parsed, resolved."""
    assert button["type"] == "TEXT"
    data = button["data"]
    # "TEXT 타입 버튼 - 사용자가 클릭하면 해당 버튼의 텍스트가 전송된다", with the code
    event = {
        "event": "send",
        "user": USER,
        "textContent": {"text": data["title"], "code": data["code"], "inputType": "button"},
        "options": {"mobile": True},
    }
    body = json.dumps(event, ensure_ascii=False).encode()
    request = WebhookRequest("POST", {}, {}, body, client="117.52.141.200", path_token=TOKEN)
    navertalk.verify(SETTINGS, request)
    [parsed] = navertalk.parse(request).events
    assert parsed.user_key == USER
    return _resolve(parsed, store)


def _round_trip(button: dict[str, Any]) -> tuple[dict[str, Any], InboundMessage, Rendered]:
    rendered = _render([_reply("Pick", buttons=[button])])
    [composite] = _only(rendered)["compositeContent"]["compositeList"]
    [shown] = composite["buttonList"]
    return shown, _tap(shown, rendered.payload_keys), rendered


def _long_payload(size: int = 1000) -> str:
    payload = json.dumps({"pokemon": "pikachu", "moves": ["thunderbolt"], "note": ""})
    payload = payload[:-2] + "x" * (size - len(payload)) + '"}'
    assert len(payload) == size and json.loads(payload)["pokemon"] == "pikachu"
    return payload


def test_a_1000_character_json_payload_travels_in_the_code() -> None:
    payload = _long_payload()
    shown, message, rendered = _round_trip(_button("Pikachu", payload))
    assert shown == _text_button("Pikachu", payload)  # the code holds 1,000 characters
    assert dict(rendered.payload_keys) == {}
    assert (message.type, message.payload, message.text, message.goto) == (
        "postback",
        payload,
        "Pikachu",
        None,
    )


def test_a_1000_character_payload_with_a_cut_title_goes_by_key() -> None:
    payload = _long_payload()
    shown, message, rendered = _round_trip(_button(LONG, payload))
    assert shown["data"]["title"] == CUT
    assert shown["data"]["code"].startswith("~fb:k:")
    assert len(rendered.payload_keys) == 1
    assert (message.type, message.payload, message.text) == ("postback", payload, LONG)


def test_a_payload_over_the_code_goes_by_key() -> None:
    shown, message, _ = _round_trip(_button("Pikachu", "x" * 1001))
    assert shown["data"]["code"].startswith("~fb:k:")
    assert message.payload == "x" * 1001


def test_a_payload_less_button_is_its_label_as_text() -> None:
    shown, message, rendered = _round_trip(_button(LONG))
    assert shown == _text_button(CUT, f"~fb:t:{LONG}")
    assert dict(rendered.payload_keys) == {}
    assert (message.type, message.text, message.payload) == ("postback", LONG, None)


def test_goto_buttons_survive_the_platform() -> None:
    goto = {"type": "goto", "label": "Start over", "flowId": 2, "nodeId": "4"}
    _, message, _ = _round_trip(goto)
    assert (message.goto, message.text, message.payload) == (
        GotoTarget("2", "4"),
        "Start over",
        None,
    )
    long_goto = {"type": "goto", "label": "메뉴" * 300, "flowId": "menu", "nodeId": "n" * 400}
    shown, message, _ = _round_trip(long_goto)
    assert shown["data"]["code"].startswith("~fb:k:")
    assert (message.goto, message.text) == (GotoTarget("menu", "n" * 400), "메뉴" * 300)


def test_a_payload_that_looks_like_flowbots_goes_by_key() -> None:
    for payload in ("~fb:n", "~fb:k:AbCdEfGhIjKlMnOpQrStUv", '~fb:g:{"f":1}', "~fb:", ""):
        shown, message, _ = _round_trip(_button("Choose", payload))
        assert shown["data"]["code"].startswith("~fb:k:")
        assert (message.payload, message.goto) == (payload, None)


def test_the_same_button_has_the_same_key() -> None:
    first, _, _ = _round_trip(_button(LONG, "pika"))
    again, _, _ = _round_trip(_button(LONG, "pika"))
    assert first == again
    other = navertalk.render(
        [_reply("Pick", buttons=[_button(LONG, "pika")])], [], Recipient("other-bot", USER)
    )
    assert other.answer is not None
    [composite] = other.answer["compositeContent"]["compositeList"]
    assert composite["buttonList"][0] != first


def test_a_quick_reply_survives_the_platform() -> None:
    payload = _long_payload()
    rendered = _render([_reply("Pick")], [_button("Pikachu", payload), _button(LONG)])
    buttons = _only(rendered)["textContent"]["quickReply"]["buttonList"]
    assert _tap(buttons[0], rendered.payload_keys).payload == payload
    said = _tap(buttons[1], rendered.payload_keys)
    assert (said.text, said.payload) == (LONG, None)


def test_a_card_button_survives_the_platform() -> None:
    card = _card(LONG, _button(LONG, "card-payload"), description="d")
    rendered = _render([{"type": "cards", "cards": [card, card]}])
    composites = _only(rendered)["compositeContent"]["compositeList"]
    message = _tap(composites[1]["buttonList"][0], rendered.payload_keys)
    assert (message.payload, message.text) == ("card-payload", LONG)


_payloads = st.one_of(
    st.text(max_size=1000),
    st.text(max_size=996).map(lambda text: "~fb:" + text),
    st.sampled_from(["~fb:n", "~fb:t:label", '~fb:g:{"f":1}', "~fb:k:" + "A" * 22]),
)


@given(_payloads)
@example("")
@example("~fb:n")
@example("x" * 1000)
@example('"' * 1000)
@example("\x00" * 1000)
@example("\u2028\ud7ff\U0010ffff" * 300)
def test_any_payload_survives_the_platform(payload: str) -> None:
    shown, message, rendered = _round_trip(_button("Choose", payload))
    assert (message.type, message.payload, message.goto, message.text) == (
        "postback",
        payload,
        None,
        "Choose",
    )
    if payload and len(payload) <= 1000 and not payload.startswith("~fb:"):
        assert shown["data"]["code"] == payload
        assert dict(rendered.payload_keys) == {}
    else:
        assert shown["data"]["code"].startswith("~fb:k:") and len(rendered.payload_keys) == 1


@given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=40)))
def test_any_label_survives_the_platform(label: str, payload: str | None) -> None:
    _, message, _ = _round_trip(_button(label, payload))
    assert message.text == label
    assert message.payload == payload


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(
        [
            *(IMAGE, "http://a.b/c.png", "tel:021234567", "tel:", "mailto:a@b.c", "http://[x"),
            *("video", "image", "link", "goto", "postback", "operator", "~fb:n", "~fb:t:x"),
            *("a" * 1001, "가" * 25, ""),
        ]
    ),
)
_button_values = st.dictionaries(
    st.sampled_from(["type", "label", "payload", "uri", "flowId", "nodeId"]), _values, max_size=5
)
_button_lists = st.lists(_button_values | _values, max_size=12)
_media_values = st.fixed_dictionaries({"uri": _values}, optional={"contentType": _values})
_card_values = st.fixed_dictionaries(
    {},
    optional={
        "title": _values,
        "description": _values,
        "media": _media_values | _values,
        "uri": _values,
        "buttons": _button_lists | _values,
    },
)
_replies = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("text")},
        optional={"text": _values, "buttons": _button_lists | _values, "delay": _values},
    ),
    st.fixed_dictionaries(
        {"type": st.just("cards"), "cards": st.lists(_card_values | _values, max_size=12)},
        optional={"delay": _values},
    ),
    st.fixed_dictionaries({"type": st.just("media")}, optional={"media": _media_values | _values}),
    st.fixed_dictionaries(
        {"type": st.just("location")},
        optional={"latitude": _values, "longitude": _values, "label": _values},
    ),
    st.dictionaries(st.sampled_from(["type", "text", "cards"]), _values, max_size=3),
)


@given(
    st.lists(_replies, max_size=4),
    st.lists(_button_values, max_size=12),
    st.sampled_from([WHO, PUSH]),
)
def test_any_replies_render_within_talktalks_rules(
    replies: list[dict[str, Any]], quick: list[dict[str, Any]], recipient: Recipient
) -> None:
    # _render checks every message against the README's rules (and nta's templates)
    rendered = _render(replies, quick, recipient)
    for key, record in rendered.payload_keys.items():
        assert clicks.payload_key(SCOPE, record) == key
