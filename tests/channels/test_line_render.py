"""LINE's rendering as pure functions: exact calls, checked with LINE's own SDK.

Every rendering goes through `_render`, which checks every call body with
the SDK's request models (`ReplyMessageRequest`, `PushMessageRequest`,
`ShowLoadingAnimationRequest`): they parse it, and their `to_dict()` keeps
every field flowbot sent (the SDK silently drops fields it does not know).
The SDK checks types and a few lengths only, so `_check_line_rules` adds the
limits the Messaging API reference documents
(https://developers.line.biz/en/reference/messaging-api/#message-objects),
counting as LINE does: UTF-16 code units for texts, data and URLs
(https://developers.line.biz/en/docs/messaging-api/text-character-count/).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from linebot.v3.messaging import (
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import PostbackEvent

from flowbot.channels import (
    Degradation,
    InboundEvent,
    OutboundCall,
    Recipient,
    Rendered,
    WebhookRequest,
    clicks,
    line,
)
from flowbot.engine import GotoTarget, InboundMessage

USER = "U1234"
RECIPIENT = Recipient("pokemon", USER, reply_token="rt-1")
PUSH = Recipient("pokemon", USER, push=True)
SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
SETTINGS = line.Settings(channel_secret=SECRET, channel_access_token="token")
NOOP = {"type": "postback", "label": "-", "data": "~fb:n"}
IMAGE = "https://example.com/pikachu.png"

_SDK_MODELS: dict[str, Any] = {
    line.REPLY_PATH: ReplyMessageRequest,
    line.PUSH_PATH: PushMessageRequest,
    line.LOADING_PATH: ShowLoadingAnimationRequest,
}


# --- LINE's rules -------------------------------------------------------------------


def _units(text: str) -> int:
    """A length as LINE counts most texts: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _check_kept(sent: Any, parsed: Any, where: str) -> None:
    """Every field flowbot sent is in the SDK's reading, with its value."""
    if isinstance(sent, Mapping):
        assert isinstance(parsed, Mapping), where
        for key, value in sent.items():
            assert key in parsed, f"the SDK does not know {where}.{key}"
            _check_kept(value, parsed[key], f"{where}.{key}")
    elif isinstance(sent, list):
        assert isinstance(parsed, list) and len(parsed) == len(sent), where
        for i, (one, other) in enumerate(zip(sent, parsed, strict=True)):
            _check_kept(one, other, f"{where}[{i}]")
    else:
        assert parsed == sent and type(parsed) is type(sent), where


def _check_action(action: Mapping[str, Any], where: str, *, quick: bool = False) -> None:
    kind = action["type"]
    label = action["label"]
    assert 1 <= len(label) <= 20, where  # graphemes ≤ characters
    if kind == "postback":
        assert _units(action["data"]) <= 300, where
        assert "text" not in action, where  # displayText and text exclude each other
        if quick:
            assert action.get("displayText"), f"{where}: a quick reply postback needs displayText"
        if "displayText" in action:
            assert 1 <= len(action["displayText"]) <= 300, where
    elif kind == "message":
        assert 1 <= len(action["text"]) <= 300, where
    elif kind == "uri":
        assert not quick, f"{where}: flowbot sends no uri quick replies"
        assert action["uri"].partition(":")[0] in {"http", "https", "line", "tel"}, where
        assert _units(action["uri"]) <= 1000, where
    else:
        raise AssertionError(f"{where}: unexpected action {kind}")


def _check_https_image(url: str, where: str) -> None:
    assert url.startswith("https://") and _units(url) <= 2000, where


def _check_template(template: Mapping[str, Any], where: str) -> None:
    if template["type"] == "buttons":
        assert 1 <= len(template["actions"]) <= 4, where
        if "title" in template:
            assert 1 <= len(template["title"]) <= 40, where
        small = "title" in template or "thumbnailImageUrl" in template
        assert 1 <= len(template["text"]) <= (60 if small else 160), where
        if "thumbnailImageUrl" in template:
            _check_https_image(template["thumbnailImageUrl"], where)
        for a, action in enumerate(template["actions"]):
            _check_action(action, f"{where}.actions[{a}]")
        if "defaultAction" in template:
            _check_action(template["defaultAction"], f"{where}.defaultAction")
        return
    assert template["type"] == "carousel", where
    columns = template["columns"]
    assert 1 <= len(columns) <= 10, where
    # "Keep the number of actions consistent for all columns. If you use an image
    # or title for a column, make sure to do the same for all other columns."
    assert len({len(c["actions"]) for c in columns}) == 1, f"{where}: action counts differ"
    assert len({"thumbnailImageUrl" in c for c in columns}) == 1, f"{where}: some images"
    assert len({"title" in c for c in columns}) == 1, f"{where}: some titles"
    for c, column in enumerate(columns):
        at = f"{where}.columns[{c}]"
        assert 1 <= len(column["actions"]) <= 3, at
        small = "title" in column or "thumbnailImageUrl" in column
        assert 1 <= len(column["text"]) <= (60 if small else 120), at
        if "title" in column:
            assert 1 <= len(column["title"]) <= 40, at
        if "thumbnailImageUrl" in column:
            _check_https_image(column["thumbnailImageUrl"], at)
        for a, action in enumerate(column["actions"]):
            _check_action(action, f"{at}.actions[{a}]")
        if "defaultAction" in column:
            _check_action(column["defaultAction"], f"{at}.defaultAction")


