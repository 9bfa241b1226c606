"""Checking a prompt against a server's rules, and a new regex rule before it is stored.

Word rules are matched here; regex rules run in the sandbox (`RegexSandbox`), never in this
process. A check that cannot finish in time refuses the prompt (`RulesUnavailable`): spending
is never allowed on a check that did not happen.
"""

from __future__ import annotations

import logging

from bot.safety.prompt_rules import PromptRule, compile_rules, fold, windows
from bot.safety.regex_sandbox import RegexSandbox, SandboxError, SandboxTimeout

log = logging.getLogger("bot.jobs.moderation")


class RulesUnavailable(Exception):
    """The prompt rules could not be checked in time: refuse the prompt."""


class PromptScreen:
    """Runs a server's prompt rules; owns the regex sandbox."""

    def __init__(self, sandbox: RegexSandbox | None = None) -> None:
        self.sandbox = sandbox or RegexSandbox()

    async def broken_rule(self, rules: tuple[PromptRule, ...], prompt: str) -> str | None:
        """The label of the first rule `prompt` breaks, or None.

        A regex check that does not finish in time refuses the prompt: spending is never
        allowed on a check that did not happen.
        """
        if not rules:
            return None
        compiled = compile_rules(rules)
        folded = fold(prompt)
        label = compiled.blocked_word(folded)
        if label is not None or not compiled.regexes:
            return label
        patterns = [pattern for _, pattern in compiled.regexes]
        try:
            index = await self.sandbox.search(patterns, windows(folded))
        except (SandboxTimeout, SandboxError) as exc:
            log.warning("prompt rules could not be checked: %s", exc)
            raise RulesUnavailable(str(exc)) from None
        return None if index is None else compiled.regexes[index][0]

    async def regex_is_fast(self, regex: str) -> bool:
        """Time a new regex rule in the sandbox against inputs made to trip backtracking."""
        return await self.sandbox.vet(fold(regex, casefold=False))

    async def close(self) -> None:
        """Stop the regex worker."""
        await self.sandbox.close()
