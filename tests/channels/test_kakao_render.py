"""KakaoTalk's rendering as pure functions: exact SkillResponses, rebuilt with the SDK.

Every rendering goes through `_render`, which checks the answer twice: the
`kakao-chatbot` SDK rebuilds it from its own components (`KakaoResponse`,
`TextCardComponent`, `Button`…), which validate types, the 3 outputs, the
10 quick replies and one type per carousel, and must render exactly the same
JSON; `_check_kakao_rules` adds the limits Kakao's reference documents
("응답 타입별 JSON 포맷",
https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format).
Clicks are played back as Kakao sends them: the button's `messageText` as
the utterance, its `extra` as `action.clientExtra`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kakao_chatbot.response import KakaoResponse, QuickReply
from kakao_chatbot.response.components import (
    BasicCardComponent,
    Button,
    CarouselComponent,
    Link,
    SimpleImageComponent,
    SimpleTextComponent,
    TextCardComponent,
    Thumbnail,
)

from flowbot.channels import (
    Degradation,
    InboundEvent,
    Recipient,
    Rendered,
    WebhookRequest,
    clicks,
    kakao,
)
from flowbot.engine import GotoTarget, InboundMessage

USER = "c1b0e7e52bbd8d7f6b5c4a3e2f1d0c9b8a7f6e5d4c3b2a1f0e9"
RECIPIENT = Recipient("pokemon", USER)
TOKEN = "Zx8Qm3vR7tLp2WkN9aBc4DeF"
SETTINGS = kakao.Settings(path_token=TOKEN)
IMAGE = "https://example.com/pikachu.png"
OTHER_IMAGE = "https://example.com/raichu.png"


# --- Kakao's rules --------------------------------------------------------------------


def _check_button(button: Mapping[str, Any], where: str, *, quick: bool = False) -> None:
    label_limit = 14
    assert 1 <= len(button["label"]) <= label_limit, where
    action = button["action"]
    if quick:
        assert action == "message", f"{where}: a quick reply is a message or a block"
    if action == "message":
        assert isinstance(button["messageText"], str) and button["messageText"], where
    elif action == "webLink":
        assert button["webLinkUrl"].partition(":")[0] in ("http", "https"), where
    elif action == "phone":
        assert button["phoneNumber"], where
    else:
        assert action == "operator", f"{where}: unexpected action {action}"
    assert set(button) <= {"label", "action", "messageText", "webLinkUrl", "phoneNumber", "extra"}
    if "extra" in button:
        assert action == "message", f"{where}: extra rides on message actions"
        assert set(button["extra"]) == {"flowbot"}, where
        assert 1 <= len(button["extra"]["flowbot"]) <= 1000, where


def _check_buttons(card: Mapping[str, Any], where: str) -> None:
    if "buttons" in card:
        assert 1 <= len(card["buttons"]) <= 3, where
        for b, button in enumerate(card["buttons"]):
            _check_button(button, f"{where}.buttons[{b}]")


def _check_text_card(card: Mapping[str, Any], where: str, *, carousel: bool) -> None:
    assert set(card) <= {"title", "description", "buttons"}, where
    assert "title" in card or "description" in card, f"{where}: a title or a description"
    title, description = card.get("title", ""), card.get("description", "")
    assert len(title) <= 50, where
    if carousel:
        assert len(description) <= 128, where
    else:
        assert len(title) + len(description) <= 400, where
    _check_buttons(card, where)


def _check_basic_card(card: Mapping[str, Any], where: str) -> None:
    assert set(card) <= {"title", "description", "thumbnail", "buttons"}, where
    thumbnail = card["thumbnail"]  # required
    assert thumbnail["imageUrl"].partition(":")[0] in ("http", "https"), where
    if "link" in thumbnail:
        assert thumbnail["link"]["web"].partition(":")[0] in ("http", "https"), where
    assert len(card.get("title", "")) <= 50, where
    assert len(card.get("description", "")) <= 230, where
    _check_buttons(card, where)


def _check_output(output: Mapping[str, Any], where: str) -> None:
    [(kind, body)] = output.items()
    if kind == "simpleText":
        assert 1 <= len(body["text"]) <= 1000, where
    elif kind == "simpleImage":
        assert body["imageUrl"].partition(":")[0] in ("http", "https"), where
        assert len(body.get("altText", "")) <= 50, where
    elif kind == "textCard":
        _check_text_card(body, where, carousel=False)
    elif kind == "basicCard":
        _check_basic_card(body, where)
    elif kind == "carousel":
        assert body["type"] in ("basicCard", "textCard"), where
        assert 1 <= len(body["items"]) <= 10, where
        for i, item in enumerate(body["items"]):
            if body["type"] == "basicCard":
                _check_basic_card(item, f"{where}.items[{i}]")
            else:
                _check_text_card(item, f"{where}.items[{i}]", carousel=True)
    else:
        raise AssertionError(f"{where}: unexpected output {kind}")


def _check_kakao_rules(answer: Mapping[str, Any]) -> None:
    assert answer["version"] == "2.0"
    template = answer["template"]
    assert set(template) <= {"outputs", "quickReplies"}
    outputs = template["outputs"]
    # 1 to 3 outputs; none only for a turn with nothing to show (see kakao_messages)
    assert len(outputs) <= 3
    assert outputs or "quickReplies" not in template
    for o, output in enumerate(outputs):
        _check_output(output, f"outputs[{o}]")
    quick = template.get("quickReplies")
    if quick is not None:
        assert 1 <= len(quick) <= 10
        for q, item in enumerate(quick):
            _check_button(item, f"quickReplies[{q}]", quick=True)
    json.dumps(answer, allow_nan=False)  # what goes on the wire


# --- the SDK's reading ----------------------------------------------------------------


def _sdk_button(button: Mapping[str, Any]) -> Button:
    return Button(
        label=button["label"],
        action=button["action"],
        web_link_url=button.get("webLinkUrl"),
        message_text=button.get("messageText"),
        phone_number=button.get("phoneNumber"),
        extra=button.get("extra"),
    )


def _sdk_text_card(card: Mapping[str, Any]) -> TextCardComponent:
    buttons = [_sdk_button(b) for b in card.get("buttons", [])] or None
    return TextCardComponent(card.get("title"), card.get("description"), buttons)


def _sdk_basic_card(card: Mapping[str, Any]) -> BasicCardComponent:
    thumbnail = card["thumbnail"]
    link = Link(web=thumbnail["link"]["web"]) if "link" in thumbnail else None
    buttons = [_sdk_button(b) for b in card.get("buttons", [])] or None
    return BasicCardComponent(
        Thumbnail(thumbnail["imageUrl"], link=link),
        card.get("title"),
        card.get("description"),
        buttons,
    )


def _sdk_output(output: Mapping[str, Any]) -> Any:
    [(kind, body)] = output.items()
    if kind == "simpleText":
        return SimpleTextComponent(body["text"])
    if kind == "simpleImage":
        return SimpleImageComponent(body["imageUrl"], body["altText"])
    if kind == "textCard":
        return _sdk_text_card(body)
    if kind == "basicCard":
        return _sdk_basic_card(body)
    assert kind == "carousel"
    build = _sdk_basic_card if body["type"] == "basicCard" else _sdk_text_card
    return CarouselComponent(*[build(item) for item in body["items"]])


def _check_with_sdk(answer: Mapping[str, Any]) -> None:
    """The SDK builds the same SkillResponse from its components (and validates them)."""
    response = KakaoResponse()
    for output in answer["template"]["outputs"]:
        response.add_component(_sdk_output(output))
    for item in answer["template"].get("quickReplies", []):
        response.add_quick_reply(
            QuickReply(item["label"], item["action"], item["messageText"], extra=item.get("extra"))
        )
    if not answer["template"]["outputs"]:
        assert response.get_dict() == {"version": "2.0"}  # the SDK writes no empty template
        return
    assert response.get_dict() == answer


def _render(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]] = (),
    recipient: Recipient = RECIPIENT,
    **caps: Any,
) -> Rendered:
    """`kakao.render`, the answer checked with the SDK and Kakao's rules."""
    capabilities = replace(kakao.capabilities, **caps) if caps else kakao.capabilities
    rendered = kakao.render(replies, quick_replies, recipient, capabilities)
    assert rendered.calls == ()
    assert rendered.answer is not None
    _check_with_sdk(rendered.answer)
    _check_kakao_rules(rendered.answer)
    return rendered