def _check_message(message: Mapping[str, Any], where: str) -> None:
    kind = message["type"]
    if kind == "text":
        assert 1 <= _units(message["text"]) <= 5000, where
    elif kind == "template":
        assert 1 <= _units(message["altText"]) <= 400, where
        _check_template(message["template"], f"{where}.template")
    elif kind == "image":
        _check_https_image(message["originalContentUrl"], where)
        _check_https_image(message["previewImageUrl"], where)
    elif kind == "location":
        assert 1 <= _units(message["title"]) <= 100, where
        assert 1 <= _units(message["address"]) <= 100, where
        for axis, bound in (("latitude", 90), ("longitude", 180)):
            value = message[axis]
            assert isinstance(value, int | float) and not isinstance(value, bool), where
            assert abs(value) <= bound, where
    else:
        raise AssertionError(f"{where}: unexpected message type {kind}")
    quick = message.get("quickReply")
    if quick is not None:
        assert 1 <= len(quick["items"]) <= 13, where
        for q, item in enumerate(quick["items"]):
            assert item["type"] == "action", where
            _check_action(item["action"], f"{where}.quickReply.items[{q}]", quick=True)


def _check_line_rules(call: OutboundCall) -> None:
    body = call.body
    if call.path == line.LOADING_PATH:
        assert call.purpose == "typing"
        assert body["chatId"].startswith("U")
        assert body["loadingSeconds"] in range(5, 61, 5)
        return
    assert call.purpose == "message"
    assert 1 <= len(body["messages"]) <= 5
    for m, message in enumerate(body["messages"]):
        _check_message(message, f"{call.path} messages[{m}]")


def _check_with_sdk(call: OutboundCall) -> None:
    """LINE's SDK parses the body, and knows every field of it."""
    body = json.loads(json.dumps(call.body, allow_nan=False))  # what goes on the wire
    model = _SDK_MODELS[call.path].from_dict(body)
    _check_kept(body, model.to_dict(), call.path)
    _check_line_rules(call)


def _render(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]] = (),
    recipient: Recipient = RECIPIENT,
) -> Rendered:
    """`line.render`, every call (and fallback) checked with LINE's SDK and rules."""
    rendered = line.render(replies, quick_replies, recipient)
    for call in rendered.calls:
        _check_with_sdk(call)
        if call.fallback is not None:
            assert call.path == line.REPLY_PATH
            _check_with_sdk(call.fallback)
    return rendered


def _reply(*messages: dict[str, Any], wait_ms: int = 0) -> OutboundCall:
    """The reply call of these messages, with its push as the fallback."""
    push = _push(*messages, wait_ms=wait_ms)
    body = {"replyToken": "rt-1", "messages": list(messages)}
    return OutboundCall(line.REPLY_PATH, body, wait_ms=wait_ms, fallback=push)


def _push(*messages: dict[str, Any], to: str = USER, wait_ms: int = 0) -> OutboundCall:
    return OutboundCall(line.PUSH_PATH, {"to": to, "messages": list(messages)}, wait_ms=wait_ms)


def _loading(seconds: int = 5, chat: str = USER) -> OutboundCall:
    body = {"chatId": chat, "loadingSeconds": seconds}
    return OutboundCall(line.LOADING_PATH, body, purpose="typing")


def _notes(rendered: Rendered) -> list[str]:
    return [str(note) for note in rendered.notes]


def _text(text: str, **fields: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, **fields}


def _buttons(text: str, *actions: dict[str, Any], alt: str | None = None) -> dict[str, Any]:
    template = {"type": "buttons", "text": text, "actions": list(actions)}
    return {"type": "template", "altText": alt or text, "template": template}


def _postback(label: str, data: str, said: str | None = None) -> dict[str, Any]:
    return {"type": "postback", "label": label, "data": data, "displayText": said or label}


def _said(label: str, text: str | None = None) -> dict[str, Any]:
    return {"type": "message", "label": label, "text": text or label}


def _button(label: str, payload: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "postback", "label": label}
    if payload is not None:
        button["payload"] = payload
    return button


def _card(title: str, *buttons: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"title": title, "buttons": list(buttons), **fields}


def _only_message(rendered: Rendered) -> dict[str, Any]:
    [call] = rendered.calls
    [message] = call.body["messages"]
    return dict(message)


def _action_data(rendered: Rendered) -> str:
    data = _only_message(rendered)["template"]["actions"][0]["data"]
    assert isinstance(data, str)
    return data


