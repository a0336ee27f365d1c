"""AddressGuard: which addresses a bot may reach, and how `[fetch] allow` entries read."""

from __future__ import annotations

import ipaddress

import pytest

from flowbot.integrations.guard import AddressGuard, AddressRefused, refusal_reason

REFUSED = [
    # IPv4
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",  # documentation
    "192.88.99.1",
    "192.168.0.1",
    "198.18.0.1",  # benchmarking
    "198.51.100.7",  # documentation
    "203.0.113.9",  # documentation
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "100::1",  # discard
    "2001:db8::1",  # documentation
    "3fff::1",  # documentation (RFC 9637)
    "5f00::1",  # SRv6 SIDs
    "2001::1",  # Teredo
    # IPv6 forms that embed a refused IPv4 address
    "::ffff:127.0.0.1",  # mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:0:127.0.0.1",  # translated (SIIT)
    "::127.0.0.1",  # compatible
    "::10.0.0.1",
    "64:ff9b::127.0.0.1",  # NAT64
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::808:808",  # local-use NAT64: refused whatever it embeds
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:c0a8:101::",  # 6to4 of 192.168.1.1
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above
    "172.32.0.1",  # just above 172.16/12
    "11.0.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # mapped public
    "::ffff:0:8.8.8.8",  # translated public
    "64:ff9b::8.8.8.8",  # NAT64 of a public address
    "2002:808:808::1",  # 6to4 of a public address
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_addresses(text: str) -> None:
    reason = refusal_reason(ipaddress.ip_address(text))
    assert reason is not None
    assert text.split("%")[0] in reason or str(ipaddress.ip_address(text)) in reason


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses(text: str) -> None:
    assert refusal_reason(ipaddress.ip_address(text)) is None


def test_embedded_reason_names_the_inner_address() -> None:
    reason = refusal_reason(ipaddress.ip_address("::ffff:169.254.169.254"))
    assert reason is not None
    assert "embeds 169.254.169.254" in reason
    assert "169.254.0.0/16" in reason


class Resolver:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.answers:
            raise OSError(f"no such host {host}")
        return self.answers[host]


async def test_literal_refused_without_lookup() -> None:
    resolver = Resolver({})
    guard = AddressGuard(resolver=resolver)
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.0/8.*\[fetch\] allow"):
        await guard.resolve("127.0.0.1", 80)
    with pytest.raises(AddressRefused, match=r"embeds 127\.0\.0\.1"):
        await guard.resolve("[::ffff:127.0.0.1]", 80)
    assert resolver.calls == []


async def test_public_literal_and_name() -> None:
    resolver = Resolver(
        {"api.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}
    )
    guard = AddressGuard(resolver=resolver)
    assert await guard.resolve("8.8.8.8", 443) == ["8.8.8.8"]
    assert await guard.resolve("API.Example.", 443) == [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]
    assert resolver.calls == [("api.example", 443)]


async def test_name_refused_when_any_answer_is_private() -> None:
    guard = AddressGuard(resolver=Resolver({"mixed.example": ["93.184.215.14", "10.1.2.3"]}))
    with pytest.raises(AddressRefused, match=r"mixed\.example resolves to 10\.1\.2\.3"):
        await guard.resolve("mixed.example", 80)


async def test_unresolvable_and_empty() -> None:
    guard = AddressGuard(resolver=Resolver({"empty.example": []}))
    with pytest.raises(AddressRefused, match="does not resolve"):
        await guard.resolve("nowhere.example", 80)
    with pytest.raises(AddressRefused, match="does not resolve"):
        await guard.resolve("empty.example", 80)
    with pytest.raises(AddressRefused, match="no host"):
        await guard.resolve("", 80)


async def test_allowed_name_skips_the_checks_but_still_resolves_once() -> None:
    resolver = Resolver({"internal.example": ["10.0.0.5", "10.0.0.5"]})
    guard = AddressGuard(allow=["internal.example"], resolver=resolver)
    assert await guard.resolve("internal.example", 8080) == ["10.0.0.5"]
    assert resolver.calls == [("internal.example", 8080)]


@pytest.mark.parametrize(
    ("entry", "host", "port"),
    [
        ("internal.example", "internal.example", None),
        ("Internal.Example.", "internal.example", None),
        ("  internal.example:8080 ", "internal.example", 8080),
        ("127.0.0.1:9000", "127.0.0.1", 9000),
        ("10.0.0.1", "10.0.0.1", None),
        ("[::1]:8443", "::1", 8443),
        ("[::1]", "::1", None),
        ("::1", "::1", None),
        ("[FD00::1]", "fd00::1", None),
        ("HOST.EXAMPLE.:80", "host.example", 80),
    ],
)
def test_allow_entries(entry: str, host: str, port: int | None) -> None:
    (allowed,) = AddressGuard(allow=[entry]).allowed
    assert (allowed.host, allowed.port) == (host, port)


@pytest.mark.parametrize(
    "entry", ["", ":80", "host:http", "host:", "host:0", "host:70000", "[::1]x", "[::1]:", "[::1"]
)
def test_bad_allow_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        AddressGuard(allow=[entry])


def test_is_allowed_matches_host_and_port() -> None:
    guard = AddressGuard(allow=["Internal.Example.", "127.0.0.1:9000", "[::1]:8443"])
    assert guard.is_allowed("internal.example", 80)
    assert guard.is_allowed("INTERNAL.example.", 443)
    assert guard.is_allowed("127.0.0.1", 9000)
    assert not guard.is_allowed("127.0.0.1", 9001)
    assert not guard.is_allowed("127.0.0.1", 80)
    assert guard.is_allowed("[::1]", 8443)
    assert guard.is_allowed("::1", 8443)
    assert not guard.is_allowed("::1", 8444)
    # by what is written, not by what it resolves to
    assert not guard.is_allowed("localhost", 9000)
    assert not guard.is_allowed("2130706433", 9000)


async def test_allowed_port_does_not_allow_another() -> None:
    guard = AddressGuard(allow=["127.0.0.1:9000"])
    assert await guard.resolve("127.0.0.1", 9000) == ["127.0.0.1"]
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.0/8"):
        await guard.resolve("127.0.0.1", 9001)