def _notes(rendered: Rendered) -> list[str]:
    return [str(note) for note in rendered.notes]


def _outputs(rendered: Rendered) -> list[dict[str, Any]]:
    assert rendered.answer is not None
    outputs = rendered.answer["template"]["outputs"]
    assert isinstance(outputs, list)
    return outputs


def _only(rendered: Rendered) -> dict[str, Any]:
    [output] = _outputs(rendered)
    return output


def _quick(rendered: Rendered) -> list[dict[str, Any]]:
    assert rendered.answer is not None
    quick = rendered.answer["template"]["quickReplies"]
    assert isinstance(quick, list)
    return quick


def _text(text: str, **fields: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, **fields}


def _simple(text: str) -> dict[str, Any]:
    return {"simpleText": {"text": text}}


def _button(label: str, payload: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "postback", "label": label}
    if payload is not None:
        button["payload"] = payload
    return button


def _said(label: str, text: str | None = None, extra: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"label": label, "action": "message", "messageText": text or label}
    if extra is not None:
        action["extra"] = {"flowbot": extra}
    return action


def _card(title: str, *buttons: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"title": title, "buttons": list(buttons), **fields}


def _image(uri: str = IMAGE) -> dict[str, Any]:
    return {"contentType": "image", "uri": uri}


@pytest.mark.parametrize(
    "answer",
    [
        {"version": "2.0", "template": {"outputs": [_simple("x")] * 4}},
        {"version": "2.0", "template": {"outputs": [_simple("x" * 1001)]}},
        {"version": "2.0", "template": {"outputs": [{"textCard": {"buttons": []}}]}},
        {"version": "2.0", "template": {"outputs": [{"basicCard": {"title": "no image"}}]}},
        {
            "version": "2.0",
            "template": {"outputs": [_simple("x")], "quickReplies": [_said("q")] * 11},
        },
        {
            "version": "2.0",
            "template": {
                "outputs": [{"textCard": {"description": "d", "buttons": [_said("x" * 15)]}}]
            },
        },
    ],
)
def test_the_checks_refuse_what_kakao_would(answer: dict[str, Any]) -> None:
    with pytest.raises((AssertionError, ValueError, KeyError, TypeError)):
        _check_with_sdk(answer)
        _check_kakao_rules(answer)


