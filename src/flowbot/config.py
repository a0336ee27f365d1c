"""Server settings: from the command line's bot paths, or from one flowbot.toml.

A config file looks like::

    database = "sqlite:///flowbot.db"      # optional; else --db
    redis = "redis://127.0.0.1:6379/0"     # optional; else --redis (docs/deploy.md)
    redis_prefix = "flowbot:"              # the keys and channels flowbot uses in it
    recover_sends_after = "60s"            # a messenger reply its process did not send
                                           # (it died) goes out from another process then
    api_key = "${FLOWBOT_API_KEY}"         # enables the JSON API
    agent_key = "${FLOWBOT_AGENT_KEY}"     # optional: the agent console and handoff routes only
    studio_key = "${FLOWBOT_STUDIO_KEY}"   # optional: the studio and the bot routes only
    access_log = true

    [bots.pokemon]
    path = "examples/pokemon.yaml"         # relative to the config file

    [bots.pokemon.channels.line]           # a messenger for this bot (docs/channels.md)
    channel_secret = "${LINE_CHANNEL_SECRET}"
    channel_access_token = "${LINE_CHANNEL_TOKEN}"

    [channels.web]
    enabled = true

    [web]                                  # the chat widget's routes
    allowed_origins = ["https://shop.example.com"]   # default ["*"]
    token_ttl = "30d"                      # a conversation's token expires after so idle
    public_url = "https://bots.example.com"   # for messengers: where /media/… is reachable
    open_rate = "30/minute"                # new conversations per client address
    streams_per_conversation = 5           # open event streams (defaults shown)
    streams = 1000

    [fetch]                                # where fetch nodes and scripts may go
    allow = ["127.0.0.1:9000", "internal.example"]   # besides public addresses

    [sandbox]                              # how sandbox node scripts run (docs/nodes.md)
    mode = "auto"                          # auto, bwrap (refuse to start without it), process, off

    [[webhooks]]
    url = "https://example.com/hooks/flowbot"
    secret = "${FLOWBOT_WEBHOOK_SECRET}"
    events = ["bot.message.received", "bot.conversation.*"]

`${NAME}` in any string is the environment variable NAME (an error when it is
unset or empty); `${NAME:-fallback}` falls back. Secrets therefore never need
to be written into the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import ValidationError

from flowbot.channels.base import ChannelSettings
from flowbot.channels.registry import CHANNELS, MESSENGERS

__all__ = [
    "EVENT_TYPES",
    "BotSource",
    "ConfigError",
    "SandboxSetting",
    "Settings",
    "WebhookConfig",
    "bot_id_of",
    "load_config",
    "settings_from_targets",
]

EVENT_TYPES = (
    "bot.message.received",
    "bot.message.sent",
    "bot.conversation.created",
    "bot.conversation.updated",
    "bot.conversation.agent_call_requested",
    "bot.conversation.agent_joined",
    "bot.conversation.handoff_ended",
)
DEFAULT_DATABASE = "sqlite:///flowbot.db"
DEFAULT_REDIS_PREFIX = "flowbot:"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
API_KEY_VARIABLE = "FLOWBOT_API_KEY"
BOT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
PARAM_KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")
DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?\s*")
RATE = re.compile(r"\s*([0-9]+)\s*/\s*(second|minute|hour|day)\s*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_PER = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[^/\s:\[\]]+)(:[0-9]{1,5})?")
BOT_SUFFIXES = (".bot.json", ".flow.json", ".json", ".yaml", ".yml")
SandboxSetting = Literal["auto", "bwrap", "process", "off"]
SANDBOX_SETTINGS: tuple[SandboxSetting, ...] = ("auto", "bwrap", "process", "off")
KNOWN_CHANNELS = ("web", "facebook", "line", "kakao", "navertalk")


class ConfigError(ValueError):
    """A config file or target list flowbot cannot serve; the message says why."""


@dataclass(frozen=True, slots=True)
class BotSource:
    bot_id: str
    path: Path
    # messenger name → this bot's settings for it (`[bots.<id>.channels.<name>]`)
    channels: Mapping[str, ChannelSettings] = field(default_factory=dict)
    # params a web request may set on any message, not only when it opens the
    # conversation (`message_params = ["utm_source"]`); never the bot's own
    message_params: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str
    # Event types, or patterns ending in "*" ("bot.conversation.*", "*").
    events: tuple[str, ...] = ("*",)

    def wants(self, event_type: str) -> bool:
        return any(
            event_type == pattern or (pattern.endswith("*") and event_type.startswith(pattern[:-1]))
            for pattern in self.events
        )


@dataclass(slots=True)
class Settings:
    bots: list[BotSource]
    database: str = DEFAULT_DATABASE
    # Redis, for several server processes: conversation locks and live push
    # (docs/deploy.md); None: PostgreSQL's advisory locks and LISTEN/NOTIFY on
    # PostgreSQL, this process's memory otherwise.
    redis: str | None = None
    redis_prefix: str = DEFAULT_REDIS_PREFIX
    # Seconds after its turn when a Facebook or LINE reply that the turn's
    # process did not mark sent (it died) is sent by another process
    # (flowbot.server.sends); longer than a send's own retries take.
    recover_sends_after: float = 60.0
    # None disables the JSON API (403 with a message saying how to enable it).
    api_key: str | None = None
    # Opens the agent console and the handoff routes only (the API key opens them too).
    agent_key: str | None = None
    # Opens the studio's routes and the bot routes it edits with (docs/studio.md).
    studio_key: str | None = None
    webhooks: list[WebhookConfig] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_log: bool = True
    # Origins whose pages may call the web channel and load widget.js (CORS):
    # "*" is any site, fine because those routes take a per-conversation
    # token, never a cookie (docs/decisions.md, "Server").
    web_allowed_origins: tuple[str, ...] = ("*",)
    # Seconds a conversation may stay idle before its token stops opening it
    # (None: tokens never expire). The widget then starts a new conversation.
    web_token_ttl: float | None = None
    # (conversations, per seconds) a client address may open; None: no limit
    web_open_rate: tuple[int, float] | None = None
    web_streams_per_conversation: int = 5
    web_streams: int = 1000
    # Hosts (or host:port) fetch nodes and scripts may reach besides public addresses
    fetch_allow: tuple[str, ...] = ()
    # How sandbox scripts run: "auto" (bubblewrap when it works here, else a plain
    # child process), "bwrap" (the server refuses to start without it), "process",
    # or "off" (no scripts: a sandbox node fails with the error message)
    sandbox_mode: SandboxSetting = "auto"
    # This server's public address: root-relative URIs in replies (a bot's own
    # media, `/media/<bot>/…`) become absolute on it for the messengers
    web_public_url: str | None = None


def bot_id_of(path: Path) -> str:
    """A bot's id from its file or folder: the name without the extension(s)."""
    name = path.name
    for suffix in BOT_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return path.stem or name


