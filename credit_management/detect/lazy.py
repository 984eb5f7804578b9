"""Regular expressions compiled on first use, so that importing detection costs next to nothing.

`lazy(pattern, flags)` stands for `re.compile(pattern, flags)`: it offers the `re.Pattern`
methods the detectors call and compiles the expression the first time one of them runs. A
`run` from cron that finds no pane worth reading never compiles the banner tables at all.
`ByFirstChar` splits a long alternation by the character each alternative may start with, so
that a match tries only the few alternatives that can start where the text does.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any


class Lazy:
    """A regular expression compiled when first used (see the module docstring)."""

    def __init__(self, source: str | Callable[[], str], flags: int = 0) -> None:
        self._source = source
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def source(self) -> str:
        """The expression (built on first use when it was given as a function)."""
        if callable(self._source):
            self._source = self._source()
        return self._source

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.source, self.flags)
            # From now on a call goes straight to the compiled expression's own method.
            for name in _METHODS:
                setattr(self, name, getattr(compiled, name))
        return compiled

    @property
    def pattern(self) -> str:
        return self.source

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(string, pos, endpos)

    def fullmatch(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def finditer(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled.findall(string, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)


_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub")


def lazy(source: str | Callable[[], str], flags: int = 0) -> Lazy:
    """`re.compile(source, flags)`, deferred to the first use; `source` may be a function that
    builds the expression (for large ones, built only when first used too)."""
    return Lazy(source, flags)


class ByFirstChar:
    """An alternation `a0|a1|…` split by first character: `match(text, pos)` matches, at
    `pos`, the alternation of only those alternatives that may start with `text[pos]` (in
    their order, so the first that matches is the one the whole alternation would give).
    Each character's alternation compiles when that character is first met."""

    def __init__(
        self,
        alternatives: Callable[[], Sequence[str]],
        groups: Sequence[str] = (),
        flags: int = 0,
    ) -> None:
        self._alternatives = alternatives
        # Characters that share one alternation (fewer, larger expressions to compile).
        self._group = {char: chars for chars in groups for char in chars}
        self._flags = flags
        self._firsts: list[tuple[str, frozenset[str] | None]] | None = None
        self._by_char: dict[str, re.Pattern[str] | None] = {}

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        if pos >= len(text):
            return None
        char = text[pos]
        pattern = self._by_char.get(char, _UNSET)
        if pattern is _UNSET:
            pattern = self._for(char)
            for member in self._group.get(char, char):
                self._by_char[member] = pattern
        return pattern.match(text, pos) if isinstance(pattern, re.Pattern) else None

    def _for(self, char: str) -> re.Pattern[str] | None:
        if self._firsts is None:
            self._firsts = [(source, first_chars(source)) for source in self._alternatives()]
        chars = set(self._group.get(char, char))
        chosen = [source for source, first in self._firsts if first is None or chars & first]
        return re.compile("|".join(chosen), self._flags) if chosen else None


_UNSET: Any = object()
_BLANKS = frozenset(chr(code) for code in range(0x3001) if chr(code).isspace())  # all of "\s"
_PARSER: Any = importlib.import_module("re._parser")
_SRE: Any = importlib.import_module("re._constants")


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of `pattern` may start with (case as written), or None when it
    may start with any (or the pattern is one this reading does not follow)."""
    try:
        chars, _empty = _firsts(list(_PARSER.parse(pattern)))
    except (re.error, ValueError, TypeError, RecursionError):
        return None
    return frozenset(chars) if chars is not None else None


def _firsts(items: list[Any]) -> tuple[set[str] | None, bool]:
    """The first characters of a sequence of parsed items, and whether it may match empty."""
    found: set[str] = set()
    for op, arg in items:
        chars, empty = _first(op, arg)
        if chars is None:
            return None, False
        found |= chars
        if not empty:
            return found, False
    return found, True


def _first(op: Any, arg: Any) -> tuple[set[str] | None, bool]:
    if op is _SRE.LITERAL:
        return {chr(arg)}, False
    if op is _SRE.IN:
        chars: set[str] = set()
        for item_op, item in arg:
            if item_op is _SRE.LITERAL:
                chars.add(chr(item))
            elif item_op is _SRE.RANGE and item[1] - item[0] < 512:
                chars.update(chr(code) for code in range(item[0], item[1] + 1))
            elif item_op is _SRE.CATEGORY and item in (
                _SRE.CATEGORY_SPACE,
                _SRE.CATEGORY_UNI_SPACE,
            ):
                chars.update(_BLANKS)
            else:
                return None, False  # a category, a negated or a wide class: any character
        return chars, False
    if op is _SRE.BRANCH:
        union: set[str] = set()
        empty = False
        for branch in arg[1]:
            chars_or_none, branch_empty = _firsts(list(branch))
            if chars_or_none is None:
                return None, False
            union |= chars_or_none
            empty = empty or branch_empty
        return union, empty
    if op is _SRE.SUBPATTERN:
        _group, add_flags, _del_flags, inner = arg
        if add_flags & re.IGNORECASE:
            return None, False
        return _firsts(list(inner))
    if op in (_SRE.MAX_REPEAT, _SRE.MIN_REPEAT, _SRE.POSSESSIVE_REPEAT):
        low, _high, inner = arg
        chars_or_none, empty = _firsts(list(inner))
        return chars_or_none, empty or low == 0
    if op is _SRE.ATOMIC_GROUP:
        return _firsts(list(arg))
    if op in (_SRE.AT, _SRE.ASSERT, _SRE.ASSERT_NOT):
        return set(), True  # takes no character: what follows starts the match
    return None, False  # any character, a back reference, something this does not follow
