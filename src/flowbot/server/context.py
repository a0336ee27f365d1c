"""Everything one running server shares, handed to the route modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flowbot.config import Settings
from flowbot.events import EventDispatcher
from flowbot.server.bots import BotRegistry
from flowbot.server.conversations import ConversationService
from flowbot.server.outbound import Outbound
from flowbot.server.push import PushHub
from flowbot.store import Store

__all__ = ["STATIC_DIR", "ServerContext"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(slots=True)
class ServerContext:
    settings: Settings
    bots: BotRegistry
    store: Store
    service: ConversationService
    hub: PushHub
    outbound: Outbound
    events: EventDispatcher
    static_dir: Path = STATIC_DIR
    # Seconds between ": ping" comments on an idle event stream.
    ping_interval: float = 15.0
    # True between the store's start and close: /healthz answers 200 only then.
    ready: bool = False
