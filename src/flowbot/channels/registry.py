"""Every channel flowbot speaks, by name: one line per channel.

Adding a channel is its module (the `ChannelModule` functions), its row in
`flowbot.channels.capabilities` and one line here; the server's routes,
`flowbot.toml` settings and `flowbot validate --channel` read this table.
"""

from __future__ import annotations

from collections.abc import Mapping

from flowbot.channels import facebook, kakao, line, navertalk, web
from flowbot.channels.base import ChannelModule

__all__ = ["CHANNELS", "MESSENGERS", "channel"]

CHANNELS: Mapping[str, ChannelModule] = {
    "web": web,
    "facebook": facebook,
    "line": line,
    "kakao": kakao,
    "navertalk": navertalk,
}

# The channels a bot opts into with settings (the web channel needs none).
MESSENGERS = tuple(name for name in CHANNELS if name != "web")


def channel(name: str) -> ChannelModule | None:
    return CHANNELS.get(name)
