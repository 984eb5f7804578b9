"""The structure that keeps detection cheap on any pane, checked without timing anything.

- The first-pass filter is sound: on every corpus pane, the banners found are the same when
  the parser reads every row a banner may start on.
- A pane whose rows are full of status codes and limit words sends no row to the parser,
  unless a row starts the way a banner or an error starts.
- Importing detection compiles none of the banner tables: they compile on first use.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from credit_management.detect import banners
from credit_management.detect.screen import rows_of
from credit_management.detect.signals import classify, forget_cached
from credit_management.models import Kind

CORPUS = Path(__file__).parent / "corpus"
ZONE = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 11, 21, 14, 30, tzinfo=ZONE)


def _panes() -> list[Path]:
    return sorted(CORPUS.glob("*/*.txt"))


@pytest.mark.parametrize("path", _panes(), ids=lambda path: str(path.relative_to(CORPUS)))
def test_the_first_pass_filter_changes_nothing(path: Path) -> None:
    text = path.read_text(encoding="utf-8").partition("\n---\n")[2]
    forget_cached()
    rows = rows_of(text)
    assert banners.find_hits(rows) == banners.find_hits(rows, first_pass=False)


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real: Callable[[str, str], object] = banners._match_line

    def counting(line: str, glyph: str) -> object:
        seen.append(line)
        return real(line, glyph)

    monkeypatch.setattr(banners, "_read_line", counting)
    return seen


LIMIT_WORDS = (
    "429 rate limit tokens quota usage 401 403 500 502 503 529 exhausted capacity overloaded "
    "credit balance billing limit reached resets 3pm retry-after quota exceeded spend cap "
)


def test_rows_of_limit_words_reach_no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    starts = ("Rate limiting ", "Usage of quota ", "Tokens ", "Credit ", "Error: 429 ", "Retry ")
    rows = [(starts[i % len(starts)] + LIMIT_WORDS * 3)[:120] for i in range(50)]
    logs = [f"     2026-11-21T10:{i:02d}:00Z ERROR 429 {LIMIT_WORDS}"[:120] for i in range(40)]
    forget_cached()
    seen = _count_reads(monkeypatch)
    assert classify("\n".join(rows), NOW, ZONE).kind is Kind.NONE
    assert (
        classify("⏺ Bash(tail logs/gateway.log)\n" + "\n".join(logs), NOW, ZONE).kind is Kind.NONE
    )
    assert seen == []


def test_a_banner_row_still_reaches_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    forget_cached()
    seen = _count_reads(monkeypatch)
    text = "Rate limiting tokens quota 429\n  ⎿  You've hit your session limit · resets 3pm"
    assert classify(text, NOW, ZONE).kind is Kind.EXHAUSTED
    assert seen == ["You've hit your session limit · resets 3pm"]


def test_importing_detection_compiles_no_banner_table() -> None:
    probe = (
        "import credit_management.detect.signals\n"
        "from credit_management.detect import patterns as P\n"
        "lazy = [P.OPENER, P.LEADING, P.OPENER_SHAPE_ANY_CASE, P.ERROR_PREFIX]\n"
        "lazy += [shape.regex for shape in P.SHAPES] + [shape.loose for shape in P.SHAPES]\n"
        "compiled = sum(pattern._compiled is not None for pattern in lazy)\n"
        "print(compiled + len(P.SHAPE_STARTS._by_char))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "0"