@pytest.mark.parametrize(
    "message",
    [
        {"type": "text", "text": "hi", "bogus": 1},  # a field the SDK does not know
        {"type": "text", "text": "🍎" * 2501},  # 5,002 UTF-16 units
        {"type": "location", "title": "t", "address": "a", "latitude": "1", "longitude": 2},
        {"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t"}},
        _buttons("t", {"type": "postback", "label": "L", "data": "🍕" * 151}),
        _buttons("t", {"type": "uri", "label": "L", "uri": "mailto:a@b.c"}),
    ],
)
def test_the_sdk_check_refuses_what_line_would(message: dict[str, Any]) -> None:
    with pytest.raises((AssertionError, ValueError)):
        _check_with_sdk(OutboundCall(line.REPLY_PATH, {"replyToken": "rt", "messages": [message]}))


# --- texts and buttons ------------------------------------------------------------


def test_a_plain_text_is_one_reply() -> None:
    rendered = _render([_text("Hello, trainer!")])
    assert rendered.calls == [_reply(_text("Hello, trainer!"))]
    assert rendered.answer is None
    assert dict(rendered.payload_keys) == {}
    assert _notes(rendered) == []


def test_a_text_with_buttons_is_a_buttons_template() -> None:
    buttons = [
        _button("Pikachu", '{"pokemon": "pikachu"}'),
        _button("Tell me more"),
        {"type": "link", "label": "Pokédex", "uri": "https://www.pokemon.com/us/pokedex"},
        {"type": "link", "label": "Write us", "uri": "mailto:oak@pokemon.com"},
        {"type": "link", "label": "Call", "uri": "tel:+81312345678"},
    ]
    rendered = _render([_text("Choose one", buttons=buttons)])
    assert rendered.calls == [
        _reply(
            _buttons(
                "Choose one",
                _postback("Pikachu", '{"pokemon": "pikachu"}'),
                _said("Tell me more"),
                {"type": "uri", "label": "Pokédex", "uri": "https://www.pokemon.com/us/pokedex"},
                {"type": "uri", "label": "Call", "uri": "tel:+81312345678"},
            )
        )
    ]
    assert rendered.notes == [
        Degradation(0, "buttons[3]", "LINE cannot open a mailto link: dropped")
    ]
    assert dict(rendered.payload_keys) == {}


def test_at_most_four_actions() -> None:
    buttons = [_button(f"Option {n}", f"p{n}") for n in range(6)]
    rendered = _render([_text("Pick", buttons=buttons)])
    message = _only_message(rendered)
    assert message["template"]["actions"] == [_postback(f"Option {n}", f"p{n}") for n in range(4)]
    assert _notes(rendered) == ["replies[0].buttons: 2 buttons over the limit of 4 dropped"]


def test_a_long_text_with_buttons_is_cut() -> None:
    text = "Professor Oak says: " + "catch them all! " * 12
    rendered = _render([_text(text, buttons=[_button("OK", "ok")])])
    template = _only_message(rendered)["template"]
    assert template["text"] == text[:159] + "…"
    assert _only_message(rendered)["altText"] == text  # the notification shows it whole
    assert _notes(rendered) == [f"replies[0].text: cut from {len(text)} to 160 characters"]


def test_a_long_label_is_cut_and_said_whole() -> None:
    label = "Choose the electric mouse"
    rendered = _render([_text("?", buttons=[_button(label, "pika"), _button(label)])])
    actions = _only_message(rendered)["template"]["actions"]
    assert actions == [
        _postback("Choose the electric…", "pika", label),
        _said("Choose the electric…", label),
    ]
    assert _notes(rendered) == [
        "replies[0].buttons[0].label: cut from 25 to 20 characters",
        "replies[0].buttons[1].label: cut from 25 to 20 characters",
    ]


def test_an_empty_label_and_an_empty_text() -> None:
    rendered = _render([_text("", buttons=[_button("", "x")])])
    assert _only_message(rendered) == _buttons("…", _postback("…", "x", "…"))


def test_an_empty_text_and_unknown_messages_are_dropped() -> None:
    rendered = _render([_text(""), {"type": "carousel"}, _text("kept")])
    assert rendered.calls == [_reply(_text("kept"))]
    assert _notes(rendered) == [
        "replies[0].text: an empty text cannot be sent: dropped",
        "replies[1].type: a 'carousel' message cannot be sent: dropped",
    ]


def test_a_goto_button_is_a_postback() -> None:
    goto = {"type": "goto", "label": "Start over", "flowId": 2, "nodeId": "4"}
    rendered = _render([_text("Done?", buttons=[goto])])
    data = _action_data(rendered)
    assert data == '~fb:g:{"f":2,"n":"4","t":"Start over"}'
    assert clicks.decode_click(data).goto == GotoTarget("2", "4")


def test_a_text_over_5000_characters_is_cut() -> None:
    rendered = _render([_text("a" * 6000)])
    assert _only_message(rendered)["text"] == "a" * 4999 + "…"
    assert _notes(rendered) == ["replies[0].text: cut from 6000 to 5000 characters"]


