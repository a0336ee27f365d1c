"""Channels: each platform's webhook and API as pure functions (SPEC §6).

A channel module offers `verify`, `handshake`, `parse`, `render` and
`prepare` (see `flowbot.channels.base`); `flowbot.channels.registry` names
them all and `flowbot.channels.capabilities` holds their limits.
"""

from __future__ import annotations

from flowbot.channels.base import (
    Acknowledgement,
    ChannelInputError,
    ChannelModule,
    ChannelRefused,
    ChannelSettings,
    Degradation,
    InboundEvent,
    OutboundCall,
    Parsed,
    PreparedRequest,
    Recipient,
    Rendered,
    WebhookRequest,
)
from flowbot.channels.capabilities import CAPABILITIES, ChannelCapabilities
from flowbot.channels.limits import apply_limits, truncate
from flowbot.channels.registry import CHANNELS, MESSENGERS, channel

__all__ = [
    "CAPABILITIES",
    "CHANNELS",
    "MESSENGERS",
    "Acknowledgement",
    "ChannelCapabilities",
    "ChannelInputError",
    "ChannelModule",
    "ChannelRefused",
    "ChannelSettings",
    "Degradation",
    "InboundEvent",
    "OutboundCall",
    "Parsed",
    "PreparedRequest",
    "Recipient",
    "Rendered",
    "WebhookRequest",
    "apply_limits",
    "channel",
    "truncate",
]
