"""`credit-monitor demo` (`make demo`): simulated agents through their limits, live."""

from __future__ import annotations

import shutil
import sys
import time

import click

from credit_management.sim.demo import INTERVAL, Demo, summary


@click.command()
def demo() -> None:
    """Run simulated agents into their limits in a private tmux server and bring them back.

    Prints a live status table every sweep and a summary per agent at the end (within two
    minutes); exits 0 when every limited agent was paused and resumed. Leaves nothing running.
    """
    if shutil.which("tmux") is None:
        raise click.ClickException("tmux is not installed (make demo installs it with apt-get)")
    run = Demo()
    interactive = sys.stdout.isatty()
    try:
        run.start()
        while True:
            view = run.step()
            click.echo(("\x1b[2J\x1b[H" if interactive else "\n") + view)
            if run.finished():
                break
            time.sleep(INTERVAL)
        lines, ok = summary(run.log, run.targets)
    except KeyboardInterrupt:
        click.echo("\ndemo interrupted")
        sys.exit(130)
    finally:
        run.close()
    click.echo("\nsummary")
    click.echo("\n".join(lines))
    click.echo(f"\nstate file: {run.paths.state_file}\nevent log:  {run.paths.events_log}")
    click.echo("demo " + ("passed: every limited agent paused and resumed" if ok else "FAILED"))
    if not ok:
        sys.exit(1)
