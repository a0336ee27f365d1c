"""What a messenger button carries, and how a click on it becomes a message again.

A web button sends its label and payload back as they are. A messenger
button carries one string (Facebook's postback `payload`, LINE's postback
`data`), limited in length (LINE: 300), and sends back either only that string
(LINE) or that string and the label as shown (Facebook, where the label may
have been cut to 20 characters). So a button's wire data is one of:

- the payload itself, when it fits, does not start with `PREFIX`, and nothing
  else is needed to rebuild the click (on Facebook: the label was not cut);
- `~fb:t:<label>`, a payload-less button (the click is its label as text);
- `~fb:g:<json>`, a goto button: its flow, node and label;
- `~fb:k:<key>`, anything that does not fit: a short key to a record kept in
  the store (`Store.put_payloads`), resolved on the click;
- `~fb:n`, a button that does nothing (LINE needs as many buttons on every
  carousel column).

Keys are content-addressed (a hash of the bot, the channel and the record),
like python-telegram-bot's callback-data cache but without its per-process
memory: the same button rendered again, in any conversation or process, has
the same key, so storing it again only renews it, and a key never names a
different payload. A payload is data: it is decoded as JSON where this
module's own prefixes say so, and never evaluated as a template or code.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowbot.engine.messages import GotoTarget, InboundMessage

__all__ = [
    "KEY_CHARS",
    "PREFIX",
    "Click",
    "click_message",
    "decode_click",
    "decode_record",
    "encode_click",
    "noop_data",
    "payload_key",
    "resolved",
]

PREFIX = "~fb:"
_TEXT = PREFIX + "t:"
_GOTO = PREFIX + "g:"
_KEY = PREFIX + "k:"
_NOOP = PREFIX + "n"
KEY_CHARS = 22  # 132 bits of SHA-256, URL-safe base64
# A record holds a label and a payload of at most 1,000 characters each way a
# template renders them; JSON writes a control character as 6 (\u0001).
# Anything longer is not one of ours.
_MAX_RECORD_CHARS = 16_384


@dataclass(frozen=True, slots=True)
class Click:
    """A decoded click: what the user's tap means.

    `key` is set when the wire data was a stored key (resolve it with
    `decode_record`); `noop` when the button does nothing.
    """

    text: str | None = None
    payload: str | None = None
    goto: GotoTarget | None = None
    key: str | None = None
    noop: bool = False


def payload_key(scope: str, record: str) -> str:
    """The key of a stored record: the same record in the same scope, the same key."""
    digest = hashlib.sha256(f"{scope}\x00{record}".encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:KEY_CHARS]


def encode_click(
    button: Mapping[str, Any],
    *,
    limit: int,
    label_comes_back: bool,
    shown_label: str,
    scope: str,
    keys: dict[str, str],
) -> str:
    """The wire data of a postback or goto button (a dict of the CLOSER format).

    `label_comes_back`: the platform sends the shown label with the click
    (Facebook) rather than only the data (LINE). `keys` collects the records
    this data refers to, which must be stored before the button is sent.
    """
    label = button.get("label")
    label = label if isinstance(label, str) else ""
    if button.get("type") == "goto":
        goto: dict[str, Any] = {"flowId": button.get("flowId")}
        if button.get("nodeId") is not None:
            goto["nodeId"] = button.get("nodeId")
        inline = _GOTO + _dumps({"f": goto["flowId"], "n": goto.get("nodeId"), "t": label})
        if len(inline) <= limit:
            return inline
        return _keyed({"t": label, "g": goto}, scope, keys)
    payload = button.get("payload")
    if isinstance(payload, str):
        if (
            # an empty payload cannot travel (Facebook refuses it, LINE's data is 1–300)
            0 < len(payload) <= limit
            and not payload.startswith(PREFIX)
            and (not label_comes_back or shown_label == label)
        ):
            return payload
        return _keyed({"t": label, "p": payload}, scope, keys)
    inline = _TEXT + label
    if len(inline) <= limit:
        return inline
    return _keyed({"t": label}, scope, keys)


def noop_data() -> str:
    return _NOOP


def decode_click(data: str, shown_label: str | None = None) -> Click:
    """What a click's wire data means; `shown_label` is the label the platform sent, if any.

    Data that is not one of this module's forms is a payload as it is, which
    is also what becomes of a malformed `~fb:` form: a click never fails here.
    """
    if not data.startswith(PREFIX):
        return Click(text=shown_label, payload=data)
    if data.startswith(_TEXT):
        return Click(text=data[len(_TEXT) :])
    if data.startswith(_KEY):
        key = data[len(_KEY) :]
        if len(key) == KEY_CHARS:
            return Click(text=shown_label, key=key)
    elif data.startswith(_GOTO):
        goto = _loads(data[len(_GOTO) :])
        if isinstance(goto, dict) and _is_id(goto.get("f")):
            node = goto.get("n")
            return Click(
                text=goto["t"] if isinstance(goto.get("t"), str) else shown_label,
                goto=GotoTarget(str(goto["f"]), str(node) if _is_id(node) else None),
            )
    elif data == _NOOP:
        return Click(noop=True)
    return Click(text=shown_label, payload=data)


def decode_record(record: str) -> Click | None:
    """The click a stored record describes; None when the record is not one."""
    value = _loads(record)
    if not isinstance(value, dict):
        return None
    text = value.get("t") if isinstance(value.get("t"), str) else None
    goto = value.get("g")
    if isinstance(goto, dict) and _is_id(goto.get("flowId")):
        node = goto.get("nodeId")
        target = GotoTarget(str(goto["flowId"]), str(node) if _is_id(node) else None)
        return Click(text=text, goto=target)
    payload = value.get("p")
    return Click(text=text, payload=payload if isinstance(payload, str) else None)


def click_message(click: Click, *, channel: str, user_key: str) -> InboundMessage:
    """The inbound message of a click: its label as text, its payload or goto target.

    A payload-less click is a postback without payload, which the engine reads
    as its label sent as text (SPEC §3).
    """
    return InboundMessage(
        conversation_key=user_key,
        type="postback",
        text=click.text,
        payload=click.payload,
        goto=click.goto,
        channel=channel,
        user_key=user_key,
    )


def resolved(message: InboundMessage, click: Click) -> InboundMessage:
    """The click a stored key named, in place of the message that carried the key.

    The label as the platform showed it stays the text when the record has none.
    """
    return InboundMessage(
        message.conversation_key,
        "postback",
        text=click.text if click.text is not None else message.text,
        payload=click.payload,
        goto=click.goto,
        channel=message.channel,
        user_key=message.user_key,
        # what the platform sent beside the click (Kakao's action.params)
        params=message.params,
    )


def _keyed(record: dict[str, Any], scope: str, keys: dict[str, str]) -> str:
    text = _dumps(record)
    key = payload_key(scope, text)
    keys[key] = text
    return _KEY + key


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str) -> Any:
    if len(text) > _MAX_RECORD_CHARS:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and bool(value.strip()))