# --- texts and buttons ----------------------------------------------------------------


def test_a_plain_text_is_a_simple_text() -> None:
    rendered = _render([_text("안녕하세요, 트레이너님!")])
    assert rendered.answer == {
        "version": "2.0",
        "template": {"outputs": [_simple("안녕하세요, 트레이너님!")]},
    }
    assert dict(rendered.payload_keys) == {}
    assert _notes(rendered) == []


def test_a_text_over_1000_characters_is_cut() -> None:
    rendered = _render([_text("가" * 1001)])
    assert _only(rendered) == _simple("가" * 999 + "…")
    assert _notes(rendered) == ["replies[0].text: cut from 1001 to 1000 characters"]
    assert _only(_render([_text("가" * 1000)])) == _simple("가" * 1000)


def test_a_text_with_buttons_is_a_text_card() -> None:
    buttons = [
        _button("Pikachu", '{"pokemon": "pikachu"}'),
        _button("Tell me more"),
        {"type": "link", "label": "Write us", "uri": "mailto:oak@pokemon.com"},
        {"type": "link", "label": "Pokédex", "uri": "https://www.pokemon.com/us/pokedex"},
    ]
    rendered = _render([_text("Choose one", buttons=buttons)])
    assert _only(rendered) == {
        "textCard": {
            "description": "Choose one",
            "buttons": [
                _said("Pikachu", extra='{"pokemon": "pikachu"}'),
                _said("Tell me more"),
                {
                    "label": "Pokédex",
                    "action": "webLink",
                    "webLinkUrl": "https://www.pokemon.com/us/pokedex",
                },
            ],
        }
    }
    assert rendered.notes == [
        Degradation(0, "buttons[2]", "Kakao cannot open a mailto link: dropped")
    ]
    assert dict(rendered.payload_keys) == {}


def test_a_tel_link_is_a_phone_button_and_operator_is_kakaos_consultation() -> None:
    buttons = [
        {"type": "link", "label": "전화하기", "uri": "tel:354-86-00070"},
        {"type": "operator", "label": "상담원 연결"},
        {"type": "link", "label": "bare", "uri": "pokemon.com"},
        {"type": "link", "label": "no number", "uri": "tel:"},
    ]
    rendered = _render([_text("", buttons=buttons)])
    assert _only(rendered) == {
        "textCard": {
            "description": "…",
            "buttons": [
                {"label": "전화하기", "action": "phone", "phoneNumber": "354-86-00070"},
                {"label": "상담원 연결", "action": "operator"},
            ],
        }
    }
    assert _notes(rendered) == [
        "replies[0].buttons[2]: Kakao cannot open a bare link: dropped",
        "replies[0].buttons[3]: Kakao cannot open a tel link: dropped",
    ]


def test_at_most_three_buttons() -> None:
    buttons = [_button(f"Option {n}", f"p{n}") for n in range(5)]
    rendered = _render([_text("Pick", buttons=buttons)])
    assert _only(rendered)["textCard"]["buttons"] == [
        _said(f"Option {n}", extra=f"p{n}") for n in range(3)
    ]
    assert _notes(rendered) == ["replies[0].buttons: 2 buttons over the limit of 3 dropped"]


def test_a_text_with_buttons_has_400_characters() -> None:
    rendered = _render([_text("가" * 401, buttons=[_button("OK")])])
    assert _only(rendered)["textCard"]["description"] == "가" * 399 + "…"
    assert _notes(rendered) == ["replies[0].text: cut from 401 to 400 characters"]


def test_a_long_label_is_cut_and_said_whole() -> None:
    label = "피카츄 백만볼트 발사하기 지금 바로"  # 19 characters
    rendered = _render([_text("Pick", buttons=[_button(label, "p1"), _button(label)])])
    shown = label[:13] + "…"
    assert _only(rendered)["textCard"]["buttons"] == [
        _said(shown, label, extra="p1"),
        _said(shown, label),
    ]
    assert _notes(rendered) == [
        "replies[0].buttons[0].label: cut from 19 to 14 characters",
        "replies[0].buttons[1].label: cut from 19 to 14 characters",
    ]
    # the full label comes back as the utterance: the payload needs no key
    assert dict(rendered.payload_keys) == {}


def test_an_empty_label_and_an_empty_text() -> None:
    rendered = _render([_text("", buttons=[_button("")])])
    assert _only(rendered) == {"textCard": {"description": "…", "buttons": [_said("…")]}}


def test_an_empty_text_and_unknown_messages_are_dropped() -> None:
    rendered = _render([_text(""), {"type": "sticker"}, {"text": "no type"}, _text("kept")])
    assert _outputs(rendered) == [_simple("kept")]
    assert _notes(rendered) == [
        "replies[0].text: an empty text cannot be sent: dropped",
        "replies[1].type: a 'sticker' message cannot be sent: dropped",
        "replies[2].type: a None message cannot be sent: dropped",
    ]


def test_a_goto_button_carries_its_target() -> None:
    goto = {"type": "goto", "label": "처음으로", "flowId": "2", "nodeId": "4"}
    entry = {"type": "goto", "label": "Menu", "flowId": 7}
    rendered = _render([_text("Menu", buttons=[goto, entry])])
    assert _only(rendered)["textCard"]["buttons"] == [
        _said("처음으로", extra='~fb:g:{"f":"2","n":"4","t":"처음으로"}'),
        _said("Menu", extra='~fb:g:{"f":7,"n":null,"t":"Menu"}'),
    ]


