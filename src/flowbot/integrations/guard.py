"""Where a bot's HTTP requests may go: public addresses only, unless the operator allows more.

A `fetch` node's URI and a script's requests are the bot builder's, and
often a visitor's too (`{{message.text}}` in a URI): without a guard, any of
them could reach the server's own loopback services, the cloud metadata
endpoint or the private network behind it. `AddressGuard.resolve` looks the
host up once and refuses it unless every address it resolves to is public;
the caller then connects to the address checked, never to the name again,
so a DNS answer that changes between two lookups (rebinding) gains nothing.
Every spelling of an address (`2130706433`, `0x7f.1`, `0177.0.0.1`,
`[::ffff:127.0.0.1]`, `localhost.`) is caught the same way: by checking what
it resolves to, not how it is written.

Refused: loopback, private (RFC 1918, unique-local), link-local, carrier-grade
NAT (100.64.0.0/10), multicast, unspecified, reserved and documentation
ranges, local-use NAT64 (`64:ff9b:1::/48`), and IPv6 forms that embed an
IPv4 address (mapped `::ffff:0:0/96`, translated `::ffff:0:0:0/96`,
compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) whose IPv4
address is itself refused. `[fetch] allow = ["127.0.0.1:9000",
"internal.example"]` lets listed hosts (with or without a port) through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["AddressGuard", "AddressRefused", "Resolver", "refusal_reason"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) → the addresses it resolves to (the event loop's getaddrinfo by default)
Resolver = Callable[[str, int], Awaitable[list[str]]]

_REFUSED_V4 = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
]
_REFUSED_V6 = [
    ipaddress.ip_network(net)
    for net in (
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates into the local network
        "100::/64",  # discard
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 segment identifiers (RFC 9602)
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
]
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT IPv4-translated (RFC 2765)
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class AddressRefused(Exception):
    """The host is not one a bot may reach; the message says why (it becomes `fetch.error`)."""


def refusal_reason(address: IPAddress) -> str | None:
    """Why `address` is refused, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            inner = refusal_reason(embedded)
            return None if inner is None else f"{address} embeds {embedded}: {inner}"
        for network in _REFUSED_V6:
            if address in network:
                return f"{address} is in {network}, which is not public"
        if not address.is_global:
            return f"{address} is not a public address"
        return None
    for network in _REFUSED_V4:
        if address in network:
            return f"{address} is in {network}, which is not public"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in _MAPPED:
        return address.ipv4_mapped
    if address in _NAT64 or address in _TRANSLATED or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return address.sixtofour
    return None


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class Allowed:
    host: str
    port: int | None


def _normal_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _parse_allow(entry: str) -> Allowed:
    text = entry.strip()
    if text.startswith("["):  # [v6] or [v6]:port
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{entry!r}: expected [address] or [address]:port")
        port = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, None
    if not host or (port is not None and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ValueError(f"{entry!r}: expected a host or host:port")
    return Allowed(_normal_host(host), int(port) if port is not None else None)


class AddressGuard:
    """Resolves hosts for outbound requests and refuses those that are not public."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.allowed = tuple(_parse_allow(entry) for entry in allow)
        self._resolve = resolver or _system_resolver

    def is_allowed(self, host: str, port: int) -> bool:
        name = _normal_host(host)
        return any(a.host == name and a.port in (None, port) for a in self.allowed)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for (host, port); raises `AddressRefused`.

        Connect to one of these addresses, not to `host`: a second lookup
        could answer differently.
        """
        name = _normal_host(host)
        if not name:
            raise AddressRefused("the URI has no host")
        allowed = self.is_allowed(name, port)
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            addresses: Sequence[str] = [str(literal)]
        else:
            try:
                addresses = await self._resolve(name, port)
            except (OSError, UnicodeError) as error:
                raise AddressRefused(f"{name} does not resolve: {error}") from None
        if not addresses:
            raise AddressRefused(f"{name} does not resolve")
        if allowed:
            return list(dict.fromkeys(addresses))
        for text in addresses:
            reason = refusal_reason(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason is not None:
                where = "" if literal is not None else f"{name} resolves to {text}: "
                raise AddressRefused(f"{where}{reason}; list it in [fetch] allow to reach it")
        return list(dict.fromkeys(addresses))
