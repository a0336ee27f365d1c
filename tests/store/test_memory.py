from __future__ import annotations

import pytest

from flowbot.store import MemoryStore, open_store

from .contract import MakeStore, StoreContract


class TestMemoryStore(StoreContract):
    persistent = False

    @pytest.fixture
    def make_store(self) -> MakeStore:
        return MemoryStore


def test_memory_url_opens_a_memory_store() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
