"""Regular expressions compiled on first use, so that importing detection costs next to nothing.

`lazy(pattern, flags)` stands for `re.compile(pattern, flags)`: it offers the `re.Pattern`
methods the detectors call and compiles the expression the first time one of them runs. A
`run` from cron that finds no pane worth reading never compiles the banner tables at all.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any


class Lazy:
    """A regular expression compiled when first used (see the module docstring)."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self.source = source
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

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


def lazy(source: str, flags: int = 0) -> Lazy:
    """`re.compile(source, flags)`, deferred to the first use."""
    return Lazy(source, flags)
