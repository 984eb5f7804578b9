"""`credit-monitor service install|remove|status`: run `watch` as a systemd user service."""

from __future__ import annotations

import sys

import click

from credit_management.cli.context import CliContext
from credit_management.cli.render import echo_json, json_option
from credit_management.service import systemd


@click.group()
def service() -> None:
    """Keep `credit-monitor watch` running as a systemd user service (prompt resumes).

    \b
    Examples:
      credit-monitor --socket work service install
      loginctl enable-linger $USER      # keep it running after you log out
      journalctl --user -u credit-monitor -f
    """


@service.command()
@click.option("--no-start", is_flag=True, help="Only write the unit file.")
@json_option
@click.pass_obj
def install(obj: CliContext, no_start: bool, as_json: bool) -> None:
    """Write the unit (watch, this --home and --socket) and enable and start it."""
    unit, started, todo = systemd.install(obj.paths, obj.socket, start=not no_start)
    if as_json:
        result = "started" if started else "written"
        echo_json({"result": result, "unit_file": str(unit), "todo": todo})
        return
    click.echo(f"wrote {unit}")
    if started:
        click.echo(f"started and enabled {systemd.UNIT_NAME}")
    else:
        reason = "" if no_start else " (no user systemd answered)"
        click.echo(f"to start it{reason}:")
        for line in todo:
            click.echo(f"  {line}")
    click.echo(systemd.LINGER_HINT)
    click.echo(f"logs: journalctl --user -u {systemd.UNIT_NAME}")


@service.command()
@json_option
def remove(as_json: bool) -> None:
    """Stop and disable the service and delete its unit file."""
    unit, existed = systemd.remove()
    if as_json:
        echo_json({"result": "removed" if existed else "absent", "unit_file": str(unit)})
        return
    click.echo(f"removed {unit}" if existed else "no credit-monitor service installed")


@service.command()
@json_option
def status(as_json: bool) -> None:
    """Whether the unit is installed and what systemd says of it. Exits 1 when it is
    installed but not running."""
    found = systemd.status()
    if as_json:
        echo_json(
            {
                "unit_file": str(found.unit_file),
                "installed": found.installed,
                "systemd": found.systemd,
                "active": found.active,
                "enabled": found.enabled,
            }
        )
        if found.installed and found.systemd and found.active != "active":
            sys.exit(1)
        return
    click.echo(f"unit file: {found.unit_file}" + ("" if found.installed else " (not installed)"))
    if not found.systemd:
        click.echo("systemd: no user systemd answered")
    else:
        click.echo(f"systemd: {found.active or '-'}, {found.enabled or '-'}")
    if found.installed and found.systemd and found.active != "active":
        sys.exit(1)
