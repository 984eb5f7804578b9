"""What a sweep captures: each pane's screen and a little history in one tmux process; the
whole history again only for a pane whose capture opens on rows that may belong to a banner.
Real panes on a private tmux server; the gateway only notes what it was asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from conftest import TmuxTestServer
from monitor_support import load_state, monitor, start_program

from credit_management.clock import SystemClock
from credit_management.models import Status
from credit_management.monitor.look import CAPTURE_HISTORY
from credit_management.tmux.gateway import DEFAULT_HISTORY, Lines, Tmux


class NotingTmux(Tmux):
    """The real gateway, noting the history length each capture asked for, by pane id."""

    def __init__(self, socket: str) -> None:
        super().__init__(socket)
        self.asked: list[dict[str, int]] = []

    def capture_panes(self, pane_ids: Sequence[str], lines: Lines = 200) -> dict[str, str]:
        self.asked.append(
            {p: lines.get(p, DEFAULT_HISTORY) if isinstance(lines, Mapping) else lines
             for p in pane_ids}
        )  # fmt: skip
        return super().capture_panes(pane_ids, lines)


def pane_of(server: TmuxTestServer, target: str) -> str:
    return server.cmd("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()


def test_a_sweep_reads_the_screen_and_a_little_history(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    banner = "  ⎿  You'\"'\"'ve hit your session limit · resets 3pm (UTC)"
    limited = start_program(
        tmux_server, "limited", f"seq 1 400; printf '{banner}\\n'; exec sleep 600"
    )
    working = start_program(tmux_server, "working", "seq 1 400; echo done; exec sleep 600")
    tmux_server.wait_for_text(limited, "session limit")
    tmux_server.wait_for_text(working, "done")
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    tmux = supervisor.tmux = NotingTmux(tmux_server.socket)

    supervisor.sweep()

    ids = {pane_of(tmux_server, limited), pane_of(tmux_server, working)}
    assert tmux.asked[0] == dict.fromkeys(ids, CAPTURE_HISTORY)  # one process, both panes
    # Only the second look before acting on the stop reads the limited pane again.
    assert tmux.asked[1:] == [{pane_of(tmux_server, limited): DEFAULT_HISTORY}]
    state = load_state(isolated_home)
    assert state.agents[limited].status is Status.EXHAUSTED
    assert state.agents[working].status is Status.ACTIVE


def test_a_capture_that_opens_inside_a_banner_is_taken_again_whole(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    # Error rows run from above the captured history down into it: the top of the cut capture
    # may be the middle of a notice whose head is above, so the whole history is read.
    script = (
        "seq 1 100; i=0; while [ $i -lt 100 ]; do echo 'API Error: 529 Overloaded'; "
        "i=$((i+1)); done; seq 1 40; echo done; exec sleep 600"
    )
    cut = start_program(tmux_server, "cut", script)
    plain = start_program(tmux_server, "plain", "seq 1 400; echo done; exec sleep 600")
    tmux_server.wait_for_text(cut, "done")
    tmux_server.wait_for_text(plain, "done")
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    tmux = supervisor.tmux = NotingTmux(tmux_server.socket)

    supervisor.sweep()

    cut_id, plain_id = pane_of(tmux_server, cut), pane_of(tmux_server, plain)
    assert tmux.asked == [
        {cut_id: CAPTURE_HISTORY, plain_id: CAPTURE_HISTORY},
        {cut_id: DEFAULT_HISTORY},
    ]
    # Errors followed by more output are old: nothing is acted on.
    assert {r.status for r in load_state(isolated_home).agents.values()} == {Status.ACTIVE}
