from __future__ import annotations

from flowbot.testing import Expect, check_expect, summarise_reply

TEXT = {"type": "text", "text": "Hi", "buttons": [{"type": "postback", "label": "A"}]}
CARDS = {"type": "cards", "cards": [{"title": "x", "description": "deep"}, {"title": "y"}]}
VIDEO = {"type": "media", "media": {"uri": "https://v", "contentType": "video"}}


def check(expect: dict[str, object], **got: object) -> list[str]:
    defaults: dict[str, object] = {
        "replies": [TEXT, CARDS, VIDEO],
        "quick_replies": [],
        "navigation": None,
        "params": {"a": 1},
        "error": None,
    }
    defaults.update(got)
    found = check_expect(Expect.model_validate(expect), **defaults)  # type: ignore[arg-type]
    return [mismatch.what for mismatch in found]


def test_summaries_use_the_test_file_notation() -> None:
    assert summarise_reply(TEXT) == {"text": "Hi", "buttons": ["A"]}
    assert summarise_reply({"type": "text", "text": "plain"}) == "plain"
    assert summarise_reply(CARDS) == {"cards": ["x", "y"]}
    assert summarise_reply(VIDEO) == {"video": "https://v"}


def test_replies_match_in_order_and_count() -> None:
    assert check({"replies": ["Hi", {"cards": ["x", "y"]}, {"video": "https://v"}]}) == []
    assert (
        check(
            {
                "replies": [
                    {"text": "Hi", "buttons": ["A"]},
                    {"cards": ["x", "y"]},
                    {"media": "https://v"},
                ]
            }
        )
        == []
    )
    assert check({"replies": ["Hi", {"cards": ["x", "y"]}]}) == ["replies"]
    assert check({"replies": ["Hi", {"cards": ["x", "y"]}, {"image": "https://v"}]}) == ["replies"]
    assert check(
        {"replies": [{"text": "Hi", "buttons": []}, {"cards": ["x", "y"]}, {"video": "https://v"}]}
    ) == ["replies"]


def test_other_checks() -> None:
    assert check({"contains": ["deep", "A"]}) == []
    assert check({"contains": "nowhere"}) == ["contains"]
    assert check({"navigation": None}) == []
    assert (
        check({"navigation": {"flowId": 1, "nodeId": "2"}}, navigation={"flowId": "1", "nodeId": 2})
        == []
    )
    assert check(
        {"navigation": {"flowId": 1, "nodeId": 3}}, navigation={"flowId": 1, "nodeId": 2}
    ) == ["navigation"]
    assert check({"navigation": {"flowId": 1}}) == ["navigation"]
    assert check({"params": {"a": 1, "b": None}}) == []
    assert check({"params": {"a": 2}}) == ["params"]
    assert check({"quickReplies": ["Y"]}, quick_replies=[{"label": "Y"}]) == []
    assert check({"quickReplies": []}, quick_replies=[{"label": "Y"}]) == ["quickReplies"]
    assert check({}, error="boom") == ["error"]
    assert check({"error": "bo"}, error="boom") == []
    assert check({"error": ""}) == ["error"]