def test_a_text_of_emoji_is_cut_in_utf16_units() -> None:
    # LINE counts 🍎 as two characters: 3,000 of them are 6,000
    rendered = _render([_text("🍎" * 3000)])
    text = _only_message(rendered)["text"]
    assert text == "🍎" * 2499 + "…"
    assert _units(text) == 4999
    assert _notes(rendered) == ["replies[0].text: cut from 6000 to 5000 characters"]


def test_an_alt_text_of_emoji_fits_400_units() -> None:
    text = "🍕" * 300  # 300 characters, 600 UTF-16 units
    rendered = _render([_text(text, buttons=[_button("OK", "ok")])])
    alt = _only_message(rendered)["altText"]
    assert alt == "🍕" * 199 + "…"


def test_a_link_over_1000_characters_is_dropped() -> None:
    uri = "https://example.com/?q=" + "x" * 1000
    buttons = [{"type": "link", "label": "Open", "uri": uri}, _button("OK", "ok")]
    rendered = _render([_text("Go", buttons=buttons)])
    assert _only_message(rendered) == _buttons("Go", _postback("OK", "ok"))
    assert _notes(rendered) == ["replies[0].buttons[0]: a link over 1000 characters: dropped"]


def test_a_text_whose_buttons_are_all_dropped_is_a_text() -> None:
    buttons = [{"type": "link", "label": "Mail", "uri": "mailto:a@b.c"}, "not a button"]
    rendered = _render([_text("Write to us", buttons=buttons)])
    assert rendered.calls == [_reply(_text("Write to us"))]
    assert _notes(rendered) == ["replies[0].buttons[0]: LINE cannot open a mailto link: dropped"]


# --- cards ---------------------------------------------------------------------


def test_one_card_is_a_buttons_template() -> None:
    description = "An electric mouse that stores electricity in its cheeks, and lets it out."
    card = _card(
        "Pikachu",
        _button("Choose", "pikachu"),
        _button("Skip"),
        description=description,
        media={"uri": IMAGE, "contentType": "image"},
        uri="https://www.pokemon.com/us/pokedex/pikachu",
    )
    rendered = _render([{"type": "cards", "cards": [card]}])
    assert rendered.calls == [
        _reply(
            {
                "type": "template",
                "altText": "Pikachu",
                "template": {
                    "type": "buttons",
                    "thumbnailImageUrl": IMAGE,
                    "title": "Pikachu",
                    "text": description[:59] + "…",
                    "defaultAction": {
                        "type": "uri",
                        "label": "open",
                        "uri": "https://www.pokemon.com/us/pokedex/pikachu",
                    },
                    "actions": [_postback("Choose", "pikachu"), _said("Skip")],
                },
            }
        )
    ]
    assert _notes(rendered) == [
        f"replies[0].cards[0].description: cut from {len(description)} to 60 characters"
    ]


def test_one_card_with_a_title_only_has_160_characters_of_text() -> None:
    title = "A very long title " * 6
    rendered = _render([{"type": "cards", "cards": [_card(title, _button("OK", "ok"))]}])
    template = _only_message(rendered)["template"]
    assert "title" not in template and "thumbnailImageUrl" not in template
    assert template["text"] == title
    assert _notes(rendered) == []


def test_one_card_takes_four_buttons_and_a_long_title_is_cut() -> None:
    card = _card("T" * 50, *[_button(str(n), str(n)) for n in range(5)], description="d")
    rendered = _render([{"type": "cards", "cards": [card]}])
    template = _only_message(rendered)["template"]
    assert template["title"] == "T" * 39 + "…"
    assert len(template["actions"]) == 4
    assert _notes(rendered) == [
        "replies[0].cards[0].buttons: 1 buttons over the limit of 4 dropped",
        "replies[0].cards[0].title: cut from 50 to 40 characters",
    ]


def test_an_http_card_image_and_a_mailto_card_link_are_dropped() -> None:
    card = _card(
        "Eevee", _button("Go", "go"), media={"uri": "http://x.com/e.png"}, uri="mailto:a@b.c"
    )
    rendered = _render([{"type": "cards", "cards": [card]}])
    template = _only_message(rendered)["template"]
    assert template == {"type": "buttons", "text": "Eevee", "actions": [_postback("Go", "go")]}
    assert _notes(rendered) == [
        "replies[0].cards[0].media: LINE shows https images only: dropped",
        "replies[0].cards[0].uri: LINE cannot open this link: dropped",
    ]


