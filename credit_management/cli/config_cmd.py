"""`credit-monitor config`: the effective settings and where each came from; `config path`
says where the file is, `config init` writes a commented default one."""

from __future__ import annotations

import json
import os

import click

from credit_management.cli._default_group import DefaultGroup
from credit_management.cli.config_file import default_config_text
from credit_management.cli.context import CliContext
from credit_management.cli.render import echo_json, json_option
from credit_management.store.config import load_settings


@click.group(
    cls=DefaultGroup,
    default_command="show",
    usage="[show] [--json] | path | init [--force]",
    short_help="Show the settings; `config path`, `config init`.",
)
def config() -> None:
    """The configuration: `config` shows the effective settings and where each came from
    (options > environment > config.toml > defaults); `config path` prints where the file is;
    `config init` writes a commented file with every default.

    \b
    Examples:
      credit-monitor config init && "$EDITOR" "$(credit-monitor config path)"
      credit-monitor config --json | jq .values.check_interval_minutes
    """


@config.command(name="path")
@json_option
@click.pass_obj
def path_command(obj: CliContext, as_json: bool) -> None:
    """Print the path of config.toml (whether it exists or not)."""
    path = obj.paths.config_file
    if as_json:
        echo_json({"config_file": str(path), "config_file_exists": path.is_file()})
        return
    click.echo(str(path))


@config.command()
@click.option("--force", is_flag=True, help="Replace an existing file (kept as .bak).")
@json_option
@click.pass_obj
def init(obj: CliContext, force: bool, as_json: bool) -> None:
    """Write config.toml with every setting commented out at its default."""
    path = obj.paths.config_file
    backup = None
    if path.exists():
        if not force:
            raise click.ClickException(f"{path} already exists (use --force to replace it)")
        backup = path.with_name(path.name + ".bak")
        os.replace(path, backup)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(default_config_text(), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from error
    if as_json:
        backup_text = str(backup) if backup else None
        echo_json({"result": "written", "config_file": str(path), "backup": backup_text})
        return
    kept = f" (the old one is {backup})" if backup else ""
    click.echo(f"wrote {path}{kept}; every line is commented out: uncomment what you change")


@config.command(name="show")
@json_option
@click.pass_obj
def show(obj: CliContext, as_json: bool) -> None:
    """Show the effective configuration and where each value came from."""
    settings = load_settings(obj.paths)
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)
    values = settings.values()
    path = obj.paths.config_file
    if as_json:
        document = {
            "config_file": str(path),
            "config_file_exists": path.is_file(),
            "values": values,
            "sources": {name: settings.sources.get(name, "default") for name in values},
        }
        echo_json(document)
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
