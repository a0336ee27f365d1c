"""A bot's statistics over a range of days, from the turns' stored traces.

One read (`Store.turn_traces`: the bot's "in" transcript rows of the range,
by conversation and turn), then counted here: node visits, edges followed,
where each conversation's last turn of the range ended, and per UTC day the
conversations, user messages and distinct users.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flowbot.store import Store
from flowbot.studio.traces import read_trace

__all__ = ["bot_stats", "day_range"]


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last` (UTC)."""
    return (
        datetime.combine(first, time(), UTC),
        datetime.combine(last + timedelta(days=1), time(), UTC),
    )


def _key(value: Any) -> Any:
    # ids as JSON keeps them: 1 and "1" are two ids; lists are not hashable
    return tuple(value) if isinstance(value, list) else value


async def bot_stats(store: Store, bot_id: str, first: date, last: date) -> dict[str, Any]:
    since, until = day_range(first, last)
    turns = await store.turn_traces(bot_id, since, until)
    nodes: Counter[tuple[Any, Any]] = Counter()
    edges: Counter[tuple[Any, Any, Any]] = Counter()
    ended: Counter[tuple[Any, Any]] = Counter()
    days: dict[date, tuple[set[str], list[int], set[str]]] = {}
    last_end: dict[str, tuple[Any, Any] | None] = {}
    for turn in turns:
        day = turn.at.astimezone(UTC).date()
        conversations, messages, users = days.setdefault(day, (set(), [0], set()))
        conversations.add(turn.conversation_id)
        messages[0] += 1
        users.add(turn.user_key)
        trace = read_trace(turn.trace)
        if trace is None:
            continue
        for step in trace.get("n", ()):
            nodes[_key(step[0]), _key(step[1])] += 1
        for edge in trace.get("e", ()):
            edges[_key(edge[0]), _key(edge[1]), _key(edge[2])] += 1
        end = trace.get("x")
        # rows come by conversation, then turn: the last one seen is the last turn
        last_end[turn.conversation_id] = (_key(end[0]), _key(end[1])) if end else None
    for end in last_end.values():
        if end is not None:
            ended[end] += 1
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "turns": len(turns),
        "nodes": [
            {"flowId": f, "nodeId": n, "visits": count} for (f, n), count in nodes.most_common()
        ],
        "edges": [
            {"flowId": f, "from": a, "to": b, "count": count}
            for (f, a, b), count in edges.most_common()
        ],
        "dropoff": [
            {"flowId": f, "nodeId": n, "ended": count} for (f, n), count in ended.most_common()
        ],
        "days": [
            {
                "date": day.isoformat(),
                "conversations": len(conversations),
                "messages": messages[0],
                "users": len(users),
            }
            for day, (conversations, messages, users) in sorted(days.items())
        ],
    }
