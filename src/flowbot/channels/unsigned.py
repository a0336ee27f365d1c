"""What stands in for a signature on the platforms that sign nothing (Kakao, TalkTalk).

Kakao i Open Builder and Naver TalkTalk call a skill or webhook URL without
signing the body. What proves a request came from the platform is then what
only the platform's console knows: a random token in the URL's last segment
(`/channels/kakao/<bot>/<path_token>`), and, where the operator lists them,
the platform's addresses. A wrong token answers 404, so a scanner learns
nothing about which bots exist; an address outside the list answers 403.
Both comparisons run in constant time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from pydantic import PrivateAttr, SecretStr, field_validator

from flowbot.channels.base import ChannelRefused, ChannelSettings, WebhookRequest
from flowbot.channels.fitting import constant_time_equal

__all__ = ["MIN_PATH_TOKEN_CHARS", "UnsignedSettings", "check_unsigned", "in_networks"]

# 16 URL-safe characters are 96 bits: guessing is out of reach, and a console
# accepts the URL. (`secrets.token_urlsafe(24)` gives 32.)
MIN_PATH_TOKEN_CHARS = 16
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsignedSettings(ChannelSettings):
    """The settings every unsigned platform shares."""

    path_token: SecretStr
    # CIDR blocks ("211.249.0.0/16", "127.0.0.1/32"); empty: any address
    allowed_ips: tuple[str, ...] = ()

    @field_validator("path_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if len(token) < MIN_PATH_TOKEN_CHARS:
            raise ValueError(
                f"at least {MIN_PATH_TOKEN_CHARS} characters: it is all that proves a request "
                "comes from the platform (e.g. python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(24))')"
            )
        if not set(token) <= _TOKEN_CHARS:
            raise ValueError("letters, digits and - _ . ~ only: it is a segment of a URL")
        return value

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or a CIDR block") from None
        return value

    _networks_parsed: tuple[Network, ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any) -> None:
        self._networks_parsed = tuple(
            ipaddress.ip_network(item, strict=False) for item in self.allowed_ips
        )

    def networks(self) -> tuple[Network, ...]:
        return self._networks_parsed


def in_networks(client: str | None, networks: Sequence[Network]) -> bool:
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in networks)


def check_unsigned(settings: UnsignedSettings, request: WebhookRequest) -> None:
    """Raise `ChannelRefused` unless the request passes: 404 wrong token, 403 address."""
    given = request.path_token or ""
    if not constant_time_equal(settings.path_token.get_secret_value(), given):
        raise ChannelRefused("no such webhook", status=404)
    if settings.allowed_ips and not in_networks(request.client, settings.networks()):
        raise ChannelRefused(f"address {request.client} is not in allowed_ips", status=403)
