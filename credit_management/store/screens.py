"""What each pane showed at the last sweep: `data/screens.json`, so an unchanged screen is not
parsed again.

An entry is a pane's digest (the capture and the agent's resume mark) with what reading it
gave: whether its first rows could be part of a banner, and whether it read as nothing at all.
Only those two answers are kept, because they depend on the text alone, never on the time.
The record names the detector it was read with (its files' sizes and times), so a new
detector starts afresh. It also keeps which panes the sweep captured and with how many lines
of history, so the next sweep can list and capture them in one tmux process, and how long each
pane's history was then, so the next sweep captures what scrolled off the screen since. It is a
cache:
unreadable means empty, and it is written only when something in it changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from credit_management.records import Record

try:  # the C module behind hashlib.blake2b, without hashlib loading OpenSSL on every run
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

from credit_management.store.paths import Paths

FILE_NAME = "screens.json"
VERSION = 1
_DETECTOR = Path(__file__).resolve().parent.parent / "detect"


@dataclass(frozen=True, repr=False)
class Reading(Record):
    """What one screen read as: `hot` (its top rows may be part of a banner, so the whole
    history is needed) and `quiet` (it shows no credit signal; None when not read)."""

    digest: str
    hot: bool
    quiet: bool | None = None


def digest(text: str, mark: str | None) -> str:
    """A fingerprint of a capture as the agent's resume mark cuts it."""
    body = f"{mark or ''}\0{text}".encode("utf-8", "surrogatepass")
    return blake2b(body, digest_size=16).hexdigest()


def detector_key() -> str:
    """The detector's files by name, size and modification time: a new version reads afresh."""
    parts: list[str] = []
    with contextlib.suppress(OSError):
        for entry in sorted(os.scandir(_DETECTOR), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                info = entry.stat()
                parts.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    return blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


class ScreenCache:
    """The readings of the last sweep, and the ones this sweep made, by pane id."""

    def __init__(self, paths: Paths) -> None:
        self.path = paths.data_dir / FILE_NAME
        self.key = detector_key()
        self.before: dict[str, Reading] = {}
        self.now: dict[str, Reading] = {}
        # pane id -> lines of history: what the last sweep captured, and what this one did.
        self.captured: dict[str, int] = {}
        self.capturing: dict[str, int] = {}
        # pane id -> tmux's history_size: at the last sweep's capture, and at this one's.
        self.history: dict[str, int] = {}
        self.history_now: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_bytes())
            if data.get("version") != VERSION:
                return
            self.captured = _counts(data.get("captured", {}))
            self.history = _counts(data.get("history", {}))
            if data.get("detector") != self.key:
                return
            self.before = {
                str(pane): Reading(str(entry[0]), bool(entry[1]), _flag(entry[2]))
                for pane, entry in data["panes"].items()
            }
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            self.before, self.captured, self.history = {}, {}, {}

    def known(self, pane_id: str, key: str) -> Reading | None:
        """The last sweep's reading of this pane if it showed exactly this."""
        reading = self.before.get(pane_id)
        return reading if reading is not None and reading.digest == key else None

    def keep(self, pane_id: str, reading: Reading) -> None:
        self.now[pane_id] = reading

    def save(self) -> None:
        """Write the readings of this sweep's panes if any differs; never raises."""
        if (
            self.now == self.before
            and self.capturing == self.captured
            and self.history_now == self.history
        ):
            return
        data = {
            "version": VERSION,
            "detector": self.key,
            "panes": {p: [r.digest, r.hot, r.quiet] for p, r in sorted(self.now.items())},
            "captured": dict(sorted(self.capturing.items())),
            "history": dict(sorted(self.history_now.items())),
        }
        folder = self.path.parent
        temp = folder / f".{FILE_NAME}.{os.getpid()}.{threading.get_ident()}.tmp"
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            os.replace(temp, self.path)
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def _counts(raw: object) -> dict[str, int]:
    """A {pane id: count} mapping from the file, without what is not a count."""
    if not isinstance(raw, dict):
        raise TypeError("not a mapping")
    return {
        str(pane): count
        for pane, count in raw.items()
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0
    }


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)
