"""The state file: schema round trip, the old tool's files, corrupt and future-version files,
locking under many concurrent processes, and surviving `kill -9` in the middle of writes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_management.clock import FakeClock
from credit_management.errors import LockBusy, StateError
from credit_management.models import (
    HISTORY_LIMIT,
    AgentRecord,
    Alert,
    QueuedMessage,
    ScheduledNote,
    Status,
    set_status,
)
from credit_management.store.paths import Paths
from credit_management.store.state import CURRENT_VERSION, State, StateStore, run_lock

NOW = datetime(2026, 11, 21, 23, 59, 59, tzinfo=UTC)
CLI = Path(sys.executable).with_name("credit-monitor")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "home", "--home")


@pytest.fixture
def store(paths: Paths) -> StateStore:
    return StateStore(paths, FakeClock(NOW))


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    """A child Python process running `code` (dedented) with `args` in sys.argv[1:]."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- fresh files and round trips ---------------------------------------------------------


def test_missing_file_loads_fresh_and_is_created_on_first_write(
    store: StateStore, paths: Paths
) -> None:
    state = store.load()
    assert state.version == CURRENT_VERSION
    assert state.agents == {} and state.schedules == [] and state.alerts == []
    assert state.reset_times == ["18:00", "23:00", "04:00", "09:00", "14:00"]
    assert not paths.state_file.exists(), "loading must not create the file"

    with store.transaction() as state:
        state.agent("main:1").status = Status.PAUSED

    text = paths.state_file.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["version"] == 1
    assert data["agents"]["main:1"]["status"] == "paused"
    assert list(paths.state_file.parent.glob(".credit_schedule.*")) == []


def test_round_trip_keeps_records_schedules_alerts_and_unknown_keys(
    store: StateStore, paths: Paths
) -> None:
    paths.data_dir.mkdir(parents=True)
    paths.state_file.write_text(
        json.dumps(
            {
                "version": 1,
                "reset_times": ["01:00"],
                "timezone": "Europe/Lisbon",
                "reset_history": [{"reset_time": "x"}],
                "agents": {"s:2": {"status": "exhausted", "role_note": "keeps me"}},
            }
        ),
        encoding="utf-8",
    )
    with store.transaction() as state:
        record = state.agent("s:1")
        record.status = Status.EXHAUSTED
        record.scheduled_resume = NOW.isoformat()
        record.queued.append(QueuedMessage("q1", "ünïcode ✓", NOW.isoformat()))
        state.schedules.append(ScheduledNote("n1", "s:1", "hi", NOW.isoformat(), NOW.isoformat()))
        state.alerts.append(Alert("a1", "s:1", "exhausted", "limit", NOW.isoformat()))
    again = store.load()
    assert again.timezone == "Europe/Lisbon" and again.reset_times == ["01:00"]
    assert again.agents["s:1"].queued[0].text == "ünïcode ✓"
    assert again.agents["s:1"].scheduled_resume == NOW.isoformat()
    assert again.agents["s:2"].status == Status.EXHAUSTED
    assert again.open_alert("s:1") is not None and again.open_alert("s:2") is None
    assert again.schedules[0].id == "n1"
    raw = json.loads(paths.state_file.read_text(encoding="utf-8"))
    assert raw["reset_history"] == [{"reset_time": "x"}], "unknown top-level keys survive"
    assert raw["agents"]["s:2"]["role_note"] == "keeps me", "unknown agent keys survive"
    assert list(raw["agents"]) == ["s:1", "s:2"]
    assert "ünïcode ✓" in paths.state_file.read_text(encoding="utf-8"), "ensure_ascii=False"


