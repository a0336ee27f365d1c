"""flowbot.toml and the `flowbot serve` targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.channels import facebook as channel_facebook
from flowbot.channels import line as channel_line
from flowbot.config import (
    BotSource,
    ConfigError,
    WebhookConfig,
    bot_id_of,
    load_config,
    settings_from_targets,
)


def test_bot_id_is_the_name_without_extension(tmp_path: Path) -> None:
    assert bot_id_of(Path("examples/pokemon.yaml")) == "pokemon"
    assert bot_id_of(Path("x/back-navigation.bot.json")) == "back-navigation"
    assert bot_id_of(Path("x/pingpong.flow.json")) == "pingpong"
    assert bot_id_of(Path("x/flow-navigation")) == "flow-navigation"


def test_targets_are_bots(tmp_path: Path) -> None:
    bot = tmp_path / "pokemon.yaml"
    bot.write_text("flows: []")
    folder = tmp_path / "shop"
    folder.mkdir()
    settings = settings_from_targets([bot, folder], db="memory://", environ={})
    assert settings.bots == [BotSource("pokemon", bot), BotSource("shop", folder)]
    assert settings.database == "memory://"
    assert settings.api_key is None
    keyed = settings_from_targets([bot], db="memory://", environ={"FLOWBOT_API_KEY": "k"})
    assert keyed.api_key == "k"


def test_bad_targets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        settings_from_targets([tmp_path / "nope.yaml"], db="memory://", environ={})
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "bot.yaml").write_text("")
    (b / "bot.yaml").write_text("")
    with pytest.raises(ConfigError, match="two bots have the id 'bot'"):
        settings_from_targets([a / "bot.yaml", b / "bot.yaml"], db="memory://", environ={})
    config = tmp_path / "flowbot.toml"
    config.write_text("")
    with pytest.raises(ConfigError, match="served alone"):
        settings_from_targets([config, a / "bot.yaml"], db="memory://", environ={})
    with pytest.raises(ConfigError, match="at least one"):
        settings_from_targets([], db="memory://", environ={})


def test_config_file(tmp_path: Path) -> None:
    (tmp_path / "bots").mkdir()
    (tmp_path / "bots" / "pokemon.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        """
database = "sqlite:///data/flowbot.db"
api_key = "${MY_KEY}"
access_log = false

[bots.starter]
path = "bots/pokemon.yaml"

[channels.web]
enabled = true

[[webhooks]]
url = "https://crm.example/hook"
secret = "${HOOK_SECRET:-dev-secret}"
events = ["bot.message.received", "bot.conversation.*"]
"""
    )
    settings = settings_from_targets([config], db="sqlite:///ignored.db", environ={"MY_KEY": "abc"})
    assert settings.bots == [BotSource("starter", tmp_path / "bots" / "pokemon.yaml")]
    assert settings.database == f"sqlite:///{tmp_path.resolve() / 'data' / 'flowbot.db'}"
    assert settings.api_key == "abc"
    assert settings.access_log is False
    assert settings.channels == {"web": {"enabled": True}}
    hook = settings.webhooks[0]
    assert hook == WebhookConfig(
        "https://crm.example/hook",
        "dev-secret",
        ("bot.message.received", "bot.conversation.*"),
    )
    assert hook.wants("bot.conversation.updated")
    assert hook.wants("bot.message.received")
    assert not hook.wants("bot.message.sent")


def test_messenger_settings_per_bot_with_secrets_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        """
[bots.shop]
path = "shop.yaml"

[bots.shop.channels.facebook]
app_secret = "${FB_APP_SECRET}"
verify_token = "${FB_VERIFY_TOKEN}"
page_access_token = "${FB_PAGE_TOKEN}"