def test_a_text_whose_buttons_are_all_dropped_is_a_simple_text() -> None:
    buttons = [{"type": "link", "label": "Mail", "uri": "mailto:a@b.c"}]
    rendered = _render([_text("Write us", buttons=buttons)])
    assert _only(rendered) == _simple("Write us")


# --- cards ------------------------------------------------------------------------------


def test_one_card_with_an_image_is_a_basic_card() -> None:
    card = _card(
        "보물상자",
        _button("열어보기", "open"),
        {"type": "link", "label": "구경하기", "uri": "https://e.kakao.com/t/hello-ryan"},
        description="보물상자 안에는 뭐가 있을까",
        media=_image(),
        uri="https://pokemon.com/box",
    )
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert _only(rendered) == {
        "basicCard": {
            "title": "보물상자",
            "description": "보물상자 안에는 뭐가 있을까",
            "thumbnail": {"imageUrl": IMAGE, "link": {"web": "https://pokemon.com/box"}},
            "buttons": [
                _said("열어보기", extra="open"),
                {
                    "label": "구경하기",
                    "action": "webLink",
                    "webLinkUrl": "https://e.kakao.com/t/hello-ryan",
                },
            ],
        }
    }
    assert _notes(rendered) == []


def test_a_basic_card_cuts_its_title_to_50_and_description_to_230() -> None:
    card = {"title": "T" * 51, "description": "D" * 231, "media": _image()}
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert _only(rendered) == {
        "basicCard": {
            "title": "T" * 49 + "…",
            "description": "D" * 229 + "…",
            "thumbnail": {"imageUrl": IMAGE},
        }
    }
    assert _notes(rendered) == [
        "replies[0].cards[0].title: cut from 51 to 50 characters",
        "replies[0].cards[0].description: cut from 231 to 230 characters",
    ]


def test_one_card_without_an_image_is_a_text_card() -> None:
    card = _card("Pikachu", _button("Choose", "pikachu"), description="Electric type")
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert _only(rendered) == {
        "textCard": {
            "title": "Pikachu",
            "description": "Electric type",
            "buttons": [_said("Choose", extra="pikachu")],
        }
    }


def test_a_text_card_shows_title_and_description_in_400_characters() -> None:
    card = {"title": "T" * 50, "description": "D" * 400}
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert _only(rendered) == {"textCard": {"title": "T" * 50, "description": "D" * 349 + "…"}}
    assert _notes(rendered) == ["replies[0].cards[0].description: cut from 400 to 350 characters"]
    fits = {"title": "T" * 50, "description": "D" * 350}
    assert _notes(_render([{"type": "cards", "cards": [fits]}])) == []


def test_a_text_card_opens_no_link_and_a_card_needs_a_text() -> None:
    card = {"uri": "https://pokemon.com", "media": _image("/media/bot/a.png")}
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert _only(rendered) == {"textCard": {"description": "…"}}
    assert _notes(rendered) == [
        "replies[0].cards[0].media: Kakao needs an http(s) image URL: dropped",
        "replies[0].cards[0].uri: a Kakao text card opens no link: dropped",
    ]


def test_a_card_video_and_a_card_mailto_link_are_dropped() -> None:
    card = {
        "title": "t",
        "media": {"contentType": "video", "uri": "https://x/v.mp4"},
        "uri": "mailto:a@b.c",
    }
    rendered = _render([{"type": "cards", "cards": [card, {**card, "media": _image()}]}])
    assert _notes(rendered) == [
        "replies[0].cards[0].media: a card shows images only: dropped",
        "replies[0].cards: images dropped: some cards have none",
        "replies[0].cards[0].uri: a Kakao text card opens no link: dropped",
        "replies[0].cards[1].uri: a Kakao text card opens no link: dropped",
    ]
    single = _render([{"type": "cards", "cards": [{**card, "media": _image()}]}])
    assert _only(single) == {"basicCard": {"title": "t", "thumbnail": {"imageUrl": IMAGE}}}
    assert _notes(single) == ["replies[0].cards[0].uri: Kakao cannot open this link: dropped"]


def test_a_card_takes_three_buttons() -> None:
    buttons = [_button(f"B{n}", str(n)) for n in range(4)]
    cards = [_card("A", *buttons, media=_image()), _card("B", *buttons, media=_image())]
    rendered = _render([{"type": "cards", "cards": cards}])
    items = _only(rendered)["carousel"]["items"]
    assert [item["buttons"] for item in items] == [
        [_said(f"B{n}", extra=str(n)) for n in range(3)]
    ] * 2
    assert _notes(rendered) == [
        "replies[0].cards[0].buttons: 1 buttons over the limit of 3 dropped",
        "replies[0].cards[1].buttons: 1 buttons over the limit of 3 dropped",
    ]
    single = _render([{"type": "cards", "cards": [_card("A", *buttons)]}])
    assert len(_only(single)["textCard"]["buttons"]) == 3


