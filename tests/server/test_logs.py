"""Log lines never carry a conversation token, an API key or a webhook's path token."""

from __future__ import annotations

import io
import logging

from flowbot.server.logs import redact, redact_logs


def test_query_secrets_and_path_tokens_are_starred() -> None:
    assert redact("GET /channels/web/b/events?token=abc&x=1") == (
        "GET /channels/web/b/events?token=***&x=1"
    )
    assert redact("POST /channels/kakao/shop/s3cret-path-token HTTP/1.1") == (
        "POST /channels/kakao/shop/*** HTTP/1.1"
    )
    assert redact("/channels/navertalk/shop/s3cret?x=1") == "/channels/navertalk/shop/***?x=1"
    # other channels' paths carry no secret
    assert redact("POST /channels/web/shop/messages") == "POST /channels/web/shop/messages"
    assert redact("POST /channels/line/shop") == "POST /channels/line/shop"


def test_a_record_of_any_logger_is_redacted_at_the_roots_handler() -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        redact_logs(("",))
        # logged on a descendant: the root logger's own filter never sees it
        logging.getLogger("flowbot.server").warning(
            "POST %s -> 404", "/channels/kakao/shop/s3cret-path-token"
        )
    finally:
        root.removeHandler(handler)
        for f in list(root.filters):
            root.removeFilter(f)
    assert stream.getvalue() == "POST /channels/kakao/shop/*** -> 404\n"