def settings_from_targets(
    targets: list[Path],
    *,
    db: str,
    redis: str | None = None,
    redis_prefix: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings for `flowbot serve TARGETS…`: bot paths, or exactly one flowbot.toml.

    `redis` and `redis_prefix` (the command line's) win over the config's.
    """
    settings = _settings_of_targets(targets, db=db, environ=environ)
    if redis is not None:
        if redis and not redis.startswith(REDIS_SCHEMES):
            raise ConfigError(f"--redis {redis!r}: expected a redis:// (or rediss://, unix://) URL")
        settings.redis = redis or None
    if redis_prefix is not None:
        settings.redis_prefix = _checked_prefix(redis_prefix, "--redis-prefix")
    return settings


def _settings_of_targets(
    targets: list[Path], *, db: str, environ: Mapping[str, str] | None
) -> Settings:
    env = os.environ if environ is None else environ
    if not targets:
        raise ConfigError("name at least one bot file or folder, or one flowbot.toml")
    configs = [t for t in targets if t.suffix.lower() == ".toml"]
    if configs:
        if len(targets) != 1:
            raise ConfigError("a flowbot.toml config is served alone: pass it as the only target")
        return load_config(configs[0], default_database=db, environ=env)
    bots: list[BotSource] = []
    for target in targets:
        if not target.exists():
            raise ConfigError(f"{target}: no such file or folder")
        bots.append(BotSource(_checked_id(bot_id_of(target), str(target)), target))
    _check_unique(bots)
    api_key = env.get(API_KEY_VARIABLE) or None
    return Settings(bots=bots, database=db, api_key=api_key)


def load_config(
    path: Path,
    *,
    default_database: str = DEFAULT_DATABASE,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    data = _expand(raw, env, path, "")
    base = path.parent
    known = {
        "database",
        "redis",
        "redis_prefix",
        "recover_sends_after",
        "api_key",
        "agent_key",
        "studio_key",
        "access_log",
        "bots",
        "channels",
        "webhooks",
        "web",
        "fetch",
        "sandbox",
    }
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    bots = _bots(data.get("bots"), base, path)
    database = data.get("database", default_database)
    if not isinstance(database, str) or not database:
        raise ConfigError(f"{path}: database: expected a database URL string")
    redis = data.get("redis")
    if redis is not None and (not isinstance(redis, str) or not redis.startswith(REDIS_SCHEMES)):
        raise ConfigError(f"{path}: redis: expected a redis:// (or rediss://, unix://) URL")
    redis_prefix = _checked_prefix(
        data.get("redis_prefix", DEFAULT_REDIS_PREFIX), f"{path}: redis_prefix"
    )
    api_key = data.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        raise ConfigError(f"{path}: api_key: expected a string")
    agent_key = data.get("agent_key")
    if agent_key is not None and not isinstance(agent_key, str):
        raise ConfigError(f"{path}: agent_key: expected a string")
    studio_key = data.get("studio_key")
    if studio_key is not None and not isinstance(studio_key, str):
        raise ConfigError(f"{path}: studio_key: expected a string")
    access_log = data.get("access_log", True)
    if not isinstance(access_log, bool):
        raise ConfigError(f"{path}: access_log: expected true or false")
    return Settings(
        bots=bots,
        database=_relative_sqlite(database, base),
        redis=redis or None,
        redis_prefix=redis_prefix,
        recover_sends_after=_duration(
            data.get("recover_sends_after", "60s"), f"{path}: recover_sends_after"
        ),
        api_key=api_key or None,
        agent_key=agent_key or None,
        studio_key=studio_key or None,
        webhooks=_webhooks(data.get("webhooks"), path),
        channels=_channels(data.get("channels"), path),
        access_log=access_log,
        fetch_allow=_fetch_allow(data.get("fetch"), path),
        sandbox_mode=_sandbox_mode(data.get("sandbox"), path),
        **_web(data.get("web"), path),
    )


def _checked_prefix(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 100:
        raise ConfigError(f"{where}: expected a key prefix of 1 to 100 characters")
    return value


def _bots(value: Any, base: Path, path: Path) -> list[BotSource]:
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{path}: [bots.<id>] tables with a path are required")
    bots: list[BotSource] = []
    for bot_id, table in value.items():
        if not isinstance(table, dict) or not isinstance(table.get("path"), str):
            raise ConfigError(f'{path}: bots.{bot_id}: expected path = "<bot file or folder>"')
        unknown = set(table) - {"path", "channels", "message_params"}
        if unknown:
            raise ConfigError(
                f"{path}: bots.{bot_id}: unknown setting(s): {', '.join(sorted(unknown))}"
            )
        bot_path = Path(table["path"])
        if not bot_path.is_absolute():
            bot_path = base / bot_path
        if not bot_path.exists():
            raise ConfigError(f"{path}: bots.{bot_id}: {bot_path}: no such file or folder")
        checked = _checked_id(bot_id, f"{path}: bots.{bot_id}")
        channels = _bot_channels(table.get("channels"), f"{path}: bots.{bot_id}.channels")
        message_params = table.get("message_params", [])
        if not isinstance(message_params, list) or not all(
            isinstance(key, str) and PARAM_KEY.fullmatch(key) for key in message_params
        ):
            raise ConfigError(
                f"{path}: bots.{bot_id}.message_params: expected a list of param keys "
                "(letters, digits, _ and -)"
            )
        bots.append(BotSource(checked, bot_path, channels, tuple(message_params)))
    _check_unique(bots)
    return bots


def _bot_channels(value: Any, where: str) -> dict[str, ChannelSettings]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected [{where.rsplit(': ', 1)[-1]}.<name>] tables")
    channels: dict[str, ChannelSettings] = {}
    for name, table in value.items():
        if name not in MESSENGERS:
            raise ConfigError(f"{where}.{name}: unknown channel (one of {', '.join(MESSENGERS)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{where}.{name}: expected a table")
        try:
            channels[name] = CHANNELS[name].Settings.model_validate(table)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in item['loc']) or name}: {item['msg']}"
                for item in error.errors(include_url=False, include_input=False)
            )
            raise ConfigError(f"{where}.{name}: {problems}") from None
    return channels


_WEB_KEYS = {
    "allowed_origins",
    "token_ttl",
    "open_rate",
    "streams_per_conversation",
    "streams",
    "public_url",
}


def _web(value: Any, path: Path) -> dict[str, Any]:
    """The Settings fields of a [web] table."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: web: expected a [web] table")
    unknown = set(value) - _WEB_KEYS
    if unknown:
        raise ConfigError(f"{path}: web: unknown setting(s): {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {"web_allowed_origins": _allowed_origins(value, path)}
    if "token_ttl" in value:
        fields["web_token_ttl"] = _duration(value["token_ttl"], f"{path}: web.token_ttl")
    if "open_rate" in value:
        fields["web_open_rate"] = _rate(value["open_rate"], f"{path}: web.open_rate")
    if "public_url" in value:
        url = value["public_url"]
        if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ConfigError(
                f'{path}: web.public_url: expected an http(s) URL such as "https://bots.example.com"'
            )
        fields["web_public_url"] = url.rstrip("/")
    for key in ("streams_per_conversation", "streams"):
        if key in value:
            count = value[key]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ConfigError(f"{path}: web.{key}: expected a positive integer")
            fields[f"web_{key}"] = count
    return fields


def _fetch_allow(value: Any, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or set(value) - {"allow"}:
        raise ConfigError(f'{path}: fetch: expected a [fetch] table with allow = ["host:port", …]')
    allow = value.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(entry, str) for entry in allow):
        raise ConfigError(f"{path}: fetch.allow: expected a list of hosts or host:port")
    from flowbot.integrations.guard import AddressGuard

    try:
        AddressGuard(allow)
    except ValueError as error:
        raise ConfigError(f"{path}: fetch.allow: {error}") from None
    return tuple(allow)


def _sandbox_mode(value: Any, path: Path) -> SandboxSetting:
    if value is None:
        return "auto"
    if not isinstance(value, dict) or set(value) - {"mode"}:
        raise ConfigError(f'{path}: sandbox: expected a [sandbox] table with mode = "auto"')
    mode = value.get("mode", "auto")
    if mode not in SANDBOX_SETTINGS:
        raise ConfigError(
            f"{path}: sandbox.mode: expected one of {', '.join(SANDBOX_SETTINGS)}, got {mode!r}"
        )
    return cast(SandboxSetting, mode)


def _duration(value: Any, where: str) -> float:
    """Seconds of "90s", "30m", "12h", "30d" or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f'{where}: expected a duration like "30d", "12h", "30m" or "90s"')
    return float(match.group(1)) * _SECONDS[match.group(2)]


def _rate(value: Any, where: str) -> tuple[int, float]:
    match = RATE.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) < 1:
        raise ConfigError(f'{where}: expected a rate like "30/minute" (second, minute, hour, day)')
    return int(match.group(1)), _PER[match.group(2)]


def _allowed_origins(value: dict[str, Any], path: Path) -> tuple[str, ...]:
    origins = value.get("allowed_origins", ["*"])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise ConfigError(f"{path}: web.allowed_origins: expected a list of origins")
    for origin in origins:
        if origin != "*" and not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"{path}: web.allowed_origins: {origin!r} is not an origin "
                '(scheme://host[:port] with no path, e.g. "https://shop.example.com", or "*")'
            )
    return tuple(origins)


def _webhooks(value: Any, path: Path) -> list[WebhookConfig]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{path}: webhooks: expected [[webhooks]] tables")
    hooks: list[WebhookConfig] = []
    for index, table in enumerate(value):
        where = f"{path}: webhooks[{index}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table")
        url, secret = table.get("url"), table.get("secret")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: url: expected an http(s) URL")
        if not isinstance(secret, str) or not secret:
            raise ConfigError(f"{where}: secret: required (the body is signed with it)")
        events = table.get("events", ["*"])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ConfigError(f"{where}: events: expected a list of event types")
        for event in events:
            if not event.endswith("*") and event not in EVENT_TYPES:
                raise ConfigError(
                    f"{where}: events: unknown event {event!r} (one of {', '.join(EVENT_TYPES)})"
                )
        hooks.append(WebhookConfig(url, secret, tuple(events)))
    return hooks


def _channels(value: Any, path: Path) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: channels: expected [channels.<name>] tables")
    channels: dict[str, dict[str, Any]] = {}
    for name, table in value.items():
        if name not in KNOWN_CHANNELS:
            raise ConfigError(
                f"{path}: channels.{name}: unknown channel (one of {', '.join(KNOWN_CHANNELS)})"
            )
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: channels.{name}: expected a table")
        channels[name] = dict(table)
    return channels


def _expand(value: Any, env: Mapping[str, str], path: Path, where: str) -> Any:
    if isinstance(value, str):
        return _substitute(value, env, path, where)
    if isinstance(value, dict):
        return {
            key: _expand(item, env, path, f"{where}.{key}" if where else key)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_expand(item, env, path, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def _substitute(text: str, env: Mapping[str, str], path: Path, where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        found = env.get(name)
        if found:
            return found
        if fallback is not None:
            return fallback
        raise ConfigError(f"{path}: {where}: environment variable {name} is not set")

    return VARIABLE.sub(replace, text)


def _relative_sqlite(url: str, base: Path) -> str:
    # sqlite:///relative.db is relative to the config file, as bot paths are.
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
                return prefix + str((base / rest).resolve())
    return url


def _checked_id(bot_id: str, where: str) -> str:
    if not BOT_ID.fullmatch(bot_id):
        raise ConfigError(
            f"{where}: bot id {bot_id!r}: use letters, digits, _ . - (at most 100 characters)"
        )
    return bot_id


def _check_unique(bots: list[BotSource]) -> None:
    seen: dict[str, Path] = {}
    for bot in bots:
        if bot.bot_id in seen:
            raise ConfigError(
                f"two bots have the id {bot.bot_id!r}: {seen[bot.bot_id]} and {bot.path}"
            )
        seen[bot.bot_id] = bot.path
