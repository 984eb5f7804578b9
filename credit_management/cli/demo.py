"""`credit-monitor demo` (`make demo`): simulated agents through their limits, live."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click

from credit_management.sim.demo import INTERVAL, Demo, summary


@click.command()
def demo() -> None:
    """Run simulated agents into their limits in a private tmux server and bring them back.

    Prints a live status table every sweep and a summary per agent at the end (within two
    minutes); exits 0 when every limited agent was paused and resumed. Leaves nothing running.
    While it runs, `tmux -S SOCKET attach -r` (the command is printed under the table) shows
    the simulated agents hitting their limits, read-only.

    \b
    Example:
      credit-monitor demo        # or: make demo
    """
    if shutil.which("tmux") is None:
        raise click.ClickException("tmux is not installed (make demo installs it with apt-get)")
    run = Demo()
    interactive = sys.stdout.isatty()
    try:
        run.start()
        attach = f"tmux -S {_socket_path(run)} attach -r"
        click.echo(f"watch the simulated agents (read-only): {attach}")
        while True:
            view = run.step()
            click.echo(("\x1b[2J\x1b[H" if interactive else "\n") + view)
            if interactive:
                click.echo(f"\nwatch the agents themselves (read-only): {attach}")
            if run.finished():
                break
            time.sleep(INTERVAL)
        lines, ok = summary(run.log, run.targets)
    except KeyboardInterrupt:
        click.echo("\ndemo interrupted")
        sys.exit(130)
    finally:
        run.close()
    # The event log's instants are UTC; say so rather than leave bare clock times.
    click.echo("\nsummary (times in UTC)")
    click.echo("\n".join(lines))
    click.echo(f"\nstate file: {run.paths.state_file}\nevent log:  {run.paths.events_log}")
    click.echo("demo " + ("passed: every limited agent paused and resumed" if ok else "FAILED"))
    if not ok:
        sys.exit(1)


def _socket_path(run: Demo) -> Path:
    """The private server's socket: the demo keeps tmux's folder inside its scratch folder."""
    folder = Path(os.environ.get("TMUX_TMPDIR") or run.scratch) / f"tmux-{os.getuid()}"
    return folder / str(run.server.socket_name)
