"""The Discord features' stories run in the same world as tests/e2e: the real bot, the Atlas
simulator and the fake Discord on 127.0.0.1."""

from __future__ import annotations

from tests.e2e.conftest import world

__all__ = ["world"]
