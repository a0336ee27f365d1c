"""The capability rows: each platform's documented limits, where CLOSER's table differs."""

from __future__ import annotations

from dataclasses import replace

from flowbot.channels import (
    CAPABILITIES,
    CHANNELS,
    ChannelCapabilities,
    ChannelModule,
    Recipient,
    facebook,
    kakao,
    line,
    navertalk,
)


def test_every_registered_channel_has_its_row() -> None:
    assert set(CAPABILITIES) == {"web", "facebook", "line", "kakao", "navertalk"}
    for name, module in CHANNELS.items():
        assert name == module.NAME
        assert module.capabilities is CAPABILITIES[name]


def test_the_web_row_is_closers() -> None:
    web = CAPABILITIES["web"]
    assert (web.text_chars, web.cards, web.buttons_per_card, web.payload_chars) == (
        1000,
        10,
        9,
        1000,
    )
    assert web.sync_reply and web.can_push


def test_facebook_follows_the_send_api_reference() -> None:
    facebook = CAPABILITIES["facebook"]
    # Send API text 2000 (CLOSER: 1000); button template text 640
    assert (facebook.text_chars, facebook.text_with_buttons_chars) == (2000, 640)
    assert (facebook.cards, facebook.buttons_per_card, facebook.buttons_per_text) == (10, 3, 3)
    assert (facebook.card_title_chars, facebook.card_body_chars) == (80, 80)
    assert (facebook.button_label_chars, facebook.payload_chars) == (20, 1000)
    assert (facebook.quick_replies, facebook.quick_reply_label_chars) == (13, 20)
    assert not facebook.sync_reply and facebook.can_push


def test_line_follows_the_messaging_api_reference() -> None:
    line = CAPABILITIES["line"]
    # text 5000 (CLOSER: 1000); buttons template text 160, 60 beside a title or image
    assert (line.text_chars, line.text_with_buttons_chars) == (5000, 160)
    assert (line.card_title_chars, line.card_body_chars, line.card_body_with_title_chars) == (
        40,
        120,
        60,
    )
    # quick replies: 13 items of 20 characters (CLOSER: 10 / 10); 4 actions on a buttons template
    assert (line.quick_replies, line.quick_reply_label_chars) == (13, 20)
    assert (line.buttons_per_text, line.buttons_per_card, line.button_label_chars) == (4, 3, 20)
    assert (line.payload_chars, line.messages_per_request) == (300, 5)
    assert line.media_types == {"image"}


def test_the_korean_rows_answer_in_the_response_and_carry_1000_character_payloads() -> None:
    kakao, talktalk = CAPABILITIES["kakao"], CAPABILITIES["navertalk"]
    assert kakao.sync_reply and talktalk.sync_reply
    # Kakao has no API that reaches a user outside a turn; TalkTalk's send API does
    assert (kakao.can_push, talktalk.can_push) == (False, True)
    assert kakao.payload_chars == talktalk.payload_chars == 1000
    assert (kakao.button_label_chars, kakao.buttons_per_card, kakao.messages_per_request) == (
        14,
        3,
        3,
    )
    assert (talktalk.button_label_chars, talktalk.buttons_per_card) == (18, 10)


def _cards(count: int) -> dict[str, object]:
    return {
        "type": "cards",
        "cards": [
            {
                "title": f"Card {n}",
                "description": "d",
                "buttons": [{"type": "postback", "label": "Pick", "payload": str(n)}],
            }
            for n in range(count)
        ],
    }


def test_a_row_without_carousels_sends_each_card_alone() -> None:
    recipient = Recipient("bot", "U1", reply_token="r")
    for module in (facebook, line, kakao, navertalk):
        rendered = module.render([_cards(3)], [], recipient, flat_of(module))
        notes = [str(note) for note in rendered.notes]
        assert notes == ["replies[0].cards: no carousel: 3 cards sent one by one"], module.NAME
        carousel = module.render([_cards(3)], [], recipient, module.capabilities)
        assert carousel.notes == []
    fb_calls = facebook.render([_cards(3)], [], recipient, flat_of(facebook)).calls
    assert [len(c.body["message"]["attachment"]["payload"]["elements"]) for c in fb_calls] == [
        1,
        1,
        1,
    ]
    [reply] = line.render([_cards(3)], [], recipient, flat_of(line)).calls
    templates = [m["template"]["type"] for m in reply.body["messages"]]
    assert templates == ["buttons", "buttons", "buttons"]


def flat_of(module: ChannelModule) -> ChannelCapabilities:
    return replace(module.capabilities, carousel=False)


def test_root_relative_uris_become_absolute_for_the_messengers() -> None:
    from flowbot.channels.fitting import absolute_uris

    messages: list[dict[str, object]] = [
        {"type": "media", "media": {"contentType": "image", "uri": "/media/bot/a.png"}},
        {
            "type": "cards",
            "cards": [
                {
                    "title": "t",
                    "uri": "/shop",
                    "media": {"uri": "https://cdn.example/b.png"},
                    "buttons": [{"type": "link", "label": "l", "uri": "/media/bot/c.pdf"}],
                }
            ],
        },
        {"type": "text", "text": "unchanged", "buttons": [{"type": "link", "uri": "//x.example"}]},
    ]
    fixed = absolute_uris(messages, "https://bots.example/")
    assert fixed[0] == {
        "type": "media",
        "media": {"contentType": "image", "uri": "https://bots.example/media/bot/a.png"},
    }
    [card] = fixed[1]["cards"]  # type: ignore[index]
    assert card["uri"] == "https://bots.example/shop"
    assert card["media"] == {"uri": "https://cdn.example/b.png"}
    assert card["buttons"][0]["uri"] == "https://bots.example/media/bot/c.pdf"
    assert fixed[2] is messages[2]  # nothing to change: the same object
    assert messages[0]["media"] == {"contentType": "image", "uri": "/media/bot/a.png"}


def test_a_path_is_no_image_url_for_facebook() -> None:
    card = {"title": "t", "media": {"contentType": "image", "uri": "/media/bot/a.png"}}
    rendered = facebook.render(
        [{"type": "cards", "cards": [card]}, {"type": "media", "media": {"uri": "/x.png"}}],
        [],
        Recipient("bot", "P1"),
        facebook.capabilities,
    )
    [call] = rendered.calls
    [element] = call.body["message"]["attachment"]["payload"]["elements"]
    assert "image_url" not in element
    assert [str(note) for note in rendered.notes] == [
        "replies[0].cards[0].media: Messenger needs an http(s) image URL: dropped",
        "replies[1].media.uri: Messenger needs an http(s) media URL: dropped",
    ]
