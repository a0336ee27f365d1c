"""Delivery: what a channel rendered, sent to its platform in order, after the turn.

`Transport` sends calls through one shared `httpx.AsyncClient`;
`ConversationQueues` runs each conversation's background work one job at a
time. The channels themselves never open a socket.
"""

from __future__ import annotations

from flowbot.delivery.queues import ConversationQueues, QueueFull
from flowbot.delivery.transport import MAX_WAIT_MS, DeliveryReport, Transport

__all__ = ["MAX_WAIT_MS", "ConversationQueues", "DeliveryReport", "QueueFull", "Transport"]
