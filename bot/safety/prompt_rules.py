"""A server's prompt rules: blocked words and regular expressions, checked before money moves.

Prompts and rules are compared after `fold`: Unicode NFKC (full-width and other compatibility
forms become plain letters), case folding, accents and other combining marks dropped (NFKD),
invisible format characters (zero-width spaces, soft hyphens) dropped, and a few Cyrillic and
Greek letters that look Latin mapped onto the Latin ones. So "ｎｕｄｅ", "NÚDE" and "nu\u200bde"
all read "nude".

Blocked words are matched here, in-process: each is an escaped literal (no quantifier can
backtrack), compiled once per rule set. Regular expressions are the admin's own and may
backtrack badly, so they never run in this process: `bot.safety.regex_sandbox` runs them in a
worker process with a time limit. `regex_problem` refuses, before a pattern is stored, what
is too long, does not compile, uses back-references or nests quantifiers (`(a+)+`); the
sandbox's `vet` then times it against `adversarial_inputs`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_RULES = 25
MAX_LABEL_CHARS = 40
MAX_WORDS_PER_RULE = 100
MAX_WORD_CHARS = 60
MAX_REGEX_CHARS = 200
MAX_REPEAT_COUNT = 1000
MAX_MATCH_CHARS = 2000
"""Regexes see at most this much text at once; longer prompts are checked in windows."""
MAX_FOLDED_CHARS = 2 * MAX_MATCH_CHARS
"""A prompt longer than this once folded is refused unchecked: NFKC spells some characters
out in up to 18 (U+FDFA), which would make a 2,000-character prompt a 36,000-character check."""
WINDOW_OVERLAP = 200
REGEX_FLAGS = re.IGNORECASE

# Letters of other scripts drawn like Latin ones (lowercase; capitals follow by str.upper).
_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x",
}  # fmt: skip
# Capitals drawn like a Latin capital (Greek Ν is N, though its small ν looks like v).
_LOOKALIKE_CAPITALS = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Α": "A", "Β": "B", "Ε": "E",
    "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T",
    "Υ": "Y", "Χ": "X",
}  # fmt: skip
_LOOKALIKE_TABLE = str.maketrans({**_LOOKALIKES, **_LOOKALIKE_CAPITALS})


def fold(text: str, *, casefold: bool = True) -> str:
    """`text` as rules compare it: NFKC, case-folded, without accents or invisible characters.

    Regex patterns are folded with `casefold=False` (case escapes such as `\\S` must survive);
    they match with `re.IGNORECASE` instead.
    """
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKE_TABLE)
    if casefold:
        text = text.casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
    return unicodedata.normalize("NFC", text.translate(_LOOKALIKE_TABLE))


@dataclass(frozen=True)
class PromptRule:
    """One rule an admin named: a list of blocked words, or one regular expression."""

    label: str
    words: tuple[str, ...] = ()
    regex: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        if self.regex is not None:
            return {"label": self.label, "regex": self.regex}
        return {"label": self.label, "words": list(self.words)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> PromptRule:
        """Read a stored rule."""
        return cls(str(raw["label"]), tuple(raw.get("words") or ()), raw.get("regex"))


def parse_words(text: str) -> tuple[str, ...]:
    """Words as an admin types them: separated by commas (or new lines), blanks dropped."""
    parts = re.split(r"[,\n，、]", text)
    seen: dict[str, None] = {}
    for part in parts:
        word = " ".join(part.split())
        if word:
            seen.setdefault(word, None)
    return tuple(seen)


class RuleProblem(Exception):
    """A rule that cannot be stored; `key` names the message (bot/i18n), `params` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


