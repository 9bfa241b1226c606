"""Checking a prompt against a server's rules, and a new regex rule before it is stored.

Word rules are matched here; regex rules run in the sandbox (`RegexSandbox`), never in this
process. A check that cannot finish in time refuses the prompt (`RulesUnavailable`): spending
is never allowed on a check that did not happen. A prompt that grows past `MAX_FOLDED_CHARS`
once folded is refused before any rule runs (`PromptTooComplex`).

The two halves run apart: `broken_word_rule` is cheap (in-process literals) and runs first;
`broken_regex_rule` takes a worker's time, so the job service runs it only once the member
is known to fit their budget.
"""

from __future__ import annotations

import logging

from bot.safety.prompt_rules import (
    MAX_FOLDED_CHARS,
    PromptRule,
    compile_rules,
    fold,
    windows,
)
from bot.safety.regex_sandbox import RegexSandbox, SandboxError, SandboxTimeout

log = logging.getLogger("bot.jobs.moderation")


class RulesUnavailable(Exception):
    """The prompt rules could not be checked in time: refuse the prompt."""


class PromptTooComplex(Exception):
    """The prompt is too long once folded to be checked: refuse it unchecked."""


class PromptScreen:
    """Runs a server's prompt rules; owns the regex sandbox."""

    def __init__(self, sandbox: RegexSandbox | None = None) -> None:
        self.sandbox = sandbox or RegexSandbox()

    @staticmethod
    def _folded(prompt: str) -> str:
        folded = fold(prompt)
        if len(folded) > MAX_FOLDED_CHARS:
            raise PromptTooComplex(f"{len(prompt)} characters fold into {len(folded)}")
        return folded

    def broken_word_rule(self, rules: tuple[PromptRule, ...], prompt: str) -> str | None:
        """The label of the first word rule `prompt` breaks, or None (`PromptTooComplex`)."""
        if not rules:
            return None
        return compile_rules(rules).blocked_word(self._folded(prompt))

    @staticmethod
    def has_regex_rules(rules: tuple[PromptRule, ...]) -> bool:
        """Whether checking a prompt against these rules needs the sandbox."""
        return bool(rules) and bool(compile_rules(rules).regexes)

    async def broken_regex_rule(
        self, rules: tuple[PromptRule, ...], prompt: str, *, guild_id: int = 0
    ) -> str | None:
        """The label of the first regex rule `prompt` breaks, or None.

        Runs in the server's lane of the sandbox; a check that does not finish in time
        refuses the prompt (`RulesUnavailable`): spending is never allowed on a check that
        did not happen.
        """
        if not self.has_regex_rules(rules):
            return None
        compiled = compile_rules(rules)
        patterns = [pattern for _, pattern in compiled.regexes]
        try:
            index = await self.sandbox.search(
                patterns, windows(self._folded(prompt)), guild_id=guild_id
            )
        except (SandboxTimeout, SandboxError) as exc:
            log.warning("prompt rules could not be checked: %s", exc, extra={"guild_id": guild_id})
            raise RulesUnavailable(str(exc)) from None
        return None if index is None else compiled.regexes[index][0]

    async def broken_rule(
        self, rules: tuple[PromptRule, ...], prompt: str, *, guild_id: int = 0
    ) -> str | None:
        """The label of the first rule `prompt` breaks (words first, then regexes), or None."""
        label = self.broken_word_rule(rules, prompt)
        if label is not None:
            return label
        return await self.broken_regex_rule(rules, prompt, guild_id=guild_id)

    async def regex_is_fast(self, regex: str, *, guild_id: int = 0) -> bool:
        """Time a new regex rule in the sandbox against inputs made to trip backtracking."""
        return await self.sandbox.vet(fold(regex, casefold=False), guild_id=guild_id)

    async def close(self) -> None:
        """Stop the regex workers."""
        await self.sandbox.close()
