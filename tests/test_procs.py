"""Finding an agent among a pane's processes, on real processes: through the kernel's
per-thread `children` lists, and through one pass over /proc where the kernel keeps none."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit_management.sources import procs


@pytest.fixture
def family() -> Iterator[subprocess.Popen[bytes]]:
    """A shell whose child calls itself `claude` (as Claude Code's process does)."""
    bash = shutil.which("bash")
    assert bash is not None
    parent = subprocess.Popen(["sh", "-c", f"{bash} -c 'exec -a claude sleep 30' & wait"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not procs.runs_an_agent([parent.pid]):
        time.sleep(0.02)  # the child takes its new name a moment after it starts
    yield parent
    parent.kill()
    subprocess.run(["pkill", "-P", str(parent.pid)], check=False)
    parent.wait()


def test_an_agent_below_a_pane_shell_is_found(family: subprocess.Popen[bytes]) -> None:
    assert procs.runs_an_agent([family.pid])
    child = procs.direct_children(family.pid)
    assert child is not None and len(child) == 1
    assert procs.direct_children(child[0]) == []
    assert procs.cmdline(child[0])[0] == "claude"


def test_a_tree_without_an_agent_is_not_one() -> None:
    plain = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        assert not procs.runs_an_agent([plain.pid, 0, -1])
    finally:
        plain.kill()
        subprocess.run(["pkill", "-P", str(plain.pid)], check=False)
        plain.wait()


def test_without_children_lists_one_pass_over_proc_finds_it(
    family: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    # A copy of the family's /proc entries without the `children` files the kernel may omit.
    fake = tmp_path / "proc"
    child = procs.direct_children(family.pid)
    assert child
    for pid in (family.pid, *child):
        entry = fake / str(pid)
        (entry / "task" / str(pid)).mkdir(parents=True)
        for name in ("stat", "cmdline"):
            (entry / name).write_bytes((Path("/proc") / str(pid) / name).read_bytes())

    assert procs.direct_children(family.pid, fake) is None
    assert procs.runs_an_agent([family.pid], fake)
    assert [p.argv[0] for p in procs.tree(family.pid, procs.children_map(fake), fake)][-1] == (
        "claude"
    )