def check_rules(rules: Sequence[PromptRule]) -> None:
    """Refuse a rule set that breaks a limit or holds an unsafe pattern (`RuleProblem`)."""
    if len(rules) > MAX_RULES:
        raise RuleProblem("rules.too_many", max=MAX_RULES)
    labels = [fold(rule.label) for rule in rules]
    for rule, label in zip(rules, labels, strict=True):
        if not label.strip() or len(rule.label) > MAX_LABEL_CHARS:
            raise RuleProblem("rules.bad_label", max=MAX_LABEL_CHARS)
        if labels.count(label) > 1:
            raise RuleProblem("rules.duplicate_label", label=rule.label)
        if (rule.regex is None) == (not rule.words):
            raise RuleProblem("rules.words_or_regex")
        if rule.regex is not None:
            problem = regex_problem(rule.regex)
            if problem is not None:
                raise RuleProblem(f"rules.regex.{problem}", max=MAX_REGEX_CHARS)
            continue
        if len(rule.words) > MAX_WORDS_PER_RULE:
            raise RuleProblem("rules.too_many_words", max=MAX_WORDS_PER_RULE)
        for word in rule.words:
            if not fold(word).strip() or len(word) > MAX_WORD_CHARS:
                raise RuleProblem("rules.bad_word", max=MAX_WORD_CHARS)


# -- regular expressions: what is refused before anything runs -------------------------------

