"""What several commands share: building a Supervisor from the global options, and
rendering spans of time the same way everywhere."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import click

from credit_management.cli.context import CliContext
from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.detect.resets import format_until
from credit_management.store.config import load_settings, parse_duration
from credit_management.tmux.gateway import Tmux


def build_supervisor(obj: CliContext, overrides: Mapping[str, object] | None = None) -> Supervisor:
    """A Supervisor over the selected tmux server, home and effective settings."""
    settings = load_settings(obj.paths, overrides)
    for warning in settings.warnings:  # unknown keys: worth a look, not worth stopping for
        click.echo(f"warning: {warning}", err=True)
    return Supervisor(obj.paths, settings, Tmux(obj.socket), SystemClock())


def until_text(seconds: float | None) -> str:
    """ "in 2h5m", "3m ago" or "-" for a number of seconds until something."""
    if seconds is None:
        return "-"
    if abs(seconds) < 1:
        return "now"
    if seconds > 0:
        return f"in {format_until(timedelta(seconds=seconds))}"
    return f"{format_until(timedelta(seconds=-seconds))} ago"


def echo_json(data: Any) -> None:
    """Pretty JSON on stdout, the same for every `--json`."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class Duration(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A duration option: `90s`, `5m`, `1h`, `1h30m`, or a plain number of seconds."""

    name = "duration"

    def __init__(self, minimum: float = 0.0, maximum: float | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        try:
            seconds = parse_duration(value, "s")
        except ValueError:
            self.fail(f"{value!r} is not a duration such as 90s, 5m or 1h", param, ctx)
        if seconds < self.minimum:
            self.fail(f"{value!r} is shorter than {self.minimum:g}s", param, ctx)
        if self.maximum is not None and seconds > self.maximum:
            self.fail(f"{value!r} is longer than {self.maximum:g}s", param, ctx)
        return seconds
