"""Facebook Messenger's Send API side: render one turn's replies into exact calls.

Shapes from the Send API reference
(https://developers.facebook.com/docs/messenger-platform/reference/send-api,
the button and generic templates, buttons and quick replies). The round trip
at the end plays the platform: it clicks every rendered button the way
Messenger reports a click on the webhook and checks that the engine gets back
the button's original label and payload.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowbot.channels import (
    Degradation,
    OutboundCall,
    Recipient,
    Rendered,
    WebhookRequest,
    clicks,
    facebook,
)
from flowbot.engine import GotoTarget

WHO = Recipient("pokemon", "PSID-1")
TO = {"id": "PSID-1"}
SCOPE = "pokemon/facebook"
LONG = "Pikachu, I choose you!"  # 22 characters: over a button title's 20
CUT = "Pikachu, I choose y…"


def _render(*replies: dict[str, Any], quick: list[dict[str, Any]] | None = None) -> Rendered:
    return facebook.render(list(replies), quick or [], WHO)


def _send(message: dict[str, Any], kind: str = "RESPONSE", wait_ms: int = 0) -> OutboundCall:
    body = {"recipient": TO, "messaging_type": kind, "message": message}
    return OutboundCall("/me/messages", body, wait_ms=wait_ms)


def _template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": payload}}


def _buttons(text: str, *buttons: dict[str, Any]) -> dict[str, Any]:
    return _template({"template_type": "button", "text": text, "buttons": list(buttons)})


def _postback(label: str, payload: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "postback", "label": label}
    if payload is not None:
        button["payload"] = payload
    return button


def _notes(rendered: Rendered) -> list[str]:
    return [str(note) for note in rendered.notes]


def _keyed(label: str, payload: str) -> tuple[str, str]:
    """The `~fb:k:` payload of a button that does not fit, and its stored record."""
    record = json.dumps({"t": label, "p": payload}, ensure_ascii=False, separators=(",", ":"))
    return "~fb:k:" + clicks.payload_key(SCOPE, record), record


# --- texts and buttons ------------------------------------------------------------


def test_plain_text() -> None:
    rendered = _render({"type": "text", "text": "Hello, trainer!"})
    assert list(rendered.calls) == [_send({"text": "Hello, trainer!"})]
    assert (rendered.answer, dict(rendered.payload_keys), list(rendered.notes)) == (None, {}, [])


def test_a_long_text_is_cut_to_2000_with_a_note() -> None:
    rendered = _render({"type": "text", "text": "a" * 2001})
    assert list(rendered.calls) == [_send({"text": "a" * 1999 + "…"})]
    assert rendered.notes == [Degradation(0, "text", "cut from 2001 to 2000 characters")]


def test_text_with_postback_buttons_is_a_button_template() -> None:
    buttons = [_postback("Bulbasaur", "BULBASAUR"), _postback("Squirtle", '{"id": 7}')]
    rendered = _render({"type": "text", "text": "Pick one", "buttons": buttons})
    assert list(rendered.calls) == [
        _send(
            _buttons(
                "Pick one",
                {"type": "postback", "title": "Bulbasaur", "payload": "BULBASAUR"},
                {"type": "postback", "title": "Squirtle", "payload": '{"id": 7}'},
            )
        )
    ]
    assert (dict(rendered.payload_keys), list(rendered.notes)) == ({}, [])


def test_link_buttons_open_the_web_call_a_number_and_drop_mail() -> None:
    buttons = [
        {"type": "link", "label": "Pokédex", "uri": "https://pokemon.com/dex"},
        {"type": "link", "label": "Call Oak", "uri": "tel:+15105550100"},
        {"type": "link", "label": "Mail Oak", "uri": "mailto:oak@pallet.town"},
    ]
    rendered = _render({"type": "text", "text": "Links", "buttons": buttons})
    assert list(rendered.calls) == [
        _send(
            _buttons(
                "Links",
                {"type": "web_url", "url": "https://pokemon.com/dex", "title": "Pokédex"},
                {"type": "phone_number", "title": "Call Oak", "payload": "+15105550100"},
            )
        )
    ]
    assert rendered.notes == [
        Degradation(0, "buttons[2]", "Messenger cannot open a mailto link: dropped")
    ]


def test_a_text_whose_only_button_is_dropped_is_a_plain_text() -> None:
    mail = {"type": "link", "label": "Mail", "uri": "mailto:oak@pallet.town"}
    rendered = _render({"type": "text", "text": "Write to us", "buttons": [mail]})
    assert list(rendered.calls) == [_send({"text": "Write to us"})]


def test_goto_button_carries_its_target_and_label() -> None:
    goto = {"type": "goto", "label": "Start over", "flowId": 1, "nodeId": "4"}
    rendered = _render({"type": "text", "text": "Done?", "buttons": [goto]})
    [button] = rendered.calls[0].body["message"]["attachment"]["payload"]["buttons"]
    assert (button["type"], button["title"]) == ("postback", "Start over")
    assert button["payload"].startswith("~fb:g:")
    assert clicks.decode_click(button["payload"], "Start over") == clicks.Click(
        text="Start over", goto=GotoTarget("1", "4")
    )
    assert dict(rendered.payload_keys) == {}


def test_payload_less_postback_carries_its_label() -> None:
    rendered = _render({"type": "text", "text": "Ready?", "buttons": [_postback("Yes")]})
    assert list(rendered.calls) == [
        _send(_buttons("Ready?", {"type": "postback", "title": "Yes", "payload": "~fb:t:Yes"}))
    ]


def test_a_long_label_is_cut_and_its_click_kept_under_a_key() -> None:
    rendered = _render({"type": "text", "text": "Go", "buttons": [_postback(LONG, "PIKACHU")]})
    payload, record = _keyed(LONG, "PIKACHU")
    assert list(rendered.calls) == [
        _send(_buttons("Go", {"type": "postback", "title": CUT, "payload": payload}))
    ]
    assert dict(rendered.payload_keys) == {payload[len("~fb:k:") :]: record}
    assert clicks.decode_record(record) == clicks.Click(text=LONG, payload="PIKACHU")
    assert _notes(rendered) == ["replies[0].buttons[0].label: cut from 22 to 20 characters"]


@pytest.mark.parametrize("payload", ["~fb:t:not a label", "~fb:n", "x" * 1001])
def test_payloads_that_would_be_misread_or_do_not_fit_are_keyed(payload: str) -> None:
    rendered = _render({"type": "text", "text": "Go", "buttons": [_postback("Go", payload)]})
    [button] = rendered.calls[0].body["message"]["attachment"]["payload"]["buttons"]
    assert button["payload"] == _keyed("Go", payload)[0]
    assert list(rendered.payload_keys.values()) == [_keyed("Go", payload)[1]]


def test_at_most_3_buttons_on_a_text_of_at_most_640() -> None:
    buttons = [_postback(f"B{n}", f"P{n}") for n in range(5)]
    rendered = _render({"type": "text", "text": "t" * 700, "buttons": buttons})
    template = rendered.calls[0].body["message"]["attachment"]["payload"]
    assert [b["title"] for b in template["buttons"]] == ["B0", "B1", "B2"]
    assert template["text"] == "t" * 639 + "…"
    assert _notes(rendered) == [
        "replies[0].buttons: 2 buttons over the limit of 3 dropped",
        "replies[0].text: cut from 700 to 640 characters",
    ]


def test_an_empty_text_with_buttons_gets_a_placeholder() -> None:
    rendered = _render({"type": "text", "text": "", "buttons": [_postback("Yes")]})
    assert rendered.calls[0].body["message"]["attachment"]["payload"]["text"] == "…"


# --- cards, media, location -----------------------------------------------------------


def test_a_card_is_a_generic_template_element() -> None:
    card = {
        "title": "T" * 81,
        "description": "D" * 81,
        "media": {"uri": "https://img.example/pikachu.png", "contentType": "image"},
        "uri": "https://pokemon.com/pikachu",
        "buttons": [_postback(f"B{n}", f"P{n}") for n in range(4)],
    }
    rendered = _render({"type": "cards", "cards": [card]})
    element = {
        "title": "T" * 79 + "…",
        "subtitle": "D" * 79 + "…",
        "image_url": "https://img.example/pikachu.png",
        "default_action": {"type": "web_url", "url": "https://pokemon.com/pikachu"},
        "buttons": [{"type": "postback", "title": f"B{n}", "payload": f"P{n}"} for n in range(3)],
    }
    assert list(rendered.calls) == [
        _send(_template({"template_type": "generic", "elements": [element]}))
    ]
    assert _notes(rendered) == [
        "replies[0].cards[0].title: cut from 81 to 80 characters",
        "replies[0].cards[0].description: cut from 81 to 80 characters",
        "replies[0].cards[0].buttons: 1 buttons over the limit of 3 dropped",
    ]


def test_a_card_without_title_shows_its_body_and_no_video() -> None:
    card = {
        "description": "Only a body",
        "media": {"uri": "https://v.example/a.mp4", "contentType": "video"},
    }
    rendered = _render({"type": "cards", "cards": [card, {"uri": "mailto:oak@pallet.town"}]})
    elements = rendered.calls[0].body["message"]["attachment"]["payload"]["elements"]
    assert elements == [{"title": "Only a body"}, {"title": "…"}]
    assert _notes(rendered) == [
        "replies[0].cards[0].media: a card shows images only: the media is dropped"
    ]


def test_12_cards_are_2_carousels_of_10_and_2() -> None:
    cards = [{"title": f"Card {n}"} for n in range(12)]
    rendered = _render({"type": "cards", "cards": cards})
    sizes = [
        len(call.body["message"]["attachment"]["payload"]["elements"]) for call in rendered.calls
    ]
    assert sizes == [10, 2]
    last = rendered.calls[1].body["message"]["attachment"]["payload"]["elements"]
    assert last == [{"title": "Card 10"}, {"title": "Card 11"}]
    assert rendered.notes == [Degradation(0, "cards", "12 cards split into carousels of 10")]


@pytest.mark.parametrize("kind", ["image", "video", "audio"])
def test_media_is_an_attachment(kind: str) -> None:
    rendered = _render(
        {"type": "media", "media": {"uri": "https://cdn.example/f", "contentType": kind}}
    )
    attachment = {"type": kind, "payload": {"url": "https://cdn.example/f", "is_reusable": True}}
    assert list(rendered.calls) == [_send({"attachment": attachment})]
    assert list(rendered.notes) == []


def test_other_media_is_a_link_and_media_without_uri_is_dropped() -> None:
    rendered = _render(
        {"type": "media", "media": {"uri": "https://cdn.example/a.pdf", "contentType": "file"}},
        {"type": "media", "media": {"contentType": "image"}},
        {"type": "media", "media": {"uri": "https://cdn.example/x", "contentType": ["odd"]}},
    )
    assert list(rendered.calls) == [
        _send({"text": "https://cdn.example/a.pdf"}),
        _send({"text": "https://cdn.example/x"}),
    ]
    assert _notes(rendered) == [
        "replies[0].media.contentType: 'file' media sent as a link",
        "replies[1].media: no media uri: dropped",
        "replies[2].media.contentType: ['odd'] media sent as a link",
    ]


def test_a_location_is_a_map_link() -> None:
    rendered = _render({"type": "location", "latitude": 35.6, "longitude": 139.7, "label": "Lab"})
    link = "https://www.google.com/maps/search/?api=1&query=35.6%2C139.7"
    assert list(rendered.calls) == [_send({"text": f"Lab\n{link}"})]
    assert _notes(rendered) == ["replies[0]: Messenger has no location message: sent as a map link"]


# --- quick replies, delays, pushes, drops ---------------------------------------------


def test_quick_replies_ride_on_the_last_message() -> None:
    quick = [_postback("Red", "RED"), _postback("Blue"), _postback(LONG, "PIKACHU")]
    rendered = _render(
        {"type": "text", "text": "One"}, {"type": "text", "text": "Two"}, quick=quick
    )
    payload, _ = _keyed(LONG, "PIKACHU")
    assert list(rendered.calls) == [
        _send({"text": "One"}),
        _send(
            {
                "text": "Two",
                "quick_replies": [
                    {"content_type": "text", "title": "Red", "payload": "RED"},
                    {"content_type": "text", "title": "Blue", "payload": "~fb:t:Blue"},
                    {"content_type": "text", "title": CUT, "payload": payload},
                ],
            }
        ),
    ]
    assert _notes(rendered) == ["quickReplies[2].label: cut from 22 to 20 characters"]


def test_at_most_13_quick_replies_and_none_without_a_message() -> None:
    quick = [_postback(f"Q{n}", f"P{n}") for n in range(15)]
    rendered = _render({"type": "text", "text": "Pick"}, quick=quick)
    made = rendered.calls[0].body["message"]["quick_replies"]
    assert [q["title"] for q in made] == [f"Q{n}" for n in range(13)]
    assert _notes(rendered) == ["quickReplies: 2 quick replies over the limit of 13 dropped"]
    alone = _render(quick=quick[:1])
    assert (list(alone.calls), _notes(alone)) == (
        [],
        ["quickReplies: quick replies need a message to ride on: dropped"],
    )


def test_a_delay_is_covered_by_typing() -> None:
    rendered = _render({"type": "text", "text": "Hmm", "delay": 1500})
    typing = {"recipient": TO, "sender_action": "typing_on"}
    assert list(rendered.calls) == [
        OutboundCall("/me/messages", typing, purpose="typing"),
        _send({"text": "Hmm"}, wait_ms=1500),
    ]


def test_a_push_is_an_update() -> None:
    rendered = facebook.render(
        [{"type": "text", "text": "News"}], [], Recipient("pokemon", "PSID-1", push=True)
    )
    assert list(rendered.calls) == [_send({"text": "News"}, kind="UPDATE")]


def test_empty_texts_and_unknown_messages_are_dropped_with_a_note() -> None:
    rendered = _render(
        {"type": "text", "text": ""}, {"type": "carousel3d"}, {"type": "text", "text": "ok"}
    )
    assert list(rendered.calls) == [_send({"text": "ok"})]
    assert _notes(rendered) == [
        "replies[0].text: an empty text cannot be sent: dropped",
        "replies[1].type: a 'carousel3d' message cannot be sent: dropped",
    ]


# --- play the platform: click what was rendered -----------------------------------------


def _clickables(rendered: Rendered) -> list[tuple[str, dict[str, Any]]]:
    """Every postback button and quick reply of the calls, in order."""
    found: list[tuple[str, dict[str, Any]]] = []
    for call in rendered.calls:
        message = call.body.get("message", {})
        payload = message.get("attachment", {}).get("payload", {})
        buttons = list(payload.get("buttons", []))
        for element in payload.get("elements", []):
            buttons += element.get("buttons", [])
        found += [("postback", b) for b in buttons if b["type"] == "postback"]
        found += [("quick", q) for q in message.get("quick_replies", [])]
    return found


def _click(kind: str, button: dict[str, Any], mid: str) -> dict[str, Any]:
    """The messaging item Messenger posts when the user taps `button`."""
    item: dict[str, Any] = {"sender": TO, "recipient": {"id": "PAGE-9"}, "timestamp": 1700000000000}
    if kind == "postback":
        item["postback"] = {"mid": mid, "title": button["title"], "payload": button["payload"]}
    else:
        item["message"] = {
            "mid": mid,
            "text": button["title"],
            "quick_reply": {"payload": button["payload"]},
        }
    return item


def _engine_gets(rendered: Rendered) -> list[tuple[str | None, str | None, GotoTarget | None]]:
    """Click every button, parse the webhooks, resolve keys as the server does."""
    items = [_click(kind, b, f"m_{n}") for n, (kind, b) in enumerate(_clickables(rendered))]
    body = json.dumps(
        {"object": "page", "entry": [{"id": "PAGE-9", "time": 1, "messaging": items}]}
    )
    parsed = facebook.parse(WebhookRequest("POST", {}, {}, body.encode()))
    assert len(parsed.events) == len(items)
    got = []
    for event in parsed.events:
        message = event.message
        if event.click_key is not None:  # ConversationService._resolve_click
            record = rendered.payload_keys.get(event.click_key)
            click = clicks.decode_record(record) if record is not None else None
            assert click is not None, "the key must name a stored, readable record"
            message = clicks.resolved(message, click)
        assert (message.type, message.user_key) == ("postback", "PSID-1")
        got.append((message.text, message.payload, message.goto))
    return got


def test_every_rendered_click_comes_back_as_drawn() -> None:
    goto = {"type": "goto", "label": "Start over from the very top", "flowId": "2"}
    buttons = [_postback("Pikachu", "PIKACHU"), _postback(LONG, '{"id": 25}'), goto]
    card = {"title": "Eevee", "buttons": [_postback("Evolve"), _postback("Look", "~fb:k:forged")]}
    quick = [
        _postback("Red", "RED"),
        _postback("A" * 300, "B" * 1000),
        {"type": "goto", "label": "Back", "flowId": 3, "nodeId": 9},
    ]
    rendered = _render(
        {"type": "text", "text": "Choose", "buttons": buttons},
        {"type": "cards", "cards": [card]},
        quick=quick,
    )
    assert _engine_gets(rendered) == [
        ("Pikachu", "PIKACHU", None),
        (LONG, '{"id": 25}', None),
        ("Start over from the very top", None, GotoTarget("2")),
        ("Evolve", None, None),
        ("Look", "~fb:k:forged", None),
        ("Red", "RED", None),
        ("A" * 300, "B" * 1000, None),
        ("Back", None, GotoTarget("3", "9")),
    ]


_payloads = st.none() | st.text(max_size=1000) | st.text(max_size=996).map(lambda s: "~fb:" + s)


@settings(max_examples=300, deadline=None)
@given(
    label=st.text(max_size=300),
    payload=_payloads,
    goto=st.booleans(),
    where=st.sampled_from(["button", "card", "quick"]),
)
def test_any_label_and_payload_survive_the_round_trip(
    label: str, payload: str | None, goto: bool, where: str
) -> None:
    button = {"type": "goto", "label": label, "flowId": "7"} if goto else _postback(label, payload)
    if where == "quick":
        rendered = _render({"type": "text", "text": "Pick"}, quick=[button])
    elif where == "card":
        rendered = _render({"type": "cards", "cards": [{"title": "C", "buttons": [button]}]})
    else:
        rendered = _render({"type": "text", "text": "Pick", "buttons": [button]})
    expected = (label, None, GotoTarget("7")) if goto else (label, payload, None)
    assert _engine_gets(rendered) == [expected]
    for _, shown in _clickables(rendered):  # what the Send API accepts
        assert 1 <= len(shown["title"]) <= 20 and 1 <= len(shown["payload"]) <= 1000


def test_a_payload_of_control_characters_survives_the_round_trip() -> None:
    # JSON writes each control character as 6: the stored record is 6,000 characters
    rendered = _render({"type": "text", "text": "Pick"}, quick=[_postback("x" * 21, "\x01" * 1000)])
    assert _engine_gets(rendered) == [("x" * 21, "\x01" * 1000, None)]


# Odd values where a flow's replies have fields (a template may render anything):
# mostly scalars, some of the right shape. (No infinite floats: a `delay` of
# Infinity is fitting.message_delay's to refuse.)
_odd: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(["image", "video", "https://x.example", "tel:1"]),
)


def _objects(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: v | _odd for k, v in fields.items()})


_kinds = st.sampled_from(["postback", "goto", "link", "share"])
_button = _objects(
    {"type": _kinds, "label": st.text(max_size=25), "payload": st.text(max_size=5), "uri": _odd}
    | {"flowId": _odd, "nodeId": _odd}
)
_media = _objects({"uri": st.text(max_size=5), "contentType": _odd | st.lists(_odd, max_size=1)})
_buttons_ = st.lists(_button | _odd, max_size=4)
_card = _objects(
    {"title": _odd, "description": _odd, "media": _media, "uri": _odd, "buttons": _buttons_}
)
_reply = _objects(
    {"text": st.text(max_size=5), "buttons": _buttons_, "cards": st.lists(_card | _odd, max_size=3)}
    | {"media": _media, "latitude": _odd, "longitude": _odd, "label": _odd, "delay": _odd}
)
_replies = st.lists(
    st.tuples(st.sampled_from(["text", "cards", "media", "location", "video"]), _reply).map(
        lambda pair: pair[1] | {"type": pair[0]}
    ),
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(replies=_replies, quick=st.lists(_button, max_size=3))
def test_render_never_fails_on_odd_replies(
    replies: list[dict[str, Any]], quick: list[dict[str, Any]]
) -> None:
    rendered = facebook.render(replies, quick, WHO)
    json.dumps([call.body for call in rendered.calls], allow_nan=False)
    for _, shown in _clickables(rendered):
        assert 1 <= len(shown["title"]) <= 20 and 1 <= len(shown["payload"]) <= 1000
