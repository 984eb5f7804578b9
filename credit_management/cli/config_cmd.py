"""`credit-monitor config`: the effective settings and where each came from."""

from __future__ import annotations

import json

import click

from credit_management.cli import CliContext
from credit_management.store.config import load_settings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def config(obj: CliContext, as_json: bool) -> None:
    """Show the effective configuration (options > environment > config.toml > defaults)."""
    settings = load_settings(obj.paths)
    values = settings.values()
    path = obj.paths.config_file
    if as_json:
        document = {
            "config_file": str(path),
            "config_file_exists": path.is_file(),
            "values": values,
            "sources": {name: settings.sources.get(name, "default") for name in values},
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    exists = "" if path.is_file() else " (not present; defaults apply)"
    click.echo(f"config file: {path}{exists}")
    width = max(len(name) for name in values)
    for name, value in values.items():
        source = settings.sources.get(name, "default")
        if name == "hooks":
            click.echo(f"{name:<{width}} = {len(value)} hook(s)  [{source}]")
            for hook in settings.hooks:
                events = ", ".join(hook.events)
                click.echo(f"  - {hook.describe()}  events: {events}  timeout: {hook.timeout:g}s")
            continue
        click.echo(f"{name:<{width}} = {json.dumps(value, ensure_ascii=False)}  [{source}]")