def test_cards_with_images_are_a_basic_card_carousel() -> None:
    cards = [
        _card("보물상자", _button("열어보기", "1"), description="안에는?", media=_image()),
        _card("보물상자2", media=_image(OTHER_IMAGE), uri="https://pokemon.com/2"),
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    assert _only(rendered) == {
        "carousel": {
            "type": "basicCard",
            "items": [
                {
                    "title": "보물상자",
                    "description": "안에는?",
                    "thumbnail": {"imageUrl": IMAGE},
                    "buttons": [_said("열어보기", extra="1")],
                },
                {
                    "title": "보물상자2",
                    "thumbnail": {
                        "imageUrl": OTHER_IMAGE,
                        "link": {"web": "https://pokemon.com/2"},
                    },
                },
            ],
        }
    }
    assert _notes(rendered) == []


def test_a_carousel_of_cards_some_without_images_is_text_cards() -> None:
    cards = [
        _card("Pikachu", _button("Choose", "p"), description="Electric", media=_image()),
        _card("Bulbasaur", _button("Choose", "b"), description="B" * 129),
        {"description": "no title"},
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    assert _only(rendered) == {
        "carousel": {
            "type": "textCard",
            "items": [
                {
                    "title": "Pikachu",
                    "description": "Electric",
                    "buttons": [_said("Choose", extra="p")],
                },
                {
                    "title": "Bulbasaur",
                    "description": "B" * 127 + "…",
                    "buttons": [_said("Choose", extra="b")],
                },
                {"description": "no title"},
            ],
        }
    }
    assert _notes(rendered) == [
        "replies[0].cards: images dropped: some cards have none",
        "replies[0].cards[1].description: cut from 129 to 128 characters",
    ]


def test_eleven_cards_are_a_carousel_of_ten_and_a_card() -> None:
    cards = [_card(f"Card {n}", _button("Pick", str(n))) for n in range(12)]
    rendered = _render([{"type": "cards", "cards": cards[:11]}])
    first, second = _outputs(rendered)
    assert first["carousel"]["type"] == "textCard"
    assert [item["title"] for item in first["carousel"]["items"]] == [
        f"Card {n}" for n in range(10)
    ]
    # a carousel of one would be a card alone: it is one
    assert second == {"textCard": {"title": "Card 10", "buttons": [_said("Pick", extra="10")]}}
    assert _notes(rendered) == ["replies[0].cards: 11 cards split into carousels of 10"]
    assert _outputs(_render([{"type": "cards", "cards": cards[:10]}])) == [first]
    twelve = _outputs(_render([{"type": "cards", "cards": cards}]))
    assert [len(output["carousel"]["items"]) for output in twelve] == [10, 2]


def test_a_row_without_carousels_sends_each_card_alone() -> None:
    cards = [_card("A", media=_image()), _card("B")]
    rendered = _render([{"type": "cards", "cards": cards}], carousel=False)
    assert _outputs(rendered) == [
        {"basicCard": {"title": "A", "thumbnail": {"imageUrl": IMAGE}}},
        {"textCard": {"title": "B"}},
    ]
    assert _notes(rendered) == ["replies[0].cards: no carousel: 2 cards sent one by one"]


def test_no_cards_are_dropped() -> None:
    for reply in ({"type": "cards", "cards": []}, {"type": "cards"}, {"type": "cards", "cards": 5}):
        rendered = _render([reply])
        assert _outputs(rendered) == []
        assert _notes(rendered) == ["replies[0].cards: no cards: dropped"]


# --- media and locations ---------------------------------------------------------------


def test_an_image_is_a_simple_image() -> None:
    rendered = _render([{"type": "media", "media": _image()}])
    assert _only(rendered) == {"simpleImage": {"imageUrl": IMAGE, "altText": "이미지"}}
    assert _notes(rendered) == []
    titled = _render([{"type": "media", "media": {"uri": IMAGE, "title": "피카츄" * 20}}])
    assert _only(titled)["simpleImage"]["altText"] == ("피카츄" * 20)[:49] + "…"


@pytest.mark.parametrize(
    ("media", "note"),
    [
        (
            {"contentType": "video", "uri": "https://x/v.mp4"},
            "replies[0].media.contentType: 'video' media sent as a link",
        ),
        (
            {"contentType": "audio", "uri": "https://x/a.mp3"},
            "replies[0].media.contentType: 'audio' media sent as a link",
        ),
        (
            {"contentType": "application/pdf", "uri": "https://x/a.pdf"},
            "replies[0].media.contentType: 'application/pdf' media sent as a link",
        ),
    ],
)
def test_other_media_are_a_link(media: dict[str, str], note: str) -> None:
    rendered = _render([{"type": "media", "media": media}])
    assert _only(rendered) == _simple(media["uri"])
    assert _notes(rendered) == [note]


@pytest.mark.parametrize(
    ("media", "note"),
    [
        (None, "replies[0].media: no media uri: dropped"),
        ({"contentType": "image"}, "replies[0].media: no media uri: dropped"),
        ({"uri": ""}, "replies[0].media: no media uri: dropped"),
        (
            {"uri": "/media/bot/a.png"},
            "replies[0].media.uri: Kakao needs an http(s) media URL: dropped",
        ),
        (
            {"uri": "data:image/png;base64,AAAA"},
            "replies[0].media.uri: Kakao needs an http(s) media URL: dropped",
        ),
    ],
)
def test_media_without_a_web_uri_is_dropped(media: Any, note: str) -> None:
    rendered = _render([{"type": "media", "media": media}])
    assert _outputs(rendered) == []
    assert _notes(rendered) == [note]


def test_a_location_is_a_text_card_with_a_map_link() -> None:
    reply = {"type": "location", "latitude": 37.5665, "longitude": 126.978, "label": "서울시청"}
    rendered = _render([reply])
    assert _only(rendered) == {
        "textCard": {
            "title": "서울시청",
            "description": "37.5665, 126.978",
            "buttons": [
                {
                    "label": "지도 보기",
                    "action": "webLink",
                    "webLinkUrl": "https://www.google.com/maps/search/?api=1&query=37.5665%2C126.978",
                }
            ],
        }
    }
    assert _notes(rendered) == ["replies[0]: Kakao has no location output: sent as a map link"]


def test_a_location_with_string_coordinates_and_a_long_label() -> None:
    reply = {"type": "location", "latitude": "37.5", "longitude": "127", "label": "L" * 60}
    card = _only(_render([reply]))["textCard"]
    assert (card["title"], card["description"]) == ("L" * 49 + "…", "37.5, 127.0")


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(None, 1), ("north", 1), (91, 1), (1, -181), (True, 1), (float("inf"), 1), (10**400, 1)],
)
def test_a_location_without_numeric_coordinates_is_dropped(latitude: Any, longitude: Any) -> None:
    rendered = _render([{"type": "location", "latitude": latitude, "longitude": longitude}])
    assert _outputs(rendered) == []
    assert _notes(rendered) == ["replies[0]: a location without numeric coordinates: dropped"]