[bots.shop.channels.line]
channel_secret = "${LINE_CHANNEL_SECRET}"
channel_access_token = "${LINE_CHANNEL_TOKEN}"
api_base = "http://127.0.0.1:9999/"
"""
    )
    environ = {
        "FB_APP_SECRET": "app-secret",
        "FB_VERIFY_TOKEN": "verify",
        "FB_PAGE_TOKEN": "page-token",
        "LINE_CHANNEL_SECRET": "line-secret",
        "LINE_CHANNEL_TOKEN": "line-token",
    }
    [bot] = load_config(config, environ=environ).bots
    facebook, line = bot.channels["facebook"], bot.channels["line"]
    assert isinstance(facebook, channel_facebook.Settings)
    assert isinstance(line, channel_line.Settings)
    assert facebook.app_secret.get_secret_value() == "app-secret"
    assert facebook.api_base == "https://graph.facebook.com/v21.0"  # the default
    assert line.channel_access_token.get_secret_value() == "line-token"
    assert line.api_base == "http://127.0.0.1:9999"
    # secrets never show in a repr or a log line
    assert "line-secret" not in repr(line) and "app-secret" not in repr(facebook)
    with pytest.raises(ConfigError, match="FB_APP_SECRET is not set"):
        load_config(config, environ={})


def test_serve_prints_each_webhook_url(tmp_path: Path) -> None:
    from flowbot.server.main import webhook_urls

    (tmp_path / "shop.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        '[bots.shop]\npath = "shop.yaml"\n[bots.shop.channels.line]\n'
        'channel_secret = "s"\nchannel_access_token = "t"\n'
    )
    settings = load_config(config, environ={})
    assert webhook_urls(settings, "0.0.0.0", 8000) == [
        ("shop", "line", "http://127.0.0.1:8000/channels/line/shop")
    ]


def test_kakao_and_talktalk_settings_from_flowbot_toml(tmp_path: Path) -> None:
    from flowbot.channels import kakao, navertalk
    from flowbot.server.main import webhook_urls

    (tmp_path / "shop.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        """
[bots.shop]
path = "shop.yaml"

[bots.shop.channels.kakao]
path_token = "${KAKAO_PATH_TOKEN}"
allowed_ips = ["211.249.0.0/16"]
header_secret = "${KAKAO_HEADER}"

