"""The per-pane sample files: concurrent writers never tear or lose a line, rotation keeps
the disk use bounded and the newest samples whole, and the socket names a server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from credit_management.store.samples import SampleStore, server_key, socket_path

WRITER = """
import sys
from pathlib import Path
from credit_management.store.samples import SampleStore
store = SampleStore(Path(sys.argv[1]), max_bytes=int(sys.argv[4]))
for n in range(int(sys.argv[3])):
    store.append("srv", "%5", {"t": n, "kind": "statusline", "writer": sys.argv[2], "n": n,
                               "pad": "x" * 40})
"""


def writers(folder: Path, count: int, each: int, max_bytes: int) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(w), str(each), str(max_bytes)]
        )
        for w in range(count)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * count


def test_concurrent_writers_lose_and_tear_nothing(tmp_path: Path) -> None:
    writers(tmp_path, 6, 300, 10_000_000)
    path = SampleStore(tmp_path).file_for("srv", "%5")
    lines = path.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is whole JSON
    assert sorted((r["writer"], r["n"]) for r in records) == sorted(
        (str(w), n) for w in range(6) for n in range(300)
    )


def test_rotation_bounds_the_disk_and_keeps_the_newest(tmp_path: Path) -> None:
    store = SampleStore(tmp_path, max_bytes=4096)
    for n in range(1000):
        store.append("srv", "%5", {"t": n, "kind": "statusline", "n": n})
    path = store.file_for("srv", "%5")
    rotated = path.with_name(path.name + ".1")
    assert rotated.exists()
    assert path.stat().st_size <= 4096 + 100 and rotated.stat().st_size <= 4096 + 100
    kept = [record["n"] for record in store.read("srv", "%5")]
    assert kept[-1] == 999
    assert kept == list(range(kept[0], 1000))  # a contiguous run up to the newest
    assert store.last("srv", "%5", "statusline") == {"t": 999, "kind": "statusline", "n": 999}


def test_rotation_under_concurrent_writers_keeps_every_line_whole(tmp_path: Path) -> None:
    writers(tmp_path, 4, 400, 8192)
    store = SampleStore(tmp_path)
    path = store.file_for("srv", "%5")
    for name in (path, path.with_name(path.name + ".1")):
        for line in name.read_text().splitlines():
            json.loads(line)
    assert sum(p.stat().st_size for p in tmp_path.glob("*.jsonl*") if "lock" not in p.name) < (
        3 * 8192
    )
    kept = store.read("srv", "%5")
    assert len({(r["writer"], r["n"]) for r in kept}) == len(kept)  # nothing doubled
    assert len(kept) >= 8192 // 100  # at least one file's worth of the newest samples


def test_the_socket_names_the_server() -> None:
    env = {"TMUX_TMPDIR": "/tmp/x", "TMUX": "/tmp/x/tmux-1000/work,4242,0"}
    assert socket_path("/run/s", env) == "/run/s"
    assert socket_path(None, env) == "/tmp/x/tmux-1000/work"
    named = socket_path("work", {"TMUX_TMPDIR": "/tmp/x"})
    assert named.startswith("/tmp/x/tmux-") and named.endswith("/work")
    assert server_key("/tmp/tmux-1000/default") == "tmp-tmux-1000-default"
    assert server_key("/a/b") != server_key("/a/c")