def test_three_cards_are_one_carousel_with_equal_columns() -> None:
    cards = [
        _card("Bulbasaur", _button("Choose", "bulbasaur"), _button("Info"), description="Grass"),
        _card("Charmander", _button("Choose", "charmander"), media={"uri": IMAGE}),
        _card("Squirtle", _button("Choose", "squirtle"), _button("Info"), description="Water"),
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    assert rendered.calls == [
        _reply(
            {
                "type": "template",
                "altText": "Bulbasaur, Charmander, Squirtle",
                "template": {
                    "type": "carousel",
                    "columns": [
                        {
                            "title": "Bulbasaur",
                            "text": "Grass",
                            "actions": [_postback("Choose", "bulbasaur"), _said("Info")],
                        },
                        {
                            "title": "Charmander",
                            "text": "…",
                            "actions": [_postback("Choose", "charmander"), NOOP],
                        },
                        {
                            "title": "Squirtle",
                            "text": "Water",
                            "actions": [_postback("Choose", "squirtle"), _said("Info")],
                        },
                    ],
                },
            }
        )
    ]
    assert _notes(rendered) == [
        "replies[0].cards: images dropped: some cards have none",
        "replies[0].cards[1].buttons: 1 empty buttons added",
    ]


def test_a_carousel_keeps_images_when_every_card_has_one() -> None:
    cards = [_card(f"#{n}", _button("Go", str(n)), media={"uri": IMAGE}) for n in range(2)]
    rendered = _render([{"type": "cards", "cards": cards}])
    columns = _only_message(rendered)["template"]["columns"]
    assert columns == [
        {"thumbnailImageUrl": IMAGE, "text": f"#{n}", "actions": [_postback("Go", str(n))]}
        for n in range(2)
    ]
    assert _notes(rendered) == []


def test_carousel_texts_beside_a_title_have_60_characters() -> None:
    cards = [_card(f"#{n}", _button("Go", str(n)), description="d" * 100) for n in range(2)]
    rendered = _render([{"type": "cards", "cards": cards}])
    columns = _only_message(rendered)["template"]["columns"]
    assert [c["text"] for c in columns] == ["d" * 59 + "…"] * 2
    without_titles = [{"description": "d" * 130, "buttons": [_button("Go", "go")]}] * 2
    rendered = _render([{"type": "cards", "cards": without_titles}])
    columns = _only_message(rendered)["template"]["columns"]
    assert [c["text"] for c in columns] == ["d" * 119 + "…"] * 2


def test_twelve_cards_are_two_carousels() -> None:
    cards = [_card(f"#{n}", _button("Go", str(n))) for n in range(12)]
    rendered = _render([{"type": "cards", "cards": cards}])
    [call] = rendered.calls
    carousels = [m["template"]["columns"] for m in call.body["messages"]]
    assert [[c["text"] for c in columns] for columns in carousels] == [
        [f"#{n}" for n in range(10)],
        ["#10", "#11"],
    ]
    assert [m["altText"] for m in call.body["messages"]] == [
        ", ".join(f"#{n}" for n in range(10)),
        "#10, #11",
    ]
    assert _notes(rendered) == ["replies[0].cards: 12 cards split into carousels of 10"]


def test_a_split_off_run_of_cards_without_buttons_is_sent_plain() -> None:
    # a carousel column needs an action: 2 button-less cards after 10 cannot be a carousel
    cards = [_card(f"#{n}", _button("Go", str(n))) for n in range(10)]
    cards += [_card("#10"), _card("#11", media={"uri": IMAGE})]
    rendered = _render([{"type": "cards", "cards": cards}])
    [call] = rendered.calls
    messages = call.body["messages"]
    assert messages[0]["template"]["type"] == "carousel"
    image = {"type": "image", "originalContentUrl": IMAGE, "previewImageUrl": IMAGE}
    assert messages[1:] == [_text("#10"), image, _text("#11")]
    assert _notes(rendered) == [
        "replies[0].cards: 12 cards split into carousels of 10",
        "replies[0].cards[10]: cards without buttons sent as images and texts",
    ]


def test_cards_without_buttons_are_images_and_texts() -> None:
    cards = [
        {"title": "Pikachu", "description": "Electric", "media": {"uri": IMAGE}},
        {"title": "Eevee"},
        {"media": {"uri": "http://example.com/e.png"}},
    ]
    rendered = _render([{"type": "cards", "cards": cards}])
    image = {"type": "image", "originalContentUrl": IMAGE, "previewImageUrl": IMAGE}
    assert rendered.calls == [_reply(image, _text("Pikachu\nElectric"), _text("Eevee"))]
    assert _notes(rendered) == [
        "replies[0].cards: cards without buttons sent as images and texts",
        "replies[0].cards[2].media: LINE shows https images only: dropped",
    ]


def test_no_cards_are_dropped() -> None:
    rendered = _render([{"type": "cards", "cards": []}, _text("after")])
    assert rendered.calls == [_reply(_text("after"))]
    assert _notes(rendered) == ["replies[0].cards: no cards: dropped"]


# --- media and locations -----------------------------------------------------------


def test_an_https_image_is_an_image_message() -> None:
    rendered = _render([{"type": "media", "media": {"uri": IMAGE, "contentType": "image"}}])
    image = {"type": "image", "originalContentUrl": IMAGE, "previewImageUrl": IMAGE}
    assert rendered.calls == [_reply(image)]
    assert _notes(rendered) == []


@pytest.mark.parametrize(
    ("media", "note"),
    [
        ({"uri": "http://example.com/p.png"}, "image media sent as a link"),
        (
            {"uri": "https://example.com/p.mp4", "contentType": "video"},
            "video media sent as a link",
        ),
        (
            {"uri": "https://example.com/p.mp3", "contentType": "audio"},
            "audio media sent as a link",
        ),
        ({"uri": "https://example.com/" + "p" * 2000 + ".png"}, "image media sent as a link"),
    ],
)
def test_other_media_are_a_text_link(media: dict[str, str], note: str) -> None:
    rendered = _render([{"type": "media", "media": media}])
    assert rendered.calls == [_reply(_text(media["uri"]))]
    assert _notes(rendered) == [f"replies[0].media: {note}"]


def test_media_without_a_uri_is_dropped() -> None:
    rendered = _render([{"type": "media", "media": {"uri": ""}}, {"type": "media"}])
    assert rendered.calls == []
    assert _notes(rendered) == [
        "replies[0].media: no media uri: dropped",
        "replies[1].media: no media uri: dropped",
    ]


def test_a_location_is_a_location_message() -> None:
    reply = {"type": "location", "label": "Pallet Town", "latitude": 35.68, "longitude": 139.76}
    rendered = _render([reply])
    location = {
        "type": "location",
        "title": "Pallet Town",
        "address": "35.68, 139.76",
        "latitude": 35.68,
        "longitude": 139.76,
    }
    assert rendered.calls == [_reply(location)]
    assert _notes(rendered) == []


def test_a_location_with_string_coordinates_sends_numbers() -> None:
    # the bot format allows strings (a template renders to one); LINE wants numbers
    rendered = _render([{"type": "location", "latitude": "37.5547", "longitude": "126.9706"}])
    message = _only_message(rendered)
    assert (message["latitude"], message["longitude"]) == (37.5547, 126.9706)
    assert message["title"] == message["address"] == "37.5547, 126.9706"


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        ("", ""),
        ("north", 1),
        (None, 1),
        (91, 0),
        (0, -181),
        ("nan", 0),
        ("inf", 0),
        (True, 0),
        pytest.param(10**400, 0, id="huge"),
    ],
)
def test_a_location_without_numeric_coordinates_is_dropped(latitude: Any, longitude: Any) -> None:
    rendered = _render([{"type": "location", "latitude": latitude, "longitude": longitude}])
    assert rendered.calls == []
    assert _notes(rendered) == ["replies[0]: a location without numeric coordinates: dropped"]


