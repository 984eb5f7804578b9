"""The event log: whole lines under concurrent writers, size rotation, tolerant reading."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from credit_management.store.journal import EventLog

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_append_writes_one_json_line_and_read_returns_it(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "logs" / "credit_events.log")
    written = log.append(
        "agent.paused", now=NOW, target="main:1", reason="lunch ☕", **{"from": "active"}
    )
    assert written == {
        "time": "2026-11-21T12:00:00+00:00",
        "event": "agent.paused",
        "target": "main:1",
        "reason": "lunch ☕",
        "from": "active",
    }
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [written]
    assert log.read() == [written]


def test_read_filters_by_target_and_keeps_the_last_n(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.log")
    for number in range(10):
        log.append(
            "credit.warning",
            now=NOW + timedelta(minutes=number),
            target=f"s:{number % 2}",
            n=number,
        )
    assert [event["n"] for event in log.read(target="s:1")] == [1, 3, 5, 7, 9]
    assert [event["n"] for event in log.read(target="s:0", limit=2)] == [6, 8]
    assert [event["n"] for event in log.read(limit=3)] == [7, 8, 9]
    assert log.read(target="nobody") == []
    assert EventLog(tmp_path / "missing.log").read() == []


def test_torn_and_garbage_lines_are_skipped_and_do_not_swallow_the_next_event(
    tmp_path: Path,
) -> None:
    log = EventLog(tmp_path / "events.log")
    log.append("agent.paused", now=NOW, target="a:1")
    with log.path.open("ab") as handle:
        handle.write(b'not json at all\n["a list"]\n\xff\xfe binary\n{"time": "x", "eve')
    log.append("agent.resumed", now=NOW, target="a:1")
    assert [event["event"] for event in log.read()] == ["agent.paused", "agent.resumed"]


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    code = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from credit_management.store.journal import EventLog
        log = EventLog(Path(sys.argv[1]), max_bytes=10**9)
        writer = int(sys.argv[2])
        for number in range(150):
            # Lines far longer than PIPE_BUF, so only whole-line writes keep them apart.
            log.append("message.queued", now=datetime.now(UTC), target=f"w:{writer}",
                       n=number, blob=str(writer) * 9000)
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(path), str(writer)])
        for writer in range(8)
    ]
    for worker in workers:
        assert worker.wait(timeout=60) == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 8 * 150
    for writer in range(8):
        mine = [r for r in records if r["target"] == f"w:{writer}"]
        assert [r["n"] for r in mine] == list(range(150))
        assert all(r["blob"] == str(writer) * 9000 for r in mine)


def test_rotation_by_size_keeps_the_newest_files_and_reads_them_in_order(
    tmp_path: Path,
) -> None:
    log = EventLog(tmp_path / "credit_events.log", max_bytes=1000, backups=2)
    for number in range(60):
        log.append("credit.warning", now=NOW, target="s:1", n=number, pad="x" * 50)
    assert log.path.exists() and log.rotated(1).exists() and log.rotated(2).exists()
    assert not log.rotated(3).exists()
    for path in (log.path, log.rotated(1), log.rotated(2)):
        assert path.stat().st_size <= 1000
        for line in path.read_text(encoding="utf-8").splitlines():
            json.loads(line)
    numbers = [event["n"] for event in log.read()]
    assert numbers == sorted(numbers)
    assert numbers[-1] == 59
    assert len(numbers) < 60, "the oldest events rotate away"


def test_rotation_under_concurrent_writers_loses_nothing_it_keeps(tmp_path: Path) -> None:
    path = tmp_path / "credit_events.log"
    code = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from credit_management.store.journal import EventLog
        log = EventLog(Path(sys.argv[1]), max_bytes=20_000, backups=100)
        for number in range(100):
            log.append("credit.warning", now=datetime.now(UTC), target=f"w:{sys.argv[2]}",
                       n=number, pad="y" * 300)
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(path), str(writer)])
        for writer in range(6)
    ]
    for worker in workers:
        assert worker.wait(timeout=60) == 0
    log = EventLog(path, max_bytes=20_000, backups=100)
    assert log.rotated(1).exists()
    files = [path, *sorted(tmp_path.glob("credit_events.log.[0-9]*"))]
    for file in files:
        assert file.stat().st_size <= 20_000
        for line in file.read_text(encoding="utf-8").splitlines():
            json.loads(line)
    events = log.read()
    assert len(events) == 600
    for writer in range(6):
        assert [e["n"] for e in events if e["target"] == f"w:{writer}"] == list(range(100))


def test_zero_backups_truncates_instead_of_keeping_copies(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "e.log", max_bytes=300, backups=0)
    for number in range(20):
        log.append("credit.warning", now=NOW, n=number)
    assert not log.rotated(1).exists()
    assert log.path.stat().st_size <= 300
    assert log.read()[-1]["n"] == 19