# --- quick replies --------------------------------------------------------------------


def test_quick_replies_ride_on_the_template() -> None:
    quick = [
        _button("인기 메뉴", "popular"),
        _button("최근 주문"),
        {"type": "goto", "label": "처음으로", "flowId": "1"},
    ]
    rendered = _render([_text("무엇을 도와드릴까요?")], quick)
    assert rendered.answer == {
        "version": "2.0",
        "template": {
            "outputs": [_simple("무엇을 도와드릴까요?")],
            "quickReplies": [
                _said("인기 메뉴", extra="popular"),
                _said("최근 주문"),
                _said("처음으로", extra='~fb:g:{"f":"1","n":null,"t":"처음으로"}'),
            ],
        },
    }
    assert _notes(rendered) == []


def test_at_most_ten_quick_replies_of_14_characters() -> None:
    quick = [_button(f"Option {n}", str(n)) for n in range(12)]
    quick[0] = _button("가" * 31, "long")
    rendered = _render([_text("Pick")], quick)
    items = _quick(rendered)
    assert len(items) == 10
    assert items[0] == _said("가" * 13 + "…", "가" * 31, extra="long")
    assert items[1:] == [_said(f"Option {n}", extra=str(n)) for n in range(1, 10)]
    assert _notes(rendered) == [
        "quickReplies: 2 quick replies over the limit of 10 dropped",
        "quickReplies[0].label: cut from 31 to 14 characters",
    ]


def test_link_and_operator_quick_replies_are_dropped() -> None:
    quick = [
        {"type": "link", "label": "Site", "uri": "https://pokemon.com"},
        {"type": "operator", "label": "상담원"},
        _button("OK"),
    ]
    rendered = _render([_text("Pick")], quick)
    assert _quick(rendered) == [_said("OK")]
    assert _notes(rendered) == [
        "quickReplies[0]: a quick reply cannot be a link button: dropped",
        "quickReplies[1]: a quick reply cannot be a operator button: dropped",
    ]


def test_quick_replies_without_an_output_ride_on_an_ellipsis() -> None:
    rendered = _render([], [_button("Yes", "y")])
    assert rendered.answer == {
        "version": "2.0",
        "template": {"outputs": [_simple("…")], "quickReplies": [_said("Yes", extra="y")]},
    }
    assert _notes(rendered) == [
        "quickReplies: quick replies need a bubble to ride on: sent under …"
    ]


def test_nothing_to_show_is_an_empty_answer() -> None:
    rendered = _render([])
    assert rendered.answer == {"version": "2.0", "template": {"outputs": []}}
    assert _notes(rendered) == []
    assert dict(rendered.payload_keys) == {}


# --- one answer, three outputs ---------------------------------------------------------


def test_three_texts_stay_three_bubbles() -> None:
    rendered = _render([_text("one"), _text("two"), _text("three")])
    assert _outputs(rendered) == [_simple("one"), _simple("two"), _simple("three")]
    assert _notes(rendered) == []


def test_more_than_three_outputs_join_adjacent_texts() -> None:
    replies = [
        _text("one"),
        _text("two"),
        _text("Pick", buttons=[_button("A", "a")]),
        _text("three"),
        _text("four"),
        _text("five"),
    ]
    rendered = _render(replies)
    assert _outputs(rendered) == [
        _simple("one\n\ntwo"),
        {"textCard": {"description": "Pick", "buttons": [_said("A", extra="a")]}},
        _simple("three\n\nfour\n\nfive"),
    ]
    assert _notes(rendered) == [
        "replies[1]: joined to the text before it: Kakao shows 3 outputs",
        "replies[4]: joined to the text before it: Kakao shows 3 outputs",
        "replies[5]: joined to the text before it: Kakao shows 3 outputs",
    ]


