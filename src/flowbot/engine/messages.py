"""What flows into and out of a turn, shared by every channel.

A channel adapter turns its webhook body into an `InboundMessage`; the engine
answers with replies that are CLOSER `Message` objects (plain JSON dicts,
after templating and array expansion) plus the quick replies of the keyboard
node the conversation now waits at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MessageType = Literal["text", "postback", "media", "location", "event"]


@dataclass(slots=True, frozen=True)
class GotoTarget:
    """The jump a `goto` button asks for; node_id None means the flow's entry."""

    flow_id: str
    node_id: str | None = None


@dataclass(slots=True)
class InboundMessage:
    """One user event, whatever channel it came from.

    `payload` is the raw postback string as the button carried it (≤ 1,000
    characters); the engine parses it as JSON into `message.payload` when it
    can. `event` is "open" when a conversation is opened without a message.
    """

    conversation_key: str
    type: MessageType = "text"
    text: str | None = None
    payload: str | None = None
    media: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    event: str | None = None
    goto: GotoTarget | None = None
    channel: str = "test"
    user_key: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def with_conversation_key(self, conversation_key: str) -> InboundMessage:
        """A copy for another conversation key (a server keys messages by conversation).

        Written out rather than `dataclasses.replace`, which looks the fields up
        on every call; tests/engine/test_messages.py checks that no field is lost.
        """
        return InboundMessage(
            conversation_key,
            self.type,
            self.text,
            self.payload,
            self.media,
            self.location,
            self.event,
            self.goto,
            self.channel,
            self.user_key,
            self.params,
        )
