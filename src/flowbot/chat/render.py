"""Rich renderables for bot replies in the terminal chat.

Text bubbles are panels, cards stand side by side, images are a line with
their URL. Every clickable gets a number from `number` (the session's running
counter) that the user types to click it; link buttons get no number because
they do not post back: they show their URL instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from flowbot.chat.clicks import Clickable, clickable_from, quick_replies_of

__all__ = ["Numberer", "render_replies", "render_state", "render_trace"]

Numberer = Callable[[Clickable], int]

MEDIA_ICONS = {"image": "🖼", "video": "🎞", "audio": "🔊"}


def _str(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def render_button(button: Mapping[str, Any], number: Numberer) -> Text:
    clickable = clickable_from(button)
    if clickable is None:
        return Text(f"[?] {json.dumps(dict(button), ensure_ascii=False)}", style="dim")
    if clickable.kind == "link":
        link = Text.assemble("🔗 ", (clickable.label, "underline"), (f"  {clickable.uri}", "dim"))
        link.overflow = "fold"
        return link
    marker = "↪ " if clickable.kind == "goto" else ""
    return Text.assemble((f"[{number(clickable)}] ", "bold cyan"), f"{marker}{clickable.label}")


def _buttons(owner: Mapping[str, Any], number: Numberer) -> list[RenderableType]:
    buttons = owner.get("buttons")
    return [
        render_button(button, number)
        for button in (buttons if isinstance(buttons, list) else [])
        if isinstance(button, Mapping)
    ]


def _media_line(media: Any) -> Text:
    media = media if isinstance(media, Mapping) else {}
    kind = _str(media.get("contentType")) or "image"
    line = f"{MEDIA_ICONS.get(kind, '📎')} {kind}: {_str(media.get('uri'))}"
    return Text(line, style="blue", overflow="fold")


def render_card(card: Mapping[str, Any], number: Numberer) -> Panel:
    parts: list[RenderableType] = []
    if card.get("media"):
        parts.append(_media_line(card.get("media")))
    if card.get("description"):
        parts.append(Text(_str(card.get("description"))))
    if card.get("uri"):
        parts.append(Text(f"🔗 {_str(card.get('uri'))}", style="dim", overflow="fold"))
    parts.extend(_buttons(card, number))
    title = escape(_str(card.get("title")))
    return Panel(Group(*parts), title=f"[bold]{title}[/]", width=32, border_style="magenta")


def render_message(message: Mapping[str, Any], number: Numberer) -> RenderableType:
    kind = message.get("type")
    if kind == "text":
        body = Group(Text(_str(message.get("text"))), *_buttons(message, number))
        return Panel(body, expand=False, border_style="green", title="bot", title_align="left")
    if kind == "media":
        return _media_line(message.get("media"))
    if kind == "cards":
        cards = message.get("cards")
        panels = [
            render_card(card, number)
            for card in (cards if isinstance(cards, list) else [])
            if isinstance(card, Mapping)
        ]
        return Columns(panels)
    if kind == "location":
        label = _str(message.get("label"))
        where = f"{_str(message.get('latitude'))}, {_str(message.get('longitude'))}"
        return Text(f"📍 {label} ({where})", style="blue")
    return Text(json.dumps(dict(message), ensure_ascii=False), style="dim")


def render_quick_replies(quick_replies: list[dict[str, Any]], number: Numberer) -> Text:
    text = Text("quick replies: ", style="dim")
    for clickable in quick_replies_of(quick_replies):
        text.append(f"[{number(clickable)}] ", style="bold cyan")
        text.append(f"{clickable.label}   ")
    return text


def render_replies(
    replies: list[dict[str, Any]], quick_replies: list[dict[str, Any]], number: Numberer
) -> list[RenderableType]:
    shown: list[RenderableType] = [render_message(reply, number) for reply in replies]
    if quick_replies:
        shown.append(render_quick_replies(quick_replies, number))
    return shown


def render_state(navigation: dict[str, Any] | None, params: dict[str, Any]) -> RenderableType:
    table = Table(title="conversation state", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    table.add_row("navigation", json.dumps(navigation, ensure_ascii=False, default=str))
    table.add_row("params", json.dumps(params, ensure_ascii=False, indent=2, default=str))
    return table


TRACE_DETAIL_CHARS = 160
TRACE_COLUMNS = {"flowId": "flow", "nodeId": "node", "type": "type", "label": "label"}


def render_trace(steps: list[dict[str, Any]]) -> RenderableType:
    """The nodes of the last turn: where, what, and one line per other key of the step."""
    table = Table(title="last turn trace")
    table.add_column("#", justify="right", style="dim")
    for title in TRACE_COLUMNS.values():
        table.add_column(title)
    table.add_column("details", overflow="fold")
    for index, step in enumerate(steps, 1):
        cells = [_cell(step.get(key)) for key in TRACE_COLUMNS]
        details = [
            f"{key}: {_shorten(_cell(value))}"
            for key, value in step.items()
            if key not in TRACE_COLUMNS
        ]
        table.add_row(str(index), *cells, "\n".join(details))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _shorten(text: str) -> str:
    # The whole rendered message is in the trace; a table cell only needs its start.
    return text if len(text) <= TRACE_DETAIL_CHARS else text[: TRACE_DETAIL_CHARS - 1] + "…"