def test_a_long_location_label_is_cut() -> None:
    rendered = _render([{"type": "location", "label": "🏠" * 80, "latitude": 1, "longitude": 2}])
    assert _only_message(rendered)["title"] == "🏠" * 49 + "…"
    assert _notes(rendered) == ["replies[0].label: cut from 160 to 100 characters"]


# --- quick replies ---------------------------------------------------------------


def test_quick_replies_ride_on_the_last_message() -> None:
    quick = [_button("Yes", "yes"), _button("No"), _button("Remind me tomorrow please", "later")]
    rendered = _render([_text("first"), _text("Shall we?")], quick)
    items = [
        {"type": "action", "action": _postback("Yes", "yes")},
        {"type": "action", "action": _said("No")},
        {
            "type": "action",
            "action": _postback("Remind me tomorrow …", "later", "Remind me tomorrow please"),
        },
    ]
    assert rendered.calls == [
        _reply(_text("first"), _text("Shall we?", quickReply={"items": items}))
    ]
    assert _notes(rendered) == ["quickReplies[2].label: cut from 25 to 20 characters"]


def test_at_most_13_quick_replies() -> None:
    quick = [_button(f"#{n}", str(n)) for n in range(15)]
    rendered = _render([_text("Pick")], quick)
    items = _only_message(rendered)["quickReply"]["items"]
    assert [item["action"]["data"] for item in items] == [str(n) for n in range(13)]
    assert _notes(rendered) == ["quickReplies: 2 quick replies over the limit of 13 dropped"]


def test_quick_replies_without_a_message_are_dropped() -> None:
    rendered = _render([], [_button("Yes", "yes")])
    assert rendered.calls == []
    assert _notes(rendered) == ["quickReplies: quick replies need a message to ride on: dropped"]


def test_quick_replies_ride_on_the_last_push() -> None:
    quick = [_button("Again", "again")]
    rendered = _render([_text(str(n)) for n in range(7)], quick)
    assert rendered.calls[-1].body["messages"][-1]["quickReply"] == {
        "items": [{"type": "action", "action": _postback("Again", "again")}]
    }


# --- the calls -------------------------------------------------------------------


def test_seven_messages_are_a_reply_of_five_and_a_push_of_two() -> None:
    rendered = _render([_text(str(n)) for n in range(7)])
    assert rendered.calls == [
        _reply(*[_text(str(n)) for n in range(5)]),
        _push(_text("5"), _text("6")),
    ]


def test_a_reply_falls_back_to_a_push_of_the_same_messages() -> None:
    [call] = _render([_text("hi")]).calls
    assert call.fallback == OutboundCall(
        line.PUSH_PATH, {"to": USER, "messages": [_text("hi")]}, wait_ms=0
    )
    assert call.fallback.fallback is None


