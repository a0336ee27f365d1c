"""Chat with a bot without a server: the terminal chat and the JSON-lines interface."""

from __future__ import annotations

from flowbot.chat.clicks import Clickable, ClickError, clickables_in, inbound_for_click
from flowbot.chat.conversation import Conversation, load_chat_program
from flowbot.chat.jsonl import JsonlChat, serve_jsonl
from flowbot.chat.main import run_chat
from flowbot.chat.terminal import ChatSession

__all__ = [
    "ChatSession",
    "ClickError",
    "Clickable",
    "Conversation",
    "JsonlChat",
    "clickables_in",
    "inbound_for_click",
    "load_chat_program",
    "run_chat",
    "serve_jsonl",
]
