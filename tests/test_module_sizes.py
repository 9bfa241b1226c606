"""The layout's rule (issue 16): no module over ~400 lines without a reason in its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
LIMIT = 400
REASONS = ("Longer than most modules", "Long because")


def test_every_long_module_says_why_it_is_long() -> None:
    unexplained = []
    for path in sorted(BOT.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) <= LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if not any(reason in docstring for reason in REASONS):
            unexplained.append(f"{path.relative_to(BOT.parent)} ({len(text.splitlines())} lines)")
    assert not unexplained, "say why these are long, or split them: " + ", ".join(unexplained)
