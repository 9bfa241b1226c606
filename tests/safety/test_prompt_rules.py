"""The prompt-rule engine: look-alikes fold onto plain letters, words match whole (where the
script has words), unsafe regexes are refused before they are stored, and the sandbox stops a
runaway match without freezing the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from bot.safety.prompt_rules import (
    MAX_MATCH_CHARS,
    MAX_REGEX_CHARS,
    PromptRule,
    RuleProblem,
    adversarial_inputs,
    check_rules,
    compile_rules,
    fold,
    parse_words,
    regex_problem,
    windows,
)
from bot.safety.regex_sandbox import RegexSandbox, SandboxBusy, SandboxTimeout


def blocked(words: str, prompt: str) -> str | None:
    rules = (PromptRule("rule", parse_words(words)),)
    return compile_rules(rules).blocked_word(fold(prompt))


# -- folding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＮＵＤＥ", "nude"),  # full-width letters (NFKC)
        ("Ｎｕｄｅ　ｆｏｘ", "nude fox"),  # and the ideographic space
        ("NÚDÉ", "nude"),  # accents dropped after NFKD
        ("nu\u0301de", "nude"),  # a combining accent typed on its own
        ("nu\u200bd\u00ade", "nude"),  # zero-width space and soft hyphen
        ("ｎｕｄｅ\u0308", "nude"),
        ("Straße", "strasse"),  # case folding, not just lower()
        ("ﬁre", "fire"),  # a ligature
        ("nudе", "nude"),  # Cyrillic е
        ("ΝUDΕ", "nude"),  # Greek capitals Nu and Epsilon
        ("血腥", "血腥"),  # Chinese is left as it is
        ("한국어", "한국어"),  # Hangul recomposes after NFKD
    ],
)
def test_fold_brings_look_alikes_onto_plain_letters(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_keeps_the_case_of_a_regex_so_its_escapes_survive() -> None:
    assert fold(r"\Sｘ\W", casefold=False) == r"\Sx\W"


# -- blocked words ----------------------------------------------------------------------------


def test_a_blocked_word_in_full_width_or_accented_letters_does_not_slip_through() -> None:
    assert blocked("nude", "a ＮＵＤＥ fox") == "rule"
    assert blocked("nude", "a núdé fox") == "rule"
    assert blocked("nude", "a NUDE fox") == "rule"
    assert blocked("café", "a cafe scene") == "rule", "the rule's own accents fold too"
    assert blocked("nude", "a fox in the snow") is None


def test_words_match_whole_words_in_scripts_written_with_spaces() -> None:
    assert blocked("ass", "a class assignment") is None
    assert blocked("ass", "kick ass, fox") == "rule"
    assert blocked("gore", "gore.") == "rule"
    assert blocked("blood bath", "a  blood   bath at dawn") == "rule", "any spacing between"
    assert blocked("blood bath", "a bloodbath") is None


def test_chinese_words_match_anywhere_since_chinese_has_no_spaces() -> None:
    assert blocked("血腥", "一隻狐狸在血腥的雪地") == "rule"
    assert blocked("血腥, gore", "a fox") is None
    assert blocked("gore", "一隻狐狸在ＧＯＲＥ雪地") == "rule", "a Latin word amid Chinese"
    assert blocked("gore", "狐狸gorey雪地") is None


def test_words_are_typed_with_commas_or_new_lines_and_kept_once() -> None:
    assert parse_words("gore, blood ,\n血腥，gore,, ") == ("gore", "blood", "血腥")


def test_the_first_broken_rule_names_itself() -> None:
    rules = (PromptRule("violence", ("gore",)), PromptRule("adult", ("nude",)))
    assert compile_rules(rules).blocked_word(fold("nude gore")) == "violence"
    assert compile_rules(rules).blocked_word(fold("ｎｕｄｅ")) == "adult"


# -- rule limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        (PromptRule("", ("gore",)), "rules.bad_label"),
        (PromptRule("x" * 41, ("gore",)), "rules.bad_label"),
        (PromptRule("empty"), "rules.words_or_regex"),
        (PromptRule("both", ("gore",), "gore"), "rules.words_or_regex"),
        (PromptRule("marks", ("\u0301",)), "rules.bad_word"),
        (PromptRule("many", tuple(f"w{i}" for i in range(101))), "rules.too_many_words"),
        (PromptRule("long", regex="a" * (MAX_REGEX_CHARS + 1)), "rules.regex.too_long"),
        (PromptRule("broken", regex="(unclosed"), "rules.regex.invalid"),
        (PromptRule("nested", regex="(a+)+$"), "rules.regex.nested"),
        (PromptRule("backref", regex=r"(\w+) \1"), "rules.regex.backreference"),
    ],
)
def test_a_rule_that_breaks_a_limit_is_refused(rule: PromptRule, key: str) -> None:
    with pytest.raises(RuleProblem) as refused:
        check_rules([rule])
    assert refused.value.key == key


def test_two_rules_may_not_share_a_label_in_any_spelling() -> None:
    with pytest.raises(RuleProblem, match="duplicate_label"):
        check_rules([PromptRule("Gore", ("a",)), PromptRule("ＧＯＲＥ", ("b",))])


# -- regex safety -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+$",
        "(a*)*b",
        r"(\w+\s?)+$",
        "(x+x+)+y",
        "((ab)*c)+",
        "(?:a|b+)*c",
        "(a{2,}){2,}",
        r"(?=(a+)+)b",  # inside a look-ahead too
    ],
)
def test_nested_quantifiers_are_refused_by_their_shape(pattern: str) -> None:
    assert regex_problem(pattern) == "nested"


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bnude\b",
        r"n[uú]+de",
        "(cat|dog)+s?",
        r"\d{3}-\d{4}",
        "(?>a+)+b",  # an atomic group never backtracks
        "(a++)+b",  # nor does a possessive quantifier
        "(ab){2}",  # a fixed count is not a repeat that backtracks
        "foo.*bar",
    ],
)
def test_ordinary_patterns_pass_the_shape_check(pattern: str) -> None:
    assert regex_problem(pattern) is None


def test_a_huge_counted_repeat_is_refused() -> None:
    assert regex_problem("a{5000}") == "huge_repeat"
    assert regex_problem("a{1,1000}") is None


def test_adversarial_inputs_are_long_and_end_in_a_character_the_pattern_lacks() -> None:
    inputs = adversarial_inputs("(a|a)+!")
    assert all(len(text) == MAX_MATCH_CHARS for text in inputs)
    assert "a" * (MAX_MATCH_CHARS - 1) + "#" in inputs, "'!' is in the pattern: '#' spoils"


def test_long_prompts_are_checked_in_overlapping_windows() -> None:
    text = "x" * 4500 + "needle"
    pieces = windows(text)
    assert all(len(piece) <= MAX_MATCH_CHARS for piece in pieces)
    assert any("needle" in piece for piece in pieces)
    assert windows("short") == ["short"]


@pytest.fixture
async def sandbox() -> AsyncIterator[RegexSandbox]:
    box = RegexSandbox(search_timeout=0.3, vet_timeout=1.5, vet_input_seconds=0.15)
    yield box
    await box.close()


async def test_a_pathological_regex_that_passes_the_shape_check_is_refused_by_timing(
    sandbox: RegexSandbox,
) -> None:
    for slow in ["(a|a)+$", r"\w*\w*\w*!", "(a|aa)+$"]:
        assert regex_problem(slow) is None, "no nested quantifier: only timing catches it"
        started = time.monotonic()
        assert not await sandbox.vet(slow), slow
        # Bounded by the vet's time budget (plus a worker start on a busy machine).
        assert time.monotonic() - started < sandbox.vet_timeout + 1.5
    relaxed = RegexSandbox(vet_input_seconds=1.0)  # a busy machine must not fail a fast one
    try:
        assert await relaxed.vet(r"\b(n[uu]de|naked)\b")
    finally:
        await relaxed.close()


async def test_a_runaway_match_is_stopped_and_the_event_loop_keeps_running(
    sandbox: RegexSandbox,
) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    with pytest.raises(SandboxTimeout):
        await sandbox.search(["(a|a)+$"], ["a" * 40 + "!"])
    elapsed = time.monotonic() - started
    ticker.cancel()
    assert 0.25 <= elapsed < 2.5
    assert ticks >= 3, "the loop ran while the worker was stuck"
    assert sandbox.restarts == 1
    # A fresh worker answers the next prompt.
    assert await sandbox.search(["nope", "fo+x"], ["a fooox"]) == 1
    assert await sandbox.search(["nope"], ["a fox"]) is None


# -- one server cannot slow another's checks -----------------------------------------------------

SLOW = "@.*@.*@.*@.*;"
"""Polynomial backtracking on a run of '@' (no nested quantifier, no letter in it)."""
FLOOD = "@" * MAX_MATCH_CHARS


def test_the_probes_are_built_from_the_patterns_own_literals() -> None:
    inputs = adversarial_inputs(SLOW)
    assert "@" * (MAX_MATCH_CHARS - 1) + "!" in inputs, "a run of '@', spoiled by a char it lacks"
    assert any(text.startswith("ab;ab;") for text in adversarial_inputs(r"(ab;)+x")), "literal runs"


async def test_a_regex_slow_only_on_its_own_punctuation_is_refused_when_vetted(
    sandbox: RegexSandbox,
) -> None:
    assert regex_problem(SLOW) is None, "its shape passes: only the timing can tell"
    assert not await sandbox.vet(SLOW)


async def test_a_flood_from_one_server_does_not_hold_up_another_servers_check() -> None:
    box = RegexSandbox(search_timeout=0.3, deadline=1.0)
    try:
        flood = [asyncio.create_task(box.search([SLOW], [FLOOD], guild_id=1)) for _ in range(20)]
        await asyncio.sleep(0.05)  # the flood is in line first
        started = time.monotonic()
        assert await box.search(["fox"], ["a quiet prompt"], guild_id=2) is None
        innocent = time.monotonic() - started
        outcomes = await asyncio.gather(*flood, return_exceptions=True)
        flood_done = time.monotonic() - started
    finally:
        await box.close()
    assert innocent < 0.5, f"the other server's check waited {innocent:.2f} s"
    assert all(isinstance(o, SandboxTimeout) for o in outcomes), "the flood is refused"
    busy = [o for o in outcomes if isinstance(o, SandboxBusy)]
    assert len(busy) >= 15, "most of the flood is refused at once: its server's line is full"
    assert flood_done < 2.5, "and no check waits past its deadline"


async def test_a_checks_deadline_includes_its_wait_for_a_worker() -> None:
    box = RegexSandbox(workers=1, search_timeout=0.5, deadline=0.5)
    try:
        # Five servers' slow checks in line for the one worker, then an innocent one.
        slow = [
            asyncio.create_task(box.search([SLOW], [FLOOD], guild_id=guild))
            for guild in range(1, 6)
        ]
        await asyncio.sleep(0.05)
        started = time.monotonic()
        with contextlib.suppress(SandboxTimeout):  # answered or refused: never late
            await box.search(["fox"], ["a fox"], guild_id=9)
        waited = time.monotonic() - started
        outcomes = await asyncio.gather(*slow, return_exceptions=True)
        everything = time.monotonic() - started
    finally:
        await box.close()
    assert all(isinstance(o, SandboxTimeout) for o in outcomes)
    assert waited < 0.8, f"ended after {waited:.2f} s: the wait counts against the deadline"
    assert everything < 0.8, "no check outlived its deadline (one after another: 2.5 s)"
