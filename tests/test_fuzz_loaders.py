"""Arbitrary input at the three loaders of files a person or a crash may have mangled: the config
loader, the state loader and the event-log reader.

Each either reads the file or fails with one clear line (ConfigError, StateError), in bounded
time, and writes nothing: the file itself is left as it was, and the only new file is the state
loader's documented `.corrupt-*` copy of the very same bytes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_management.errors import ConfigError, StateError
from credit_management.store.config import Settings, load_settings, setting_names
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import State, StateStore

# Bounded time: every example well under a second (hypothesis fails a slower one).
FUZZ = settings(
    max_examples=200,
    deadline=1000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def home() -> Iterator[Path]:
    # One folder per example (hypothesis runs many inside one test).
    folder = Path(tempfile.mkdtemp(prefix="credit-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh(home: Path) -> Paths:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    return Paths(home, "--home")


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def one_line(error: Exception) -> None:
    text = str(error)
    assert text and "\n" not in text and len(text) < 2000, text
    assert "Traceback" not in text


# -- config.toml -----------------------------------------------------------------------------------


def load_config_bytes(home: Path, raw: bytes) -> Settings | None:
    paths = fresh(home)
    paths.config_file.write_bytes(raw)
    before = files(home)
    try:
        result: Settings | None = load_settings(paths, environ={})
    except ConfigError as error:
        one_line(error)
        result = None
    assert files(home) == before
    return result


def test_config_arbitrary_bytes(home: Path) -> None:
    @FUZZ
    @given(st.binary(max_size=2048))
    def check(raw: bytes) -> None:
        load_config_bytes(home, raw)

    check()


TOML_VALUES: st.SearchStrategy[str] = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda x: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(x), repr(x))
    ),
    st.text(max_size=40).map(json.dumps),
    st.sampled_from(["true", "false", "[]", "['a', '']", "[1, 2]", "{}", "1e308", "'90s'"]),
    st.sampled_from(["'1h30m'", "'5 m'", "'-5m'", "'1e400s'", "'0.5d'", "'m'", "''"]),
)


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    keys = [*setting_names(), "unknown_key", "timeout"]
    lines = [
        f"{draw(st.sampled_from(keys))} = {draw(TOML_VALUES)}"
        for _ in range(draw(st.integers(0, 5)))
    ]
    if draw(st.booleans()):
        hook_keys = ["events", "command", "url", "timeout", "timeout_seconds", "retries", "x"]
        lines.append("[[hooks]]")
        lines += [f"{draw(st.sampled_from(hook_keys))} = {draw(TOML_VALUES)}" for _ in range(3)]
    return "\n".join(lines) + "\n"


def test_config_documents_with_every_key_and_odd_values(home: Path) -> None:
    @FUZZ
    @given(toml_documents())
    def check(text: str) -> None:
        loaded = load_config_bytes(home, text.encode())
        if loaded is not None:  # whatever was accepted is within its range and finite
            for name, value in loaded.values().items():
                if isinstance(value, float):
                    assert value == value and abs(value) < 1e7, (name, value)

    check()


@pytest.mark.parametrize(
    "text",
    ["a = " + "[" * 5000, "a = " + "{b=" * 5000, "hooks = " + "[" * 3000],
)
def test_config_nested_beyond_reason_is_one_line(home: Path, text: str) -> None:
    assert load_config_bytes(home, text.encode()) is None


# -- the state file --------------------------------------------------------------------------------


def load_state_bytes(home: Path, raw: bytes) -> State | None:
    paths = fresh(home)
    store = StateStore(paths)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(raw)
    before = files(home)
    try:
        result: State | None = store.load()
    except StateError as error:
        one_line(error)
        result = None
    after = files(home)
    for name, content in after.items():
        if name in before:
            assert content == before[name], f"{name} changed"
        else:  # the one file a failed load may write: a copy of the unusable bytes
            assert ".corrupt-" in name and content == raw, name
    return result


def test_state_arbitrary_bytes(home: Path) -> None:
    @FUZZ
    @given(st.binary(max_size=4096))
    def check(raw: bytes) -> None:
        load_state_bytes(home, raw)

    check()


JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
JSON: st.SearchStrategy[Any] = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
STATUSES = ["active", "exhausted", "paused", "resuming", "warning", "nonsense", 3]


@st.composite
def state_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Documents shaped like the state file, with odd values where the loader must look."""
    agent_fields = st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(STATUSES),
            "since": st.one_of(st.text(max_size=30), st.just("2026-11-21T12:00:00")),
            "scheduled_resume": st.one_of(JSON_LEAVES, st.just("2026-11-21T12:00:00+00:00")),
            "history": JSON,
            "queued": JSON,
            "attempts": JSON_LEAVES,
        },
    )
    document: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "version": st.sampled_from([1, 2, "1", True, None]),
                "reset_times": st.one_of(JSON, st.just(["18:00", "25:00"])),
                "timezone": st.one_of(st.text(max_size=30), st.just("Europe/Lisbon"), JSON),
                "agents": st.one_of(JSON, st.dictionaries(st.text(max_size=10), agent_fields)),
                "schedules": JSON,
                "alerts": JSON,
            },
        )
    )
    return document


def test_state_documents_with_odd_fields(home: Path) -> None:
    @FUZZ
    @given(state_documents())
    def check(document: dict[str, Any]) -> None:
        load_state_bytes(home, json.dumps(document).encode())

    check()


def test_state_nested_beyond_reason_is_one_line(home: Path) -> None:
    assert load_state_bytes(home, b'{"agents": ' + b"[" * 100_000) is None


# -- the event log ---------------------------------------------------------------------------------


def read_log_bytes(home: Path, raw: bytes) -> list[dict[str, Any]] | None:
    paths = fresh(home)
    log = EventLog(paths.events_log)
    log.path.parent.mkdir(parents=True, exist_ok=True)
    log.path.write_bytes(raw)
    before = files(home)
    try:
        events: list[dict[str, Any]] | None = log.read()
        log.read(target="main:1", limit=3)
        log.read_journal()
    except StateError as error:
        one_line(error)
        events = None
    assert files(home) == before
    return events


def test_event_log_arbitrary_bytes(home: Path) -> None:
    @FUZZ
    @given(st.binary(max_size=4096))
    def check(raw: bytes) -> None:
        events = read_log_bytes(home, raw)
        assert events is not None  # a bad line is skipped, never fatal
        assert all(isinstance(event.get("event"), str) for event in events)

    check()


def test_event_log_lines_of_odd_json(home: Path) -> None:
    @FUZZ
    @given(st.lists(JSON | st.dictionaries(st.just("event"), JSON), max_size=10))
    def check(records: list[Any]) -> None:
        raw = "\n".join(json.dumps(record) for record in records).encode()
        assert read_log_bytes(home, raw) is not None

    check()


def test_event_log_line_nested_beyond_reason_is_skipped(home: Path) -> None:
    good = json.dumps({"event": "agent.paused", "time": "2026-11-21T12:00:00+00:00"})
    events = read_log_bytes(home, b"[" * 100_000 + b"\n" + good.encode() + b"\n")
    assert events is not None and [event["event"] for event in events] == ["agent.paused"]
