"""uvicorn's httptools protocol, writing each response to the socket once.

uvicorn writes a response's head when the app sends `http.response.start` and
its body when it sends `http.response.body`: two `send` system calls per
answer, and on a virtual machine a system call that wakes the waiting client
is among the dearest things a web turn does (bench/http.py: 6-19 µs of
~110 µs per request). `CoalescingTransport` holds what is written during one
pass of the event loop and hands it to the socket in one write at the end of
that pass; a response's head and body are sent in the same pass, so they
leave together. Nothing waits longer than the current pass, more than
FLUSH_BYTES held is written at once (a body streamed without yielding to the
loop neither piles up nor escapes the socket's back-pressure), and `close()`
writes what is held first.

The protocol class is uvicorn's own extension point (`Config(http=…)`); only
`connection_made` is overridden, to wrap the transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["FLUSH_BYTES", "CoalescingHttpToolsProtocol", "CoalescingTransport"]

# Held bytes past which a write goes to the socket at once.
FLUSH_BYTES = 64 * 1024


class CoalescingTransport(asyncio.Transport):
    """A transport whose writes of one event-loop pass reach the socket as one write."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self._transport = transport
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._loop = asyncio.get_running_loop()

    # --- writing ---------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
            self._held_bytes = 0
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= FLUSH_BYTES:
            self.flush()

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Hand what is held to the socket now (one write)."""
        if not self._held:
            return
        held, self._held = self._held, []
        if self._transport.is_closing():
            return  # the peer left: asyncio would drop (and warn about) the write too
        self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + (self._held_bytes if self._held else 0)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    # --- closing ---------------------------------------------------------------------

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    # --- the rest, as the socket's transport has it ------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport))