def test_texts_are_joined_within_1000_characters() -> None:
    replies = [_text("a" * 500), _text("b" * 498), _text("c"), _text("d")]
    rendered = _render(replies)
    assert _outputs(rendered) == [_simple("a" * 500 + "\n\n" + "b" * 498), _simple("c\n\nd")]
    replies = [_text("a" * 600), _text("b" * 600), _text("c" * 600), _text("d" * 600)]
    rendered = _render(replies)
    assert _outputs(rendered) == [_simple(c * 600) for c in "abc"]
    assert _notes(rendered) == ["replies[3]: Kakao answers with at most 3 outputs: dropped"]


def test_outputs_past_the_third_are_dropped_with_a_note_per_reply() -> None:
    card = {"type": "cards", "cards": [_card("Card", _button("Pick", "k"))]}
    image = {"type": "media", "media": _image()}
    rendered = _render([_text("hello"), card, image, card, _text("bye"), image])
    assert _outputs(rendered) == [
        _simple("hello"),
        {"textCard": {"title": "Card", "buttons": [_said("Pick", extra="k")]}},
        {"simpleImage": {"imageUrl": IMAGE, "altText": "이미지"}},
    ]
    assert _notes(rendered) == [
        "replies[3]: Kakao answers with at most 3 outputs: dropped",
        "replies[4]: Kakao answers with at most 3 outputs: dropped",
        "replies[5]: Kakao answers with at most 3 outputs: dropped",
    ]


def test_a_reply_cut_in_two_by_the_limit() -> None:
    cards = [_card(c, _button("Pick", c)) for c in "ABCD"]
    rendered = _render([_text("hi"), {"type": "cards", "cards": cards}], carousel=False)
    assert [next(iter(o)) for o in _outputs(rendered)] == ["simpleText", "textCard", "textCard"]
    assert _notes(rendered) == [
        "replies[1].cards: no carousel: 4 cards sent one by one",
        "replies[1]: Kakao answers with at most 3 outputs: the rest of it is dropped",
    ]


def test_a_delay_is_ignored() -> None:
    rendered = _render([_text("one"), _text("two", delay=1500), _text("three", delay="x")])
    assert _outputs(rendered) == [_simple("one"), _simple("two"), _simple("three")]
    assert _notes(rendered) == ["replies[1].delay: Kakao answers once: the delay is ignored"]


def test_the_stored_keys_are_those_of_the_sent_buttons() -> None:
    replies = [_text("1"), _keyed("A"), _image_reply(), _keyed("B")]
    rendered = _render(replies)
    [kept] = [_extra(b) for b in _outputs(rendered)[1]["textCard"]["buttons"]]
    assert kept.startswith("~fb:k:")
    assert list(rendered.payload_keys) == [kept[len("~fb:k:") :]]


def _image_reply() -> dict[str, Any]:
    return {"type": "media", "media": _image()}


def _keyed(label: str) -> dict[str, Any]:
    return _text(label, buttons=[_button(label, "~fb:looks like ours")])


def _extra(button: Mapping[str, Any]) -> str:
    wire = button["extra"]["flowbot"]
    assert isinstance(wire, str)
    return wire


# --- play the platform: a click comes back -----------------------------------------------


def _skill_payload(button: Mapping[str, Any]) -> bytes:
    """The SkillPayload Kakao sends when the user taps this rendered button or quick reply."""
    payload = {
        "intent": {"id": "62654c249ac8ed78441532de", "name": "폴백 블록"},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"surface": "Kakaotalk.plusfriend"},
            "block": {"id": "62654c249ac8ed78441532de", "name": "폴백 블록"},
            "utterance": button["messageText"],
            "lang": "ko",
            "user": {"id": USER, "type": "botUserKey", "properties": {"botUserKey": USER}},
        },
        "bot": {"id": "5a548e36aea1a43fa851ecd9", "name": "포켓몬 봇"},
        "action": {
            "name": "flowbot",
            "clientExtra": button.get("extra"),
            "params": {},
            "id": "5a56ebaa211ee046633e958d",
            "detailParams": {},
        },
        "flow": {"trigger": {"type": "CARD_BUTTON_MESSAGE"}},
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def _resolve(event: InboundEvent, store: Mapping[str, str]) -> InboundMessage:
    """What the server makes of a click (ConversationService._resolve_click)."""
    if event.click_key is None:
        return event.message
    record = store.get(event.click_key)
    click = clicks.decode_record(record) if record is not None else None
    assert click is not None, f"the stored record does not resolve: {record!r}"
    return clicks.resolved(event.message, click)


def _tap(button: Mapping[str, Any], store: Mapping[str, str]) -> InboundMessage:
    request = WebhookRequest("POST", {}, {}, _skill_payload(button), path_token=TOKEN)
    kakao.verify(SETTINGS, request)
    [event] = kakao.parse(request).events
    assert event.user_key == USER
    return _resolve(event, store)


def _round_trip(
    button: Mapping[str, Any], *, quick: bool = False
) -> tuple[dict[str, Any], InboundMessage, Rendered]:
    if quick:
        rendered = _render([_text("Pick")], [button])
        [shown] = _quick(rendered)
    else:
        rendered = _render([_text("Pick", buttons=[button])])
        [shown] = _only(rendered)["textCard"]["buttons"]
    return shown, _tap(shown, rendered.payload_keys), rendered