[bots.shop.channels.navertalk]
path_token = "${NAVER_PATH_TOKEN}"
authorization = "${NAVER_AUTH}"
"""
    )
    environ = {
        "KAKAO_PATH_TOKEN": "k" * 32,
        "KAKAO_HEADER": "header-secret",
        "NAVER_PATH_TOKEN": "n" * 32,
        "NAVER_AUTH": "partner-key",
    }
    settings = load_config(config, environ=environ)
    [bot] = settings.bots
    on_kakao, on_talktalk = bot.channels["kakao"], bot.channels["navertalk"]
    assert isinstance(on_kakao, kakao.Settings) and isinstance(on_talktalk, navertalk.Settings)
    assert on_kakao.allowed_ips == ("211.249.0.0/16",)
    assert on_talktalk.api_base == "https://gw.talk.naver.com"  # the default
    # secrets never show in a repr, nor in the printed URLs
    assert "k" * 32 not in repr(on_kakao) and "partner-key" not in repr(on_talktalk)
    assert webhook_urls(settings, "127.0.0.1", 8000) == [
        ("shop", "kakao", "http://127.0.0.1:8000/channels/kakao/shop/<path_token>"),
        ("shop", "navertalk", "http://127.0.0.1:8000/channels/navertalk/shop/<path_token>"),
    ]
    for bad, why in (
        ('path_token = "short"', "at least 16 characters"),
        ('path_token = "has/slash-0123456789"', "a segment of a URL"),
        ('path_token = "k0123456789abcdefg"\nallowed_ips = ["nonsense"]', "not an address"),
    ):
        config.write_text(f'[bots.shop]\npath = "shop.yaml"\n[bots.shop.channels.kakao]\n{bad}\n')
        with pytest.raises(ConfigError, match=why):
            load_config(config, environ={})


def test_web_limits_and_public_url(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        '[bots.b]\npath = "b.yaml"\nmessage_params = ["utm_source"]\n'
        '[web]\ntoken_ttl = "12h"\nopen_rate = "30/minute"\nstreams = 50\n'
        'streams_per_conversation = 2\npublic_url = "https://bots.example.com/"\n'
    )
    settings = load_config(config, environ={})
    assert settings.web_token_ttl == 12 * 3600
    assert settings.web_open_rate == (30, 60.0)
    assert (settings.web_streams, settings.web_streams_per_conversation) == (50, 2)
    assert settings.web_public_url == "https://bots.example.com"
    assert settings.bots[0].message_params == ("utm_source",)
    defaults = load_config(tmp_path / "flowbot.toml", environ={})
    assert defaults.web_allowed_origins == ("*",)


def test_config_defaults_to_the_command_line_database(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text('[bots.b]\npath = "b.yaml"\n')
    settings = load_config(config, default_database="postgresql://localhost/x", environ={})
    assert settings.database == "postgresql://localhost/x"
    assert settings.api_key is None
    assert settings.webhooks == []
    assert settings.web_allowed_origins == ("*",)


def test_web_allowed_origins(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        '[bots.b]\npath = "b.yaml"\n[web]\n'
        'allowed_origins = ["https://shop.example.com", "http://[::1]:8080"]\n'
    )
    settings = load_config(config, environ={})
    assert settings.web_allowed_origins == ("https://shop.example.com", "http://[::1]:8080")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database = [", "not valid TOML"),
        ('databse = "x"\n[bots.b]\npath = "b.yaml"', r"unknown setting\(s\): databse"),
        ("", r"\[bots.<id>\] tables with a path are required"),
        ('[bots.b]\npath = "missing.yaml"', "bots.b: .*missing.yaml: no such file"),
        ('[bots."a b"]\npath = "b.yaml"', "bot id 'a b'"),
        ('api_key = "${UNSET_VARIABLE}"\n[bots.b]\npath = "b.yaml"', "UNSET_VARIABLE is not set"),
        ('[bots.b]\npath = "b.yaml"\n[[webhooks]]\nurl = "ftp://x"\nsecret = "s"', "url"),
        ('[bots.b]\npath = "b.yaml"\n[[webhooks]]\nurl = "https://x"', "secret: required"),
        (
            '[bots.b]\npath = "b.yaml"\n[[webhooks]]\nurl = "https://x"\nsecret = "s"\n'
            'events = ["bot.message.deleted"]',
            "unknown event 'bot.message.deleted'",
        ),
        ('[bots.b]\npath = "b.yaml"\n[channels.telegram]\n', "unknown channel"),
        (
            '[bots.b]\npath = "b.yaml"\n[bots.b.channels.telegram]\n',
            r"b.channels.telegram: unknown",
        ),
        ('[bots.b]\npath = "b.yaml"\n[bots.b.channels.web]\n', r"b.channels.web: unknown"),
        ('[bots.b]\npath = "b.yaml"\nchanels = 1', r"bots.b: unknown setting\(s\): chanels"),
        (
            '[bots.b]\npath = "b.yaml"\n[bots.b.channels.line]\nchannel_secret = "s"',
            r"bots.b.channels.line: channel_access_token: Field required",
        ),
        (
            '[bots.b]\npath = "b.yaml"\n[bots.b.channels.facebook]\napp_secret = "s"\n'
            'verify_token = "v"\npage_access_token = "t"\napi_base = "graph.facebook.com"',
            r"facebook: api_base: Value error, expected an http\(s\) URL",
        ),
        (
            '[bots.b]\npath = "b.yaml"\n[bots.b.channels.line]\nchannel_secret = "s"\n'
            'channel_access_token = "t"\nchannel_id = 1',
            r"line: channel_id: Extra inputs are not permitted",
        ),
        ('access_log = "yes"\n[bots.b]\npath = "b.yaml"', "access_log"),
        (
            '[bots.b]\npath = "b.yaml"\n[web]\nallowed_origins = ["https://shop.example.com/"]',
            "is not an origin",
        ),
        ('[bots.b]\npath = "b.yaml"\n[web]\nallowed_origins = "*"', "expected a list"),
        ('[bots.b]\npath = "b.yaml"\n[web]\norigins = ["*"]', r"web: unknown setting"),
        ('[bots.b]\npath = "b.yaml"\n[web]\npublic_url = "bots.example.com"', "public_url"),
        ('[bots.b]\npath = "b.yaml"\n[web]\ntoken_ttl = "soon"', "token_ttl"),
        ('[bots.b]\npath = "b.yaml"\n[web]\nopen_rate = "30/fortnight"', "open_rate"),
        ('[bots.b]\npath = "b.yaml"\n[web]\nstreams = 0', "streams"),
        ('[bots.b]\npath = "b.yaml"\nmessage_params = ["a b"]', "message_params"),
    ],
)
def test_config_errors_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "b.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(config, environ={})


def test_fetch_and_sandbox_settings(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text("flows: []")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        '[bots.b]\npath = "bot.yaml"\n'
        '[fetch]\nallow = ["127.0.0.1:9000", "internal.example"]\n'
        '[sandbox]\nmode = "bwrap"\n'
    )
    settings = load_config(config, environ={})
    assert settings.fetch_allow == ("127.0.0.1:9000", "internal.example")
    assert settings.sandbox_mode == "bwrap"
    config.write_text('[bots.b]\npath = "bot.yaml"\n')
    plain = load_config(config, environ={})
    assert (plain.fetch_allow, plain.sandbox_mode) == ((), "auto")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[sandbox]\nmode = "docker"\n', "sandbox.mode: expected one of auto, bwrap, process, off"),
        ("[sandbox]\nlimit = 3\n", r"expected a \[sandbox\] table"),
        ('[fetch]\nallow = "127.0.0.1"\n', "fetch.allow: expected a list"),
        ('[fetch]\nallow = ["http://x/"]\n', "fetch.allow: "),
    ],
)
def test_bad_fetch_and_sandbox_settings(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "bot.yaml").write_text("flows: []")
    config = tmp_path / "flowbot.toml"
    config.write_text('[bots.b]\npath = "bot.yaml"\n' + table)
    with pytest.raises(ConfigError, match=message):
        load_config(config, environ={})


def test_redis_and_send_recovery_from_the_config_and_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "pokemon.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(
        'database = "postgresql://bot@db/flowbot"\n'
        'redis = "redis://cache:6379/2"\n'
        'redis_prefix = "shop:"\n'
        'recover_sends_after = "90s"\n'
        '[bots.pokemon]\npath = "pokemon.yaml"\n'
    )
    settings = settings_from_targets([config], db="sqlite:///ignored.db", environ={})
    assert (settings.redis, settings.redis_prefix) == ("redis://cache:6379/2", "shop:")
    assert settings.recover_sends_after == 90.0
    # the command line wins
    overridden = settings_from_targets(
        [config], db="x", redis="redis://127.0.0.1:6379/0", redis_prefix="other:", environ={}
    )
    assert (overridden.redis, overridden.redis_prefix) == ("redis://127.0.0.1:6379/0", "other:")
    plain = settings_from_targets([tmp_path / "pokemon.yaml"], db="sqlite:///x.db", environ={})
    assert (plain.redis, plain.redis_prefix, plain.recover_sends_after) == (None, "flowbot:", 60.0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('redis = "localhost:6379"', "redis: expected a redis://"),
        ('redis_prefix = ""', "redis_prefix: expected a key prefix"),
        ('recover_sends_after = "soon"', "recover_sends_after: expected a duration"),
    ],
)
def test_bad_redis_settings_are_named(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "pokemon.yaml").write_text("")
    config = tmp_path / "flowbot.toml"
    config.write_text(f'{line}\n[bots.pokemon]\npath = "pokemon.yaml"\n')
    with pytest.raises(ConfigError, match=message):
        settings_from_targets([config], db="sqlite:///x.db", environ={})
    with pytest.raises(ConfigError, match="--redis"):
        settings_from_targets([tmp_path / "pokemon.yaml"], db="x", redis="cache:6379", environ={})
