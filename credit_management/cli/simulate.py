"""`credit-monitor simulate` (also `python -m credit_management simulate`): a fake agent.

Only the options live here; the behaviour is `credit_management.sim.agent.Simulator` and its
terminal loop is `credit_management.sim.runner`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from credit_management.clock import SystemClock, local_zone_name
from credit_management.errors import ConfigError, InputError
from credit_management.sim.agent import PROVIDERS, RESET_STYLES, SimConfig
from credit_management.sim.runner import run_simulator


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--provider", type=click.Choice(PROVIDERS), required=True, help="Which agent.")
@click.option("--name", default="", help="Shown in the agent's header and state records.")
@click.option(
    "--limit-after",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Prompts answered before the limit hits (0: limited from the start).",
)
@click.option(
    "--reset-in",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="Seconds from the limit to its reset.",
)
@click.option(
    "--reset-style",
    type=click.Choice(RESET_STYLES),
    default=None,
    help="How the reset is printed (default: clock for claude/codex, duration for gemini).",
)
@click.option("--tz", "tz_name", default=None, help="Zone of printed times (default: local).")
@click.option("--auto-continue", is_flag=True, help="Claude: continue by itself at the reset.")
@click.option(
    "--limit-menu",
    is_flag=True,
    help="claude/gemini: a limit menu takes the keyboard until Escape, Enter or a digit.",
)
@click.option(
    "--limit-again",
    is_flag=True,
    help="After a reset, hit the limit again after --limit-after more prompts.",
)
@click.option(
    "--refuse-at-limit",
    is_flag=True,
    help="The prompt that hits the limit is refused, not answered before the banner.",
)
@click.option(
    "--late",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Seconds the real reset comes after the printed one.",
)
@click.option(
    "--work-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Print some work every SECONDS while not limited.",
)
@click.option(
    "--think",
    type=click.FloatRange(min=0),
    default=0.2,
    show_default=True,
    help="Seconds spent 'thinking' before each answer.",
)
@click.option(
    "--crash-after", type=click.IntRange(min=1), default=None, help="Exit 1 after N prompts."
)
@click.option(
    "--swallow-first-enter", is_flag=True, help="Ignore the first Enter of the first message."
)
@click.option(
    "--swallow-every-enter", is_flag=True, help="Ignore the first Enter of every message."
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append a JSON line per prompt (answered/refused), limit, reset, menu and exit.",
)
def simulate(
    provider: str,
    name: str,
    limit_after: int,
    reset_in: float,
    reset_style: str | None,
    tz_name: str | None,
    auto_continue: bool,
    limit_menu: bool,
    limit_again: bool,
    refuse_at_limit: bool,
    late: float,
    work_interval: float | None,
    think: float,
    crash_after: int | None,
    swallow_first_enter: bool,
    swallow_every_enter: bool,
    state_file: Path | None,
) -> None:
    """Run a simulated agent that hits its usage limit (for tests and the demo).

    Like the real agents it also publishes its usage: claude runs the statusLine command and
    the StopFailure, Stop and SessionStart hooks of the settings under its HOME (or
    $CLAUDE_CONFIG_DIR) and writes its transcript; codex writes a rollout file under
    $CODEX_HOME (default ~/.codex) and keeps it open.

    \b
    Example:
      credit-monitor simulate --provider claude --name backend
    """
    config = SimConfig(
        provider=provider,
        name=name,
        limit_after=limit_after,
        reset_in=reset_in,
        reset_style=reset_style,
        tz_name=tz_name or local_zone_name(),
        auto_continue=auto_continue,
        limit_menu=limit_menu,
        limit_again=limit_again,
        late=late,
        work_interval=work_interval,
        think=think,
        crash_after=crash_after,
        swallow_enters=-1 if swallow_every_enter else (1 if swallow_first_enter else 0),
        refuse_at_limit=refuse_at_limit,
    )
    try:
        config.validate()
        clock = SystemClock()
    except InputError as error:
        raise click.UsageError(str(error)) from error
    except ConfigError as error:  # a malformed CREDIT_MONITOR_NOW / _CLOCK_OFFSET
        raise click.UsageError(f"bad clock setting: {error}") from error
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # the glyphs must reach the pane whatever the locale says
        reconfigure(encoding="utf-8", errors="replace")
    try:
        code = run_simulator(config, clock, state_file)
    except InputError as error:
        raise click.ClickException(str(error)) from error
    if code:
        sys.exit(code)