def test_a_delay_shows_the_loading_animation_then_pushes() -> None:
    rendered = _render([_text("Let me think…"), _text("Pikachu!", delay=3000), _text("Go!")])
    assert rendered.calls == [
        _reply(_text("Let me think…")),
        _loading(5),
        _push(_text("Pikachu!"), _text("Go!"), wait_ms=3000),
    ]


@pytest.mark.parametrize(("delay", "seconds"), [(1, 5), (5000, 5), (5001, 10), (12_000, 15)])
def test_the_loading_animation_covers_the_delay(delay: int, seconds: int) -> None:
    rendered = _render([_text("a"), _text("b", delay=delay)])
    assert rendered.calls[1] == _loading(seconds)
    assert rendered.calls[2].wait_ms == delay


def test_the_loading_animation_lasts_at_most_60_seconds() -> None:
    rendered = _render([_text("a"), _text("b", delay=120_000)])
    assert rendered.calls[1] == _loading(60)


def test_a_delay_on_the_first_message_delays_the_reply() -> None:
    rendered = _render([_text("Hmm…", delay=2000), _text("Got it", delay=1500)])
    assert rendered.calls == [
        _loading(5),
        _reply(_text("Hmm…"), wait_ms=2000),
        _loading(5),
        _push(_text("Got it"), wait_ms=1500),
    ]


@pytest.mark.parametrize("delay", [0, -5, "soon", None, True, float("inf"), float("nan")])
def test_no_positive_number_no_delay(delay: Any) -> None:
    rendered = _render([_text("a"), _text("b", delay=delay)])
    assert rendered.calls == [_reply(_text("a"), _text("b"))]


def test_a_numeric_string_delay_is_a_delay() -> None:
    # the bot format allows `delay: int | str`
    rendered = _render([_text("a"), _text("b", delay="3000")])
    assert rendered.calls == [
        _reply(_text("a")),
        _loading(5),
        _push(_text("b"), wait_ms=3000),
    ]


def test_a_push_recipient_only_pushes() -> None:
    rendered = _render([_text(str(n)) for n in range(7)], recipient=PUSH)
    assert rendered.calls == [
        _push(*[_text(str(n)) for n in range(5)]),
        _push(_text("5"), _text("6")),
    ]
    with_token = Recipient("pokemon", USER, reply_token="rt-1", push=True)
    assert _render([_text("hi")], recipient=with_token).calls == [_push(_text("hi"))]


def test_no_reply_token_only_pushes() -> None:
    rendered = _render(
        [_text("hi"), _text("later", delay=1000)], recipient=Recipient("pokemon", USER)
    )
    assert rendered.calls == [_push(_text("hi")), _loading(5), _push(_text("later"), wait_ms=1000)]


@pytest.mark.parametrize("chat", ["Ca56f94637cc4347f90a25382909b24b9", "Ra8dbf4673c4c812cd49125"])
def test_group_and_room_chats_get_no_loading_animation(chat: str) -> None:
    recipient = Recipient("pokemon", chat, reply_token="rt-1")
    rendered = _render([_text("a"), _text("b", delay=3000)], recipient=recipient)
    reply = OutboundCall(
        line.REPLY_PATH,
        {"replyToken": "rt-1", "messages": [_text("a")]},
        fallback=_push(_text("a"), to=chat),
    )
    assert rendered.calls == [reply, _push(_text("b"), to=chat, wait_ms=3000)]


def test_nothing_to_send_is_no_call() -> None:
    rendered = _render([])
    assert rendered.calls == []
    assert _notes(rendered) == []


# --- the 1,000-character payload -------------------------------------------------


def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _postback_webhook(data: str) -> bytes:
    """The postback event LINE sends when the user taps an action with this `data`."""
    event = {
        "type": "postback",
        "mode": "active",
        "timestamp": 1462629479859,
        "source": {"type": "user", "userId": USER},
        "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "b60d432864f44d079f6d8efe86cf404b",
        "postback": {"data": data},
    }
    return json.dumps({"destination": "Uxxxxxxxxxxxxxx", "events": [event]}).encode()


def _resolve(event: InboundEvent, store: Mapping[str, str]) -> InboundMessage:
    """What the server makes of a click (ConversationService._resolve_click)."""
    message = event.message
    if event.click_key is None:
        return message
    record = store.get(event.click_key)
    click = clicks.decode_record(record) if record is not None else None
    assert click is not None, f"the stored record does not resolve: {record!r}"
    return clicks.resolved(message, click)


def _tap(data: str, store: Mapping[str, str]) -> InboundMessage:
    """Play the platform: the signed postback webhook of a tap, verified, parsed, resolved."""
    body = _postback_webhook(data)
    signature = _sign(body)
    [sdk_event] = WebhookParser(SECRET).parse(body.decode(), signature)
    assert isinstance(sdk_event, PostbackEvent) and sdk_event.postback.data == data
    request = WebhookRequest("POST", {line.SIGNATURE_HEADER: signature}, {}, body)
    line.verify(SETTINGS, request)
    [event] = line.parse(request).events
    assert event.user_key == USER
    return _resolve(event, store)


