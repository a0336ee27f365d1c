"""Stable names derived from keys and topics (the same in every process).

Python's `hash()` is salted per process, so nothing here uses it.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["advisory_key", "notify_channel", "valid_channel_prefix"]

_CHANNEL_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,30}")


def advisory_key(namespace: str, key: str) -> int:
    """A signed 64-bit PostgreSQL advisory lock id for `key` within `namespace`.

    Two keys may share an id (1 in 2^64): they then wait for each other, which
    is slower, never unsafe.
    """
    space = namespace.encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(digest_size=8, person=b"flowbot-lock")
    digest.update(len(space).to_bytes(4, "big") + space + key.encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest(), "big", signed=True)


def valid_channel_prefix(prefix: str) -> str:
    """A NOTIFY channel prefix: lower-case identifier characters, at most 31."""
    if not _CHANNEL_PREFIX.fullmatch(prefix):
        raise ValueError(
            f"channel prefix {prefix!r}: 1 to 31 characters of a-z, 0-9 and _, "
            "not starting with a digit"
        )
    return prefix


def notify_channel(prefix: str, topic: str) -> str:
    """The LISTEN/NOTIFY channel of `topic`: the prefix and 32 hex digits (≤ 63 bytes)."""
    digest = hashlib.blake2b(topic.encode("utf-8", "surrogatepass"), digest_size=16)
    return prefix + digest.hexdigest()
