"""An unchanged quiet screen is not parsed again, and nothing else is taken from the last sweep:
a screen that changed, a new resume mark, a new detector or an unreadable cache file all mean
a fresh read. Real panes on a private tmux server; the clock is not needed (quiet screens
carry no time).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import TmuxTestServer
from monitor_support import load_state, monitor, paths_of, start_program

from credit_management.clock import SystemClock
from credit_management.models import Kind, Status
from credit_management.monitor.look import Look, look
from credit_management.store.screens import FILE_NAME, ScreenCache, digest
from credit_management.tmux.gateway import Tmux

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BANNER = "5-hour limit reached ∙ resets 3pm"


def looked(
    server: TmuxTestServer, home: Path, targets: dict[str, str | None], save: bool = True
) -> Look:
    """One sweep's look over `targets` (target -> resume mark), the cache kept in `home`."""
    tmux = Tmux(server.socket)
    panes = {p.target: p for p in tmux.list_panes() if p.target in targets}
    cache = ScreenCache(paths_of(home))
    seen = look(tmux, panes, targets, cache, NOW, UTC)
    if save:
        cache.save()
    return seen


def quiet_window(server: TmuxTestServer, name: str) -> str:
    target = start_program(server, name, "seq 1 30; echo done; exec sleep 600")
    server.wait_for_text(target, "done")
    return target


def test_an_unchanged_quiet_screen_is_read_once(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    a, b = quiet_window(tmux_server, "a"), quiet_window(tmux_server, "b")

    first = looked(tmux_server, isolated_home, {a: None, b: None})
    second = looked(tmux_server, isolated_home, {a: None, b: None})

    assert first.parsed == 2 and second.parsed == 0
    assert {s.kind for s in second.signals.values()} == {Kind.NONE}
    assert second.texts == first.texts


def test_a_banner_on_a_screen_read_as_quiet_before_is_read(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    script = f"seq 1 30; echo done; read line; echo '{BANNER}'; exec sleep 600"
    target = start_program(tmux_server, "limited", script)
    tmux_server.wait_for_text(target, "done")
    assert looked(tmux_server, isolated_home, {target: None}).signals[target].kind is Kind.NONE

    tmux_server.cmd("send-keys", "-t", target, "Enter")
    tmux_server.wait_for_text(target, "limit reached")
    again = looked(tmux_server, isolated_home, {target: None})

    assert again.parsed == 1
    assert again.signals[target].kind is Kind.EXHAUSTED


def test_a_new_resume_mark_reads_the_screen_again(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = quiet_window(tmux_server, "a")
    looked(tmux_server, isolated_home, {target: None})

    assert looked(tmux_server, isolated_home, {target: "done"}).parsed == 1
    assert looked(tmux_server, isolated_home, {target: "done"}).parsed == 0


def test_an_unreadable_or_foreign_cache_file_means_a_fresh_read(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = quiet_window(tmux_server, "a")
    first = looked(tmux_server, isolated_home, {target: None})
    path = paths_of(isolated_home).data_dir / FILE_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    pane_id = next(iter(data["panes"]))
    assert data["panes"][pane_id][0] == digest(first.texts[pane_id], None)

    path.write_text(json.dumps({**data, "detector": "another"}), encoding="utf-8")
    assert looked(tmux_server, isolated_home, {target: None}).parsed == 1

    for garbage in ("{not json", '{"version": 1, "panes": [1]}', "\x00\xff"):
        path.write_text(garbage, encoding="utf-8")
        assert looked(tmux_server, isolated_home, {target: None}).parsed == 1
    assert json.loads(path.read_text(encoding="utf-8"))["panes"]  # rewritten whole


def test_an_unchanged_sweep_does_not_rewrite_the_cache(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = quiet_window(tmux_server, "a")
    looked(tmux_server, isolated_home, {target: None})  # first sight: a little history
    looked(tmux_server, isolated_home, {target: None})  # then only what scrolled since
    path = paths_of(isolated_home).data_dir / FILE_NAME
    before = path.stat().st_mtime_ns, path.stat().st_ino

    looked(tmux_server, isolated_home, {target: None})

    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_sweeps_stop_an_agent_whose_quiet_screen_turns_into_a_limit(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    script = f"seq 1 30; echo working; read line; echo '{BANNER}'; exec sleep 600"
    target = start_program(tmux_server, "agent", script)
    tmux_server.wait_for_text(target, "working")
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}), confirm_seconds=0)
    supervisor.sweep()
    supervisor.sweep()
    assert load_state(isolated_home).agents[target].status is Status.ACTIVE

    tmux_server.cmd("send-keys", "-t", target, "Enter")
    tmux_server.wait_for_text(target, "limit reached")
    supervisor.sweep()

    assert load_state(isolated_home).agents[target].status is Status.EXHAUSTED
