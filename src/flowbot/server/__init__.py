"""The flowbot server: one ASGI app with the channel webhooks, the web chat
widget, the JSON API, outbound event webhooks and a health check (SPEC §7)."""

from __future__ import annotations

from flowbot.server.app import create_app
from flowbot.server.main import run_server

__all__ = ["create_app", "run_server"]
