"""The server's memory of recent conversations: the hot path reads no database.

It holds the last saved state of the most recently used conversations, by
id and by (bot, channel, user). It stays correct beside other writers
because every save names the version it started from: a stale entry meets
a `ConflictError` and is reloaded (see `flowbot.server.conversations`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from flowbot.engine import ConversationState
from flowbot.store import Conversation

__all__ = ["Cached", "ConversationCache", "UserKey"]

# (bot id, channel, user key): whom a conversation is with
UserKey = tuple[str, str, str]


@dataclass(slots=True)
class Cached:
    conversation: Conversation
    state: ConversationState | None


class ConversationCache:
    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._by_id: OrderedDict[str, Cached] = OrderedDict()
        self._ids: dict[UserKey, str] = {}

    def get(self, conversation_id: str) -> Cached | None:
        return self._by_id.get(conversation_id)

    def find(self, key: UserKey) -> Cached | None:
        conversation_id = self._ids.get(key)
        if conversation_id is None:
            return None
        cached = self._by_id.get(conversation_id)
        if cached is not None:
            self._by_id.move_to_end(conversation_id)
        return cached

    def remember(
        self, conversation: Conversation, state: ConversationState | None = None
    ) -> Cached:
        if state is None and conversation.state is not None:
            state = ConversationState.from_json(conversation.state)
        cached = Cached(conversation, state)
        by_id = self._by_id
        by_id[conversation.id] = cached
        by_id.move_to_end(conversation.id)
        self._ids[(conversation.bot_id, conversation.channel, conversation.user_key)] = (
            conversation.id
        )
        while len(by_id) > self.size:
            _, old = by_id.popitem(last=False)
            c = old.conversation
            self._ids.pop((c.bot_id, c.channel, c.user_key), None)
        return cached

    def forget(self, conversation_id: str) -> None:
        cached = self._by_id.pop(conversation_id, None)
        if cached is not None:
            c = cached.conversation
            self._ids.pop((c.bot_id, c.channel, c.user_key), None)
