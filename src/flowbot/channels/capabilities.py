"""What each platform can show: one row per channel (SPEC §6).

Rendering and degradation read these rows instead of branching per platform,
and `flowbot validate --channel` reads the same rows ahead of time.

Each row follows the platform's own documentation, cited beside the figure.
CLOSER's table (`limitations.md`, 2020) is lower in places; where flowbot
follows the platform instead, the comment says "CLOSER: …" and
docs/channels.md lists the differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CAPABILITIES", "ChannelCapabilities"]


@dataclass(frozen=True, slots=True)
class ChannelCapabilities:
    """The limits of one platform; `None` = no limit flowbot enforces."""

    name: str
    text_chars: int
    cards: int
    buttons_per_card: int
    buttons_per_text: int
    card_title_chars: int
    card_body_chars: int
    button_label_chars: int
    quick_replies: int
    quick_reply_label_chars: int
    payload_chars: int | None
    # several cards side by side; without, each card is a message of its own
    carousel: bool = True
    sync_reply: bool = False
    # The text of a message that carries buttons (a template's text), when the
    # platform limits it below `text_chars`.
    text_with_buttons_chars: int | None = None
    # A card's body when the card also has a title or an image (LINE: 60).
    card_body_with_title_chars: int | None = None
    # Messages per platform API request (LINE's reply and push: 5).
    messages_per_request: int | None = None
    # Media content types a message may carry; others become a link.
    media_types: frozenset[str] = frozenset({"image", "video", "audio"})
    # URI schemes a link button may open; others are dropped with a note.
    link_schemes: frozenset[str] = frozenset({"http", "https", "tel", "mailto"})
    # A platform API that reaches the user outside a turn (the JSON API's push).
    can_push: bool = False


CAPABILITIES: Mapping[str, ChannelCapabilities] = {
    "web": ChannelCapabilities(
        name="web",
        text_chars=1000,
        cards=10,
        buttons_per_card=9,
        buttons_per_text=9,
        card_title_chars=255,
        card_body_chars=1000,
        button_label_chars=255,
        quick_replies=50,
        quick_reply_label_chars=255,
        payload_chars=1000,
        sync_reply=True,
        # the widget's event stream
        can_push=True,
    ),
    # https://developers.facebook.com/docs/messenger-platform/reference/send-api/
    # https://developers.facebook.com/docs/messenger-platform/send-messages/templates
    "facebook": ChannelCapabilities(
        name="facebook",
        # Send API `message.text`: "UTF-8 and has a 2000 character limit" (CLOSER: 1000)
        text_chars=2000,
        # button template: `text` up to 640 characters
        text_with_buttons_chars=640,
        # generic template: up to 10 elements, each title and subtitle 80, 3 buttons
        cards=10,
        buttons_per_card=3,
        # button template: 1–3 buttons
        buttons_per_text=3,
        card_title_chars=80,
        card_body_chars=80,
        # button `title`: 20 characters
        button_label_chars=20,
        # quick replies: at most 13, `title` 20 characters, `payload` 1000
        quick_replies=13,
        quick_reply_label_chars=20,
        payload_chars=1000,
        # `web_url` buttons open http(s) only; `phone_number` buttons call a number
        link_schemes=frozenset({"http", "https", "tel"}),
        can_push=True,
    ),
    # https://developers.line.biz/en/reference/messaging-api/#message-objects
    "line": ChannelCapabilities(
        name="line",
        # text message: 5000 characters (CLOSER: 1000)
        text_chars=5000,
        # buttons template: text 160 characters, 60 with a title or an image
        text_with_buttons_chars=160,
        # carousel template: 10 columns, 3 actions, title 40, text 120 (60 with a title or image)
        cards=10,
        buttons_per_card=3,
        # buttons template: 4 actions (CLOSER: 3)
        buttons_per_text=4,
        card_title_chars=40,
        card_body_chars=120,
        card_body_with_title_chars=60,
        # action `label`: 20 characters
        button_label_chars=20,
        # quick reply: 13 items, label 20 characters (CLOSER: 10 / 10)
        quick_replies=13,
        quick_reply_label_chars=20,
        # postback action `data`: 300 characters
        payload_chars=300,
        # reply and push requests: at most 5 message objects
        messages_per_request=5,
        # video and audio messages need a preview image and a duration a bot
        # file does not give: they become links
        media_types=frozenset({"image"}),
        # uri action: http, https, line, tel
        link_schemes=frozenset({"http", "https", "tel", "line"}),
        can_push=True,
    ),
    # https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format
    "kakao": ChannelCapabilities(
        name="kakao",
        # simpleText `text`: 1000 characters (past 500 the client folds it behind 전체 보기)
        text_chars=1000,
        # textCard: title and description together 400 characters (a text with buttons)
        text_with_buttons_chars=400,
        # carousel `items`: 10
        cards=10,
        # a card's buttons: 3 stacked, 2 side by side
        buttons_per_card=3,
        buttons_per_text=3,
        # basicCard and textCard `title`: 50 characters (CLOSER: 35, 30 beside a body)
        card_title_chars=50,
        # basicCard `description`: 230 characters, 2 lines shown in a carousel; a text
        # card's is 400 alone, 128 in a carousel (CLOSER: 230, 76 in a carousel, 40 with a title)
        card_body_chars=230,
        # Button `label`: 14 characters (8 when two sit side by side)
        button_label_chars=14,
        # SkillTemplate `quickReplies`: at most 10 (CLOSER: 50); a quick reply's
        # `label`, like a button's, 14 characters as SPEC §6 reads Kakao's
        # reference (the current page gives no figure; CLOSER: 30)
        quick_replies=10,
        quick_reply_label_chars=14,
        # The click rides in a button's `extra` (Map<String, Any>, back as
        # `action.clientExtra`); Kakao documents no limit for it: flowbot's 1,000.
        payload_chars=1000,
        # SkillTemplate `outputs`: 1 to 3 in one answer
        messages_per_request=3,
        # simpleImage; video and audio become links
        media_types=frozenset({"image"}),
        # Button actions `webLink` (a URL) and `phone` (a number)
        link_schemes=frozenset({"http", "https", "tel"}),
        # the skill answers in its HTTP response, within 5 seconds (or by the
        # one-minute callback); no API reaches a user outside a turn
        sync_reply=True,
        can_push=False,
    ),
    # https://github.com/navertalk/chatbot-api (README: textContent, compositeContent, 퀵 버튼)
    "navertalk": ChannelCapabilities(
        name="navertalk",
        # textContent `text`: "1만자 이내", 10,000 characters (CLOSER: 1000)
        text_chars=10000,
        # a text with buttons is a composite: its `description` holds 1000 characters
        text_with_buttons_chars=1000,
        # CompositeContent `compositeList`: at most 10 composites (a carousel)
        cards=10,
        # Composite `buttonList`: at most 10 buttons (CLOSER: 9)
        buttons_per_card=10,
        buttons_per_text=10,
        # Composite `title` 200, `description` 1000 characters
        card_title_chars=200,
        card_body_chars=1000,
        # TEXT and LINK ButtonData `title`: 18 characters
        button_label_chars=18,
        # quick reply buttons: `title` 10 characters; their number is not
        # documented, CLOSER's 10 is kept
        quick_replies=10,
        quick_reply_label_chars=10,
        # TEXT ButtonData `code`: 1,000 characters, sent back with the title
        payload_chars=1000,
        # the webhook's answer carries one send event; the send API
        # (`/chatbot/v1/event`) carries the rest, and reaches the user outside a turn
        sync_reply=True,
        can_push=True,
        # imageContent only (JPG, PNG, GIF up to 20 MB): video and audio become links
        media_types=frozenset({"image"}),
        # LINK ButtonData `url` / `mobileUrl`: web pages (a `tel:` URL is
        # documented for the persistent menu only)
        link_schemes=frozenset({"http", "https"}),
    ),
}
