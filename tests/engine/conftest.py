"""Fixtures of the engine tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .support import SHARED


@pytest.fixture
def shared_export() -> Callable[[str], dict[str, Any]]:
    """Reads a real CLOSER export from ../shared/closer-exports (skips when absent)."""

    def read(name: str) -> dict[str, Any]:
        path = SHARED / "closer-exports" / name
        if not path.is_file():
            pytest.skip(f"compatibility fixture {name} is not available")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    return read