def _long_payload(size: int = 1000) -> str:
    payload = json.dumps({"pokemon": "pikachu", "moves": ["thunderbolt"], "note": ""})
    payload = payload[:-2] + "x" * (size - len(payload)) + '"}'
    assert len(payload) == size and json.loads(payload)["pokemon"] == "pikachu"
    return payload


def test_a_1000_character_json_payload_rides_in_the_extra() -> None:
    payload = _long_payload()
    shown, message, rendered = _round_trip(_button("Pikachu", payload))
    assert _extra(shown) == payload
    assert dict(rendered.payload_keys) == {}
    assert (message.type, message.payload, message.text, message.goto) == (
        "postback",
        payload,
        "Pikachu",
        None,
    )


def test_a_payload_with_a_cut_label_comes_back_whole() -> None:
    label = "포켓몬 도감에서 피카츄 찾기 버튼"
    shown, message, rendered = _round_trip(_button(label, _long_payload()))
    assert len(shown["label"]) == 14 and shown["messageText"] == label
    assert (message.payload, message.text) == (_long_payload(), label)
    assert dict(rendered.payload_keys) == {}


def test_a_payload_that_looks_like_flowbots_goes_by_key() -> None:
    for payload in ("~fb:n", "~fb:k:AbCdEfGhIjKlMnOpQrStUv", '~fb:g:{"f":1}', "~fb:", ""):
        shown, message, rendered = _round_trip(_button("Choose", payload))
        assert _extra(shown).startswith("~fb:k:"), payload
        assert len(rendered.payload_keys) == 1
        assert (message.type, message.payload, message.goto, message.text) == (
            "postback",
            payload,
            None,
            "Choose",
        )


def test_a_payload_button_with_an_empty_label_comes_back_exactly() -> None:
    shown, message, _ = _round_trip(_button("", "p1"))
    assert (shown["label"], shown["messageText"]) == ("…", "…")
    assert (message.payload, message.text) == ("p1", "")


def test_a_payload_less_button_is_its_label_as_text() -> None:
    shown, message, _ = _round_trip(_button("Tell me more"))
    assert shown == _said("Tell me more")
    assert (message.type, message.text, message.payload) == ("text", "Tell me more", None)


def test_a_goto_comes_back() -> None:
    goto = {"type": "goto", "label": "처음으로", "flowId": "menu", "nodeId": "start"}
    _, message, _ = _round_trip(goto)
    assert (message.goto, message.text, message.payload) == (
        GotoTarget("menu", "start"),
        "처음으로",
        None,
    )


def test_a_goto_too_long_for_1000_characters_goes_by_key() -> None:
    goto = {"type": "goto", "label": "메뉴", "flowId": "menu", "nodeId": "n" * 1000}
    shown, message, rendered = _round_trip(goto)
    assert _extra(shown).startswith("~fb:k:")
    assert len(rendered.payload_keys) == 1
    assert (message.goto, message.text) == (GotoTarget("menu", "n" * 1000), "메뉴")


def test_a_quick_reply_comes_back() -> None:
    payload = _long_payload()
    shown, message, _ = _round_trip(_button("피카츄", payload), quick=True)
    assert shown == _said("피카츄", extra=payload)
    assert (message.payload, message.text) == (payload, "피카츄")
    _, message, _ = _round_trip(_button("~fb:k:" + "A" * 22, "~fb:n"), quick=True)
    assert (message.payload, message.text) == ("~fb:n", "~fb:k:" + "A" * 22)


def test_the_same_button_has_the_same_key() -> None:
    first, _, _ = _round_trip(_button("Choose", "~fb:x"))
    again, _, _ = _round_trip(_button("Choose", "~fb:x"))
    assert _extra(first) == _extra(again)
    other = kakao.render(
        [_text("Pick", buttons=[_button("Choose", "~fb:x")])], [], Recipient("other-bot", USER)
    )
    assert other.answer is not None
    button = other.answer["template"]["outputs"][0]["textCard"]["buttons"][0]
    assert _extra(button) != _extra(first)


def test_a_payload_of_1000_control_characters_survives() -> None:
    _, message, _ = _round_trip(_button("Zap", "\x00" * 1000))
    assert message.payload == "\x00" * 1000


_payloads = st.one_of(
    st.text(min_size=1, max_size=1000),
    st.text(max_size=996).map(lambda text: "~fb:" + text),
    st.sampled_from(["~fb:n", "~fb:t:label", '~fb:g:{"f":1}', "~fb:k:" + "A" * 22]),
)
_labels = st.text(max_size=40)


def _unicode(text: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@given(_payloads.filter(_unicode), _labels.filter(_unicode))
@example("~fb:n", "Choose")
@example('"' * 1000, "Choose")
@example("\u2028\ud7ff\U0010ffff" * 300, "🍕" * 20)
@example("x" * 1000, "")
def test_any_payload_survives_the_platform(payload: str, label: str) -> None:
    for quick in (False, True):
        shown, message, rendered = _round_trip(_button(label, payload), quick=quick)
        assert (message.type, message.payload, message.goto) == ("postback", payload, None)
        assert message.text == label
        if payload.startswith("~fb:") or not label:
            assert _extra(shown).startswith("~fb:k:") and len(rendered.payload_keys) == 1
        else:
            assert _extra(shown) == payload
            assert dict(rendered.payload_keys) == {}
