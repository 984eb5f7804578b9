"""`credit-monitor usage [--json]`: each agent's usage as the agents themselves publish it.

Reads live (the samples recorded for each pane, the Claude transcript, the Codex rollout) with
no lock and no write; an agent the monitor knows but no pane shows keeps its last stored
figures. One row per agent: provider, five-hour and weekly use with their resets, burn rate,
predicted exhaustion, session cost, and the source of each figure.
"""

from __future__ import annotations

from typing import Any

import click

from credit_management.cli._common import build_supervisor
from credit_management.cli.context import CliContext
from credit_management.cli.render import Times, echo_json, json_option, table, utc_option
from credit_management.errors import TmuxError
from credit_management.lifecycle.structured import UsageObservation, earliest_exhaustion
from credit_management.models import target_order
from credit_management.sources.gather import observe_panes
from credit_management.store.samples import SampleStore, pane_reader

WINDOW_LABELS = (("five_hour", "5H"), ("seven_day", "7D"))


def usage_rows(obj: CliContext) -> list[dict[str, Any]]:
    """One JSON-ready row per agent with any usage figure or a live pane."""
    supervisor = build_supervisor(obj)
    now = supervisor.clock.now()
    state = supervisor.store.load()
    try:
        panes = supervisor.discover()
    except TmuxError:
        panes = {}
    reader = pane_reader(SampleStore.under(obj.paths.data_dir), supervisor.tmux.socket)
    seen = observe_panes(panes.values(), reader, now, supervisor.host_tz)
    rows = []
    for target in sorted(set(panes) | set(state.agents), key=target_order):
        record = state.agents.get(target)
        pane = panes.get(target)
        live: UsageObservation | None = seen.get(pane.pane_id) if pane else None
        usage = dict(live.usage) if live and live.usage else dict(record.usage if record else {})
        cost = live.cost_usd if live and live.cost_usd is not None else None
        if cost is None and record is not None:
            cost = record.cost_usd
        provider = (live.provider if live else None) or (record.provider if record else None)
        if not usage and cost is None and live is None:
            continue
        rows.append(
            {
                "target": target,
                "pane_id": pane.pane_id if pane else (record.pane_id if record else None),
                "provider": provider,
                "status": record.status.value if record else None,
                "usage": usage,
                "cost_usd": cost,
                "predicted_exhaustion": earliest_exhaustion(usage),
                "live": live is not None,
                "signal": live.signal.to_dict() if live and live.signal else None,
                "signal_source": live.signal_source if live else None,
            }
        )
    return rows


def _window_cell(window: dict[str, Any] | None, times: Times) -> str:
    if not window:
        return "-"
    cell = f"{float(window.get('used_percent', 0)):.0f}%"
    if window.get("resets_at"):
        cell += f" ↻{times.at(window['resets_at'])}"
    return cell


def _burn(usage: dict[str, Any]) -> str:
    rates = [
        f"{label.lower()} {w['burn_rate']:.1f}%/h"
        for name, label in WINDOW_LABELS
        if isinstance(w := usage.get(name), dict) and w.get("burn_rate") is not None
    ]
    return ", ".join(rates) or "-"


def _sources(row: dict[str, Any]) -> str:
    names = {w.get("source") for w in row["usage"].values() if isinstance(w, dict)}
    if row.get("signal_source"):
        names.add(row["signal_source"])
    return ",".join(sorted(name for name in names if name)) or "-"


@click.command(short_help="Each agent's usage, burn rate and predicted exhaustion.")
@json_option
@utc_option
@click.pass_obj
def usage(obj: CliContext, as_json: bool, utc: bool) -> None:
    """Each agent's five-hour and weekly use, burn rate, predicted exhaustion and cost.

    \b
    Examples:
      credit-monitor usage
      credit-monitor usage --json | jq '.agents[] | {target, predicted_exhaustion}'
    """
    rows = usage_rows(obj)
    if as_json:
        echo_json({"agents": rows})
        return
    if not rows:
        click.echo("no usage data yet (set up Claude Code with: credit-monitor integrate claude)")
        return
    times = Times.for_display(build_supervisor(obj).clock.now(), utc)
    headers = ("TARGET", "PROVIDER", "5H", "7D", "BURN", "RUNS OUT", "COST", "SOURCE")
    cells = [
        (
            str(row["target"]),
            str(row["provider"] or "-"),
            _window_cell(row["usage"].get("five_hour"), times),
            _window_cell(row["usage"].get("seven_day"), times),
            _burn(row["usage"]),
            times.at(row["predicted_exhaustion"]),
            f"${row['cost_usd']:.2f}" if row["cost_usd"] is not None else "-",
            _sources(row),
        )
        for row in rows
    ]
    click.echo(f"times: {times.label}")
    click.echo(table(headers, cells))
