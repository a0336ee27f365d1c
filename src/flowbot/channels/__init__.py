"""Channels: each turns a platform's webhook body into one `InboundMessage` and
the engine's replies into the platform's JSON (SPEC §6)."""

from __future__ import annotations

from flowbot.channels.base import (
    CAPABILITIES,
    Channel,
    ChannelCapabilities,
    ChannelInputError,
    apply_limits,
    truncate,
)

__all__ = [
    "CAPABILITIES",
    "Channel",
    "ChannelCapabilities",
    "ChannelInputError",
    "apply_limits",
    "truncate",
]
