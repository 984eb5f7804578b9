"""What a sweep captures: each pane's screen and what scrolled off it since the last capture,
in one tmux process; the whole history again only for a pane whose capture opens on rows that
may belong to a banner. Real panes on a private tmux server; the gateway only notes what it was
asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from conftest import TmuxTestServer
from monitor_support import load_state, monitor, start_program

from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.models import Status
from credit_management.monitor.look import (
    CAPTURE_HISTORY,
    CAPTURE_ROWS,
    MAX_HISTORY,
    history_lines,
)
from credit_management.tmux.gateway import DEFAULT_HISTORY, Lines, PaneInfo, Tmux


class NotingTmux(Tmux):
    """The real gateway, noting the history length each capture asked for, by pane id."""

    def __init__(self, socket: str) -> None:
        super().__init__(socket)
        self.asked: list[dict[str, int]] = []
        self.with_listing: list[dict[str, int]] = []  # captures asked of the listing's process
        self.texts: dict[str, str] = {}  # the last capture of each pane

    def capture_panes(self, pane_ids: Sequence[str], lines: Lines = 200) -> dict[str, str]:
        self.asked.append(
            {p: lines.get(p, DEFAULT_HISTORY) if isinstance(lines, Mapping) else lines
             for p in pane_ids}
        )  # fmt: skip
        texts = super().capture_panes(pane_ids, lines)
        self.texts.update(texts)
        return texts

    def list_and_capture(
        self, expected: Mapping[str, int]
    ) -> tuple[list[PaneInfo], dict[str, str]]:
        self.with_listing.append(dict(expected))
        listing, texts = super().list_and_capture(expected)
        self.texts.update(texts)
        return listing, texts


# A window that printed a screenful and more, then stays quiet.
PLAIN = ("seq 1 400; echo done; exec sleep 600", "done")


def pane_of(server: TmuxTestServer, target: str) -> str:
    return server.cmd("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()


def watched(
    server: TmuxTestServer, home: Path, windows: dict[str, tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str], Supervisor, NotingTmux]:
    """Windows running `sh -c script` (by name: script, what shows once it is ready), and a
    monitor over them whose gateway notes its captures: (targets, pane ids, monitor, gateway)."""
    targets = {name: start_program(server, name, script) for name, (script, _) in windows.items()}
    for name, (_, ready) in windows.items():
        server.wait_for_text(targets[name], ready)
    ids = {name: pane_of(server, target) for name, target in targets.items()}
    supervisor = monitor(home, server, SystemClock({}))
    tmux = NotingTmux(server.socket)
    supervisor.tmux = tmux
    return targets, ids, supervisor, tmux


def test_a_sweep_reads_the_screen_and_a_little_history(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    banner = "  ⎿  You'\"'\"'ve hit your session limit · resets 3pm (UTC)"
    targets, ids, supervisor, tmux = watched(
        tmux_server,
        isolated_home,
        {
            "limited": (f"seq 1 400; printf '{banner}\\n'; exec sleep 600", "session limit"),
            "working": PLAIN,
        },
    )

    supervisor.sweep()

    assert tmux.asked[0] == dict.fromkeys(ids.values(), CAPTURE_HISTORY)  # one process, both
    # Only the second look before acting on the stop reads the limited pane again.
    assert tmux.asked[1:] == [{ids["limited"]: DEFAULT_HISTORY}]
    state = load_state(isolated_home)
    assert state.agents[targets["limited"]].status is Status.EXHAUSTED
    assert state.agents[targets["working"]].status is Status.ACTIVE


def test_a_capture_that_opens_inside_a_banner_is_taken_again_whole(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    # Error rows run from above the captured history down into it: the top of the cut capture
    # may be the middle of a notice whose head is above, so the whole history is read.
    script = (
        "seq 1 100; i=0; while [ $i -lt 100 ]; do echo 'API Error: 529 Overloaded'; "
        "i=$((i+1)); done; seq 1 40; echo done; exec sleep 600"
    )
    windows = {"cut": (script, "done"), "plain": PLAIN}
    _, ids, supervisor, tmux = watched(tmux_server, isolated_home, windows)

    supervisor.sweep()

    cut_id, plain_id = ids["cut"], ids["plain"]
    assert tmux.asked == [
        {cut_id: CAPTURE_HISTORY, plain_id: CAPTURE_HISTORY},
        {cut_id: DEFAULT_HISTORY},
    ]
    # Errors followed by more output are old: nothing is acted on.
    assert {r.status for r in load_state(isolated_home).agents.values()} == {Status.ACTIVE}


def test_the_next_sweep_captures_what_scrolled_off_the_screen_since_and_no_more(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    script = (
        f"seq 1 100; echo ready; while [ ! -e {go} ]; do sleep 0.02; done; "
        'i=1; while [ $i -le 300 ]; do echo "burst line $i"; i=$((i+1)); done; '
        "echo finished; exec sleep 600"
    )
    windows = {"busy": (script, "ready"), "quiet": PLAIN}
    targets, ids, supervisor, tmux = watched(tmux_server, isolated_home, windows)
    busy_id, quiet_id = ids["busy"], ids["quiet"]
    supervisor.sweep()  # first sight: a little history
    assert tmux.asked[0] == {busy_id: CAPTURE_HISTORY, quiet_id: CAPTURE_HISTORY}

    go.touch()
    tmux_server.wait_for_text(targets["busy"], "finished")
    supervisor.sweep()

    # The quiet pane: its screen and the rows that make CAPTURE_ROWS, with the listing. The
    # busy one scrolled 300 lines and more: all of them are read, the first burst line too.
    floor = CAPTURE_ROWS - 50
    assert tmux.with_listing[-1] == {busy_id: CAPTURE_HISTORY, quiet_id: CAPTURE_HISTORY}
    assert len(tmux.asked) == 2 and set(tmux.asked[1]) == {busy_id}
    assert 300 <= tmux.asked[1][busy_id] < MAX_HISTORY
    assert "burst line 1\n" in tmux.texts[busy_id] and "finished" in tmux.texts[busy_id]

    # Nothing moved: one process each, asking what the sweep before needed (the long capture
    # still serves), then only the screens (and the rows up to CAPTURE_ROWS).
    supervisor.sweep()
    assert tmux.with_listing[-1] == {busy_id: tmux.asked[1][busy_id], quiet_id: floor}
    supervisor.sweep()
    assert tmux.with_listing[-1] == {busy_id: floor, quiet_id: floor}
    assert len(tmux.asked) == 2


def _pane(height: int, size: int, limit: int = 2000) -> PaneInfo:
    return PaneInfo("%1", "s", 1, "w", 0, "node", 9, False, False, 200, height, True, size, limit)


def test_history_lines_is_what_scrolled_bounded_and_a_little_when_unknown() -> None:
    assert history_lines(_pane(50, 500), None) == CAPTURE_HISTORY  # not captured before
    assert history_lines(_pane(50, 500), 500) == CAPTURE_ROWS - 50  # nothing moved
    assert history_lines(_pane(80, 500), 500) == 0  # a tall pane: the screen alone
    assert history_lines(_pane(50, 700), 500) == 200
    assert history_lines(_pane(50, 90_000, 100_000), 500) == MAX_HISTORY
    assert history_lines(_pane(50, 2000), 1900) == CAPTURE_HISTORY  # full: drops its oldest
    assert history_lines(_pane(80, 30), 500) == 30  # cleared since: all of it is new
