"""The shared Discord pieces' stories run in the same world as tests/e2e."""

from __future__ import annotations

from tests.e2e.conftest import world

__all__ = ["world"]
