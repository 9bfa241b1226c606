"""The Discord layer's features, one package each (`bot/exts/<feature>/`), found, not listed.

Each feature package has a `setup(bot)` that adds its cog or command group and registers its
own persistent buttons; its private modules (`_cog.py`, `_views.py`, `_render.py`, ...) are
not extensions. Shared Discord pieces (the job message, buttons' looks, admin checks) live in
`bot.ui`; the bot core never imports an extension, it loads them by name.
"""

from __future__ import annotations

import importlib
import pkgutil


def walk_extensions() -> list[str]:
    """Every feature package under `bot.exts` with a `setup` function, in name order."""
    found = []
    for module in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if module.name.rsplit(".", 1)[1].startswith("_"):
            continue
        if callable(getattr(importlib.import_module(module.name), "setup", None)):
            found.append(module.name)
    return sorted(found)


__all__ = ["walk_extensions"]