_parser: Any = importlib.import_module("re._parser")  # the stdlib's own parser (untyped)
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT"})  # POSSESSIVE_REPEAT never backtracks


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` may not be stored ("too_long", "invalid", "backreference", "nested",
    "huge_repeat"), or None. Heuristic: what passes is still timed by the sandbox."""
    if len(pattern) > MAX_REGEX_CHARS:
        return "too_long"
    folded = fold(pattern, casefold=False)
    try:
        re.compile(folded, REGEX_FLAGS)
        tree = _parser.parse(folded, REGEX_FLAGS)
    except (re.error, RecursionError, OverflowError, ValueError):
        return "invalid"
    return _tree_problem(tree.data, inside_repeat=False)


def _tree_problem(items: Iterable[tuple[Any, Any]], *, inside_repeat: bool) -> str | None:
    for op, arg in items:
        name = str(op)
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return "backreference"
        if name in _REPEATS or name == "POSSESSIVE_REPEAT":
            low, high, body = arg
            unbounded = high is _parser.MAXREPEAT
            if not unbounded and max(low, high) > MAX_REPEAT_COUNT:
                return "huge_repeat"
            repeats = name in _REPEATS and (unbounded or high > 1)
            if repeats and inside_repeat:
                return "nested"  # (a+)+, (a*b?)*: exponential backtracking
            problem = _tree_problem(body, inside_repeat=inside_repeat or repeats)
        elif name == "ATOMIC_GROUP":
            problem = _tree_problem(arg, inside_repeat=False)  # never backtracks into it
        else:
            problem = None
            for child in _children(name, arg):
                problem = problem or _tree_problem(child, inside_repeat=inside_repeat)
        if problem is not None:
            return problem
    return None


def _children(name: str, arg: Any) -> list[Any]:
    """The sub-patterns under one node of the stdlib's parse tree."""
    if name == "SUBPATTERN":
        return [arg[3]]
    if name == "BRANCH":
        return list(arg[1])
    if name in ("ASSERT", "ASSERT_NOT"):
        return [arg[1]]
    return []


def _literals(items: Iterable[tuple[Any, Any]], chars: dict[str, None], runs: list[str]) -> None:
    """Collect the characters a pattern names (literals, set members, range ends) and its runs
    of consecutive literals, walking the stdlib's parse tree."""
    run: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            chars.setdefault(chr(arg), None)
            run.append(chr(arg))
            continue
        if len(run) > 1:
            runs.append("".join(run))
        run = []
        if name == "IN":
            for kind, value in arg:
                if str(kind) == "LITERAL":
                    chars.setdefault(chr(value), None)
                elif str(kind) == "RANGE":
                    chars.update(dict.fromkeys((chr(value[0]), chr(value[1]))))
        elif name in _REPEATS or name == "POSSESSIVE_REPEAT":
            _literals(arg[2], chars, runs)
        elif name == "ATOMIC_GROUP":
            _literals(arg, chars, runs)
        else:
            for child in _children(name, arg):
                _literals(child, chars, runs)
    if len(run) > 1:
        runs.append("".join(run))


MAX_PROBE_CHARS = 12
"""Distinct characters of a pattern that each get a probe of their own."""


def adversarial_inputs(pattern: str, length: int = MAX_MATCH_CHARS) -> list[str]:
    """Texts that make backtracking regexes slow: long runs of each character the pattern
    names, punctuation included (`@.*@.*;` is slow on a run of '@'), and of its literal
    runs, and a few common ones; each followed by a character that spoils the match."""
    folded = fold(pattern, casefold=False)
    named: dict[str, None] = {}
    runs: list[str] = []
    # A pattern that does not parse is refused by `regex_problem` before it is ever timed.
    with contextlib.suppress(re.error, RecursionError, OverflowError, ValueError):
        _literals(_parser.parse(folded, REGEX_FLAGS).data, named, runs)
    own = [c.casefold() for c in named if c.isprintable() or c.isspace()]
    chars = list(dict.fromkeys([*own[:MAX_PROBE_CHARS], "a", "1", " ", "é"]))
    # The spoiler: a character the pattern does not name, so that it cannot end a match.
    spoil = next((c for c in "!#~§%^`\x00" if c not in folded and c not in named), "\x00")
    texts = [char * (length - 1) + spoil for char in chars]
    words = list(dict.fromkeys(run.casefold() for run in runs))[:4]
    for word in words:
        texts.append(((word + " ") * (length // (len(word) + 1) + 1))[: length - 1] + spoil)
        texts.append((word * (length // len(word) + 1))[: length - 1] + spoil)
    texts.append(("a " * length)[: length - 1] + spoil)
    texts.append("a" * length)
    return texts


# -- matching --------------------------------------------------------------------------------


def _needs_boundary(char: str) -> bool:
    # Scripts written with spaces need whole words ("ass" must not block "class"); Chinese,
    # Japanese and Korean are written without them, so their words match anywhere.
    return char.isalnum() and unicodedata.east_asian_width(char) not in ("W", "F")


# Scripts written without spaces (Thai, Chinese, Japanese, Korean): their letters do not
# join a Latin word, so "gore" is a whole word in "狐狸gore雪地".
_NO_SPACES = (
    "\u0e00-\u0e7f\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
    "\U00020000-\U0003ffff"
)
_JOINS = f"[^\\W{_NO_SPACES}]"  # a word character that would continue a spaced word


def word_pattern(word: str) -> str:
    """The literal regex of one folded blocked word, whole-word where the script has words."""
    folded = " ".join(fold(word).split())
    body = r"\s+".join(re.escape(part) for part in folded.split(" "))
    start = f"(?<!{_JOINS})" if _needs_boundary(folded[0]) else ""
    end = f"(?!{_JOINS})" if _needs_boundary(folded[-1]) else ""
    return f"{start}{body}{end}"


@dataclass(frozen=True)
class CompiledRules:
    """A rule set ready to match: word rules compiled here, regex rules for the sandbox."""

    words: tuple[tuple[str, re.Pattern[str]], ...]
    regexes: tuple[tuple[str, str], ...]
    """(label, folded pattern) of each regex rule."""

    def blocked_word(self, folded_prompt: str) -> str | None:
        """The label of the first word rule the (folded) prompt breaks."""
        for label, pattern in self.words:
            if pattern.search(folded_prompt):
                return label
        return None


@functools.lru_cache(maxsize=256)
def compile_rules(rules: tuple[PromptRule, ...]) -> CompiledRules:
    """Compile a server's rules once (cached by value: a change makes a new tuple)."""
    words: list[tuple[str, re.Pattern[str]]] = []
    regexes: list[tuple[str, str]] = []
    for rule in rules:
        if rule.regex is not None:
            regexes.append((rule.label, fold(rule.regex, casefold=False)))
        elif rule.words:
            alternatives = "|".join(word_pattern(w) for w in rule.words if fold(w).strip())
            words.append((rule.label, re.compile(alternatives)))
    return CompiledRules(tuple(words), tuple(regexes))


def windows(text: str, size: int = MAX_MATCH_CHARS, overlap: int = WINDOW_OVERLAP) -> list[str]:
    """`text` in pieces of at most `size` characters that overlap, so no match is lost at a
    cut unless it is longer than `overlap`."""
    if len(text) <= size:
        return [text]
    step = size - overlap
    return [text[i : i + size] for i in range(0, len(text) - overlap, step)]