def test_a_file_written_by_the_old_tool_loads(store: StateStore, paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    seed = {
        "last_known_reset": "2025-01-20T23:00:00",
        "next_reset_time": "2025-01-21T04:00:00",
        "fallback_cycle_hours": 5,
        "reset_times": ["18:00", "23:00", "04:00", "09:00", "14:00"],
        "timezone": "Europe/Lisbon",
        "agents": {
            "proj:1": {
                "status": "exhausted",
                "exhausted_at": "2025-07-20T22:45:00",
                "scheduled_resume": "2025-07-20T23:00:00",
                "last_checked": "2025-07-20T22:45:00",
                "resume_scheduled": True,
                "history": ["exhausted at 22:45"],
            },
            "proj:2": {"status": "warning", "last_checked": "2025-07-20T22:45:00"},
        },
        "reset_history": [],
    }
    paths.state_file.write_text(json.dumps(seed), encoding="utf-8")
    state = store.load()
    record = state.agents["proj:1"]
    assert record.status == Status.EXHAUSTED
    # Lisbon is UTC+1 in July: naive local times get the file's zone.
    assert record.scheduled_resume == "2025-07-20T23:00:00+01:00"
    assert record.history == [{"note": "exhausted at 22:45"}]
    assert state.agents["proj:2"].status == Status.ACTIVE
    with store.transaction() as state:
        state.agent("proj:3")
    saved = json.loads(paths.state_file.read_text(encoding="utf-8"))
    assert saved["version"] == 1
    assert saved["next_reset_time"] == "2025-01-21T04:00:00"
    assert saved["agents"]["proj:1"]["resume_scheduled"] is True


def test_a_transaction_that_changes_nothing_writes_nothing(store: StateStore, paths: Paths) -> None:
    with store.transaction() as state:
        state.agent("a:1").window_name = "one"
    written = paths.state_file.stat()
    events = paths.events_log.read_bytes()
    for _ in range(2):
        with store.transaction() as state:
            state.agent("a:1")
    again = paths.state_file.stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert paths.events_log.read_bytes() == events
    with store.transaction() as state:  # a real change still lands, and is journaled
        state.agent("a:1").window_name = "two"
    assert store.load().agents["a:1"].window_name == "two"
    assert paths.events_log.read_bytes() != events


def test_a_transaction_reuses_a_load_only_while_the_file_holds_its_bytes(
    store: StateStore, paths: Paths
) -> None:
    with store.transaction() as state:
        state.agent("a:1").window_name = "one"
    known = store.load_known()
    with store.transaction(known=known) as state:
        assert state is known[1]
    other = StateStore(paths)  # another process changes the file meanwhile
    with other.transaction() as state:
        state.agent("a:1").window_name = "two"
    with store.transaction(known=known) as state:
        assert state is not known[1]
        assert state.agents["a:1"].window_name == "two"
        state.agent("a:2")
    assert set(StateStore(paths).load().agents) == {"a:1", "a:2"}


def test_history_is_bounded(store: StateStore) -> None:
    with store.transaction() as state:
        record = state.agent("s:1")
        for number in range(HISTORY_LIMIT + 50):
            set_status(
                record, Status.PAUSED if number % 2 else Status.ACTIVE, now=NOW, reason=str(number)
            )
    history = store.load().agents["s:1"].history
    assert len(history) == HISTORY_LIMIT
    assert history[-1]["reason"] == str(HISTORY_LIMIT + 49)
    assert history[0]["reason"] == "50"


def test_set_status_moves_since_only_on_a_change() -> None:
    record = AgentRecord()
    first = set_status(record, Status.PAUSED, now=NOW, reason="a", actor="manual")
    assert (first["from"], first["to"], first["actor"]) == ("active", "paused", "manual")
    set_status(record, Status.PAUSED, now=NOW + timedelta(hours=1), reason="b")
    assert record.since == NOW.isoformat()
    set_status(record, Status.ACTIVE, now=NOW + timedelta(hours=2), reason="c")
    assert record.since == (NOW + timedelta(hours=2)).isoformat()
    assert [entry["reason"] for entry in record.history] == ["a", "b", "c"]


def test_an_exception_inside_a_transaction_saves_nothing(store: StateStore, paths: Paths) -> None:
    with store.transaction() as state:
        state.agent("s:1")
    before = paths.state_file.read_bytes()
    with pytest.raises(RuntimeError), store.transaction() as state:
        state.agent("s:2")
        raise RuntimeError("boom")
    assert paths.state_file.read_bytes() == before


# --- corrupt and future-version files ------------------------------------------------------


BAD_FILES = {
    "garbage": b"{ this is not json",
    "truncated": b'{"version": 1, "agents": {"s:1": {"status": "act',
    "not an object": b"[1, 2, 3]\n",
    "future version": b'{"version": 2, "agents": {}}\n',
    "version as text": b'{"version": "1", "agents": {}}\n',
    "agents not a dict": b'{"version": 1, "agents": []}\n',
    "unknown status": b'{"version": 1, "agents": {"s:1": {"status": "sleeping"}}}\n',
    "naive instant in v1": (
        b'{"version": 1, "agents": {"s:1": {"status": "exhausted", '
        b'"scheduled_resume": "2026-01-01T10:00:00"}}}\n'
    ),
    "binary": b"\xff\xfe\x00garbage",
    "bad reset time": b'{"version": 1, "reset_times": ["25:00"], "agents": {}}\n',
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unusable_file_is_backed_up_reported_and_never_replaced(
    store: StateStore, paths: Paths, name: str
) -> None:
    content = BAD_FILES[name]
    paths.data_dir.mkdir(parents=True)
    paths.state_file.write_bytes(content)

    with pytest.raises(StateError) as caught:
        store.load()
    message = str(caught.value)
    assert "\n" not in message
    assert str(paths.state_file) in message
    backups = list(paths.data_dir.glob("credit_schedule.json.corrupt-*"))
    assert [b.name for b in backups] == ["credit_schedule.json.corrupt-20261121T235959Z"]
    assert str(backups[0]) in message
    assert backups[0].read_bytes() == content

    # A transaction must fail too, leaving the bad file exactly as it was.
    with pytest.raises(StateError), store.transaction() as state:
        state.agent("s:9")
    assert paths.state_file.read_bytes() == content
    # Asking again reuses the identical backup instead of piling up copies.
    assert len(list(paths.data_dir.glob("credit_schedule.json.corrupt-*"))) == 1


def test_future_version_error_says_which_version(store: StateStore, paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    paths.state_file.write_text('{"version": 7}', encoding="utf-8")
    with pytest.raises(StateError, match="unknown version 7"):
        store.load()


def test_a_different_corruption_gets_its_own_backup(paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    clock = FakeClock(NOW)
    store = StateStore(paths, clock)
    for content in (b"first bad", b"second bad", b"third bad"):
        paths.state_file.write_bytes(content)
        with pytest.raises(StateError):
            store.load()
    backups = sorted(paths.data_dir.glob("credit_schedule.json.corrupt-*"))
    assert len(backups) == 3
    assert {b.read_bytes() for b in backups} == {b"first bad", b"second bad", b"third bad"}


@pytest.mark.parametrize("content", [b"{not json", b'{"version": 99}'])
def test_status_command_on_a_bad_file_exits_non_zero_with_one_line(
    tmp_path: Path, content: bytes
) -> None:
    home = tmp_path / "cm"
    (home / "data").mkdir(parents=True)
    state_file = home / "data" / "credit_schedule.json"
    state_file.write_bytes(content)
    env = {**os.environ, "CREDIT_MONITOR_NOW": "2026-11-21T23:59:59Z"}
    env.pop("CREDIT_MONITOR_DEBUG", None)
    done = subprocess.run(
        [str(CLI), "--home", str(home), "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: state file ")
    assert str(state_file) in lines[0]
    assert "corrupt-20261121T235959Z" in lines[0]
    assert "Traceback" not in done.stderr
    assert state_file.read_bytes() == content


# --- locking -----------------------------------------------------------------------------


def test_transaction_waits_for_the_lock_then_reports_who_holds_it(
    paths: Paths, store: StateStore
) -> None:
    holder = run_python(
        """
        import sys, time
        from credit_management.store.paths import Paths
        from credit_management.store.state import StateStore
        from pathlib import Path
        store = StateStore(Paths(Path(sys.argv[1]), "--home"))
        with store.transaction() as state:
            state.agent("holder:1")
            print("locked", flush=True)
            time.sleep(float(sys.argv[2]))
        """,
        str(paths.home),
        "1.0",
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StateError, match="locked by another process") as caught:
            with store.transaction(timeout=0.2):
                pass
        assert time.monotonic() - started < 0.9
        assert str(paths.lock_file) in str(caught.value)
        # With a long enough wait the second writer gets in after the holder and keeps its work.
        with store.transaction(timeout=10) as state:
            state.agent("waiter:1")
    finally:
        holder.wait(timeout=10)
    assert set(store.load().agents) == {"holder:1", "waiter:1"}


def test_thirty_processes_changing_thirty_agents_all_land(paths: Paths) -> None:
    """Each process pauses its own agent and bumps a shared counter five times."""
    code = """
        import sys
        from pathlib import Path
        from credit_management.models import Status
        from credit_management.store.paths import Paths
        from credit_management.store.state import StateStore
        number = int(sys.argv[2])
        store = StateStore(Paths(Path(sys.argv[1]), "--home"))
        for round in range(5):
            with store.transaction(timeout=60) as state:
                record = state.agent(f"team:{number}")
                record.status = Status.PAUSED
                record.reason = f"round {round}"
                state.extra["counter"] = state.extra.get("counter", 0) + 1
        """
    workers = [run_python(code, str(paths.home), str(number)) for number in range(30)]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
    state = StateStore(paths).load()
    assert set(state.agents) == {f"team:{number}" for number in range(30)}
    assert all(record.status == Status.PAUSED for record in state.agents.values())
    assert all(record.reason == "round 4" for record in state.agents.values())
    assert state.extra["counter"] == 150, "every read-modify-write must see the previous one"


def test_kill_9_during_writes_always_leaves_a_file_that_parses(paths: Paths) -> None:
    writer_code = """
        import sys
        from pathlib import Path
        from credit_management.models import Status
        from credit_management.store.paths import Paths
        from credit_management.store.state import StateStore
        store = StateStore(Paths(Path(sys.argv[1]), "--home"))
        number = 0
        print("writing", flush=True)
        while True:
            number += 1
            with store.transaction() as state:
                # Big enough (hundreds of KB) that a kill often lands mid-write.
                for index in range(300):
                    record = state.agent(f"s:{index}")
                    record.status = Status.PAUSED if number % 2 else Status.ACTIVE
                    record.reason = "x" * 400 + str(number)
                state.extra["writes"] = state.extra.get("writes", 0) + 1
        """
    rng = random.Random(1234)
    writes_seen = []
    for _ in range(12):
        writer = run_python(writer_code, str(paths.home))
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
        assert writer.returncode == -signal.SIGKILL
        if paths.state_file.exists():
            data = json.loads(paths.state_file.read_text(encoding="utf-8"))
            assert data["version"] == 1
            state = StateStore(paths).load()
            writes_seen.append(state.extra.get("writes", 0))
    assert writes_seen and writes_seen == sorted(writes_seen), "no write is ever lost or undone"
    assert writes_seen[-1] > 0
    # The next transaction clears temp files a killed writer left behind.
    with StateStore(paths).transaction() as state:
        state.agent("after:1")
    assert list(paths.data_dir.glob(".credit_schedule.*.tmp")) == []
    assert "after:1" in StateStore(paths).load().agents


def test_run_lock_lets_one_run_in_and_names_the_holder(paths: Paths) -> None:
    holder = run_python(
        """
        import sys, time
        from pathlib import Path
        from credit_management.store.paths import Paths
        from credit_management.store.state import run_lock
        with run_lock(Paths(Path(sys.argv[1]), "--home")):
            print("held", flush=True)
            time.sleep(30)
        """,
        str(paths.home),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy) as caught:
            with run_lock(paths):
                pass
        assert str(caught.value) == (
            f"another credit-monitor run is in progress (pid {holder.pid})"
        )
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # The kernel drops the lock with the process: the next run gets in.
    with run_lock(paths):
        with pytest.raises(LockBusy, match=f"pid {os.getpid()}"):
            with run_lock(paths):
                pass


def test_state_agent_creates_once() -> None:
    state = State()
    first = state.agent("a:1")
    assert state.agent("a:1") is first
    assert first.status == Status.ACTIVE


def test_a_failed_replace_keeps_the_old_file_and_says_so(
    store: StateStore, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.transaction() as state:
        state.agent("s:1")
    before = paths.state_file.read_bytes()

    def no_replace(source: str, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("credit_management.store.state.os.replace", no_replace)
    with pytest.raises(StateError, match=r"cannot write state file .*No space left"):
        with store.transaction() as state:
            state.agent("s:2")
    assert paths.state_file.read_bytes() == before
    assert list(paths.data_dir.glob(".credit_schedule.*")) == []


# --- any document at all: a State or a StateError, nothing else ------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
agent_like = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from([*[s.value for s in Status], "warning", "zzz"]) | json_values,
        "since": st.sampled_from(["2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00", "x"])
        | json_values,
        "history": st.lists(json_values, max_size=3) | json_values,
        "queued": st.lists(st.fixed_dictionaries({"id": st.text(), "text": st.text()}))
        | json_values,
        "attempts": st.integers() | json_values,
        "extra_key": json_values,
    },
)
documents = (
    st.fixed_dictionaries(
        {},
        optional={
            "version": st.sampled_from([1, 2, "1", True, None]),
            "reset_times": st.lists(st.sampled_from(["04:00", "24:00", "9:5", "12:30"]))
            | json_values,
            "timezone": st.sampled_from(["UTC", "Europe/Lisbon", "Not/AZone"]) | json_values,
            "agents": st.dictionaries(st.text(max_size=6), agent_like | json_values, max_size=3)
            | json_values,
            "alerts": st.lists(json_values, max_size=2),
            "schedules": st.lists(json_values, max_size=2),
            "other": json_values,
        },
    )
    | json_values
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents)
def test_any_document_loads_or_is_reported_and_a_loaded_one_round_trips(
    tmp_path_factory: pytest.TempPathFactory, document: object
) -> None:
    paths = Paths(tmp_path_factory.mktemp("fuzz"), "--home")
    paths.data_dir.mkdir(parents=True)
    paths.state_file.write_text(json.dumps(document), encoding="utf-8")
    store = StateStore(paths, FakeClock(NOW))
    try:
        state = store.load()
    except StateError as error:
        assert "\n" not in str(error) and str(paths.state_file) in str(error)
        return
    with store.transaction():
        pass
    first = paths.state_file.read_bytes()
    with store.transaction():
        pass
    assert paths.state_file.read_bytes() == first, "saving is stable after the first save"
    assert store.load().to_dict() == state.to_dict()