def _round_trip(payload: str, label: str = "Choose") -> tuple[str, InboundMessage, Rendered]:
    rendered = _render([_text("Pick", buttons=[_button(label, payload)])])
    data = _action_data(rendered)
    return data, _tap(data, rendered.payload_keys), rendered


def _long_payload(size: int = 1000) -> str:
    payload = json.dumps({"pokemon": "pikachu", "moves": ["thunderbolt"], "note": ""})
    payload = payload[:-2] + "x" * (size - len(payload)) + '"}'
    assert len(payload) == size and json.loads(payload)["pokemon"] == "pikachu"
    return payload


def test_a_1000_character_payload_goes_by_a_stored_key() -> None:
    payload = _long_payload()
    rendered = _render([_text("Pick", buttons=[_button("Pikachu", payload)])])
    data = _action_data(rendered)
    assert data.startswith("~fb:k:") and len(data) == 6 + clicks.KEY_CHARS
    key = data[len("~fb:k:") :]
    assert list(rendered.payload_keys) == [key]
    click = clicks.decode_click(data)
    assert (click.key, click.payload) == (key, None)
    record = clicks.decode_record(rendered.payload_keys[key])
    assert record is not None
    assert (record.payload, record.text) == (payload, "Pikachu")


def test_a_1000_character_payload_survives_the_platform() -> None:
    payload = _long_payload()
    data, message, _ = _round_trip(payload, "Pikachu")
    assert data.startswith("~fb:k:")
    assert (message.type, message.payload, message.text) == ("postback", payload, "Pikachu")


def test_the_same_button_has_the_same_key() -> None:
    payload = _long_payload()
    first, _, _ = _round_trip(payload)
    again, _, _ = _round_trip(payload)
    assert first == again
    other = line.render(
        [_text("Pick", buttons=[_button("Choose", payload)])], [], Recipient("other-bot", USER)
    )
    assert other.calls[0].body["messages"][0]["template"]["actions"][0]["data"] != first


def test_a_short_payload_is_sent_as_it_is() -> None:
    data, message, rendered = _round_trip("x" * 300)
    assert data == "x" * 300
    assert dict(rendered.payload_keys) == {}
    assert (message.payload, message.text) == ("x" * 300, None)
    data, _, rendered = _round_trip("x" * 301)
    assert data.startswith("~fb:k:")


def test_a_payload_that_looks_like_flowbots_goes_by_key() -> None:
    for payload in ("~fb:n", "~fb:k:AbCdEfGhIjKlMnOpQrStUv", '~fb:g:{"f":1}', "~fb:"):
        data, message, _ = _round_trip(payload)
        assert data.startswith("~fb:k:")
        assert message.payload == payload
        assert message.goto is None


def test_a_payload_of_300_emoji_goes_by_key() -> None:
    # 300 characters but 600 UTF-16 units: LINE would refuse it as postback data
    payload = "🍕" * 300
    data, message, _ = _round_trip(payload)
    assert data.startswith("~fb:k:")
    assert message.payload == payload
    data, message, _ = _round_trip("🍕" * 150)
    assert data == "🍕" * 150
    assert message.payload == "🍕" * 150


def test_a_goto_too_long_for_the_data_goes_by_key() -> None:
    goto = {"type": "goto", "label": "🍕" * 100, "flowId": "menu", "nodeId": "n" * 80}
    rendered = _render([_text("Menu", buttons=[goto])])
    data = _action_data(rendered)
    assert data.startswith("~fb:k:")
    message = _tap(data, rendered.payload_keys)
    assert message.goto == GotoTarget("menu", "n" * 80)
    assert message.text == "🍕" * 100


def test_a_quick_reply_payload_goes_by_key_too() -> None:
    payload = _long_payload()
    rendered = _render([_text("Pick")], [_button("Pikachu", payload)])
    data = _only_message(rendered)["quickReply"]["items"][0]["action"]["data"]
    assert _tap(data, rendered.payload_keys).payload == payload


def test_a_payload_of_1000_control_characters_survives() -> None:
    _, message, _ = _round_trip("\x00" * 1000)
    assert message.payload == "\x00" * 1000


_payloads = st.one_of(
    st.text(min_size=1, max_size=1000),
    st.text(max_size=996).map(lambda text: "~fb:" + text),
    st.sampled_from(["~fb:n", "~fb:t:label", '~fb:g:{"f":1}', "~fb:k:" + "A" * 22]),
)


@given(_payloads)
@example("~fb:n")
@example("🍕" * 150)
@example("🍕" * 151)
@example('"' * 1000)
@example("\u2028\ud7ff\U0010ffff" * 300)
def test_any_payload_survives_the_platform(payload: str) -> None:
    data, message, rendered = _round_trip(payload)
    assert message.type == "postback"
    assert message.payload == payload
    assert message.goto is None
    if _units(payload) <= 300 and not payload.startswith("~fb:"):
        assert data == payload
        assert dict(rendered.payload_keys) == {}
    else:
        assert data.startswith("~fb:k:") and len(rendered.payload_keys) == 1
