"""`credit-monitor completion bash|zsh|fish`: print the shell completion script.

The script is click's own; it calls `credit-monitor` back with `_CREDIT_MONITOR_COMPLETE` set,
so commands, options and the original scripts' names complete as the installed version has them.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "credit-monitor"
COMPLETE_VAR = "_CREDIT_MONITOR_COMPLETE"
INSTALL_HINTS = {
    "bash": 'eval "$(credit-monitor completion bash)"   # in ~/.bashrc',
    "zsh": 'eval "$(credit-monitor completion zsh)"    # in ~/.zshrc',
    "fish": "credit-monitor completion fish > ~/.config/fish/completions/credit-monitor.fish",
}


@click.command(short_help="Print the shell completion script (bash, zsh, fish).")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    \b
    Examples:
      eval "$(credit-monitor completion bash)"     # add to ~/.bashrc
      eval "$(credit-monitor completion zsh)"      # add to ~/.zshrc
      credit-monitor completion fish > ~/.config/fish/completions/credit-monitor.fish
    """
    click.echo(completion_script(shell))


def completion_script(shell: str) -> str:
    """The completion script click generates for `credit-monitor` in `shell`."""
    from credit_management.cli.group import cli

    completer = get_completion_class(shell)
    if completer is None:  # not reached: click.Choice limits SHELL to the three above
        raise click.BadParameter(f"no completion for {shell!r}", param_hint="SHELL")
    return completer(cli, {}, PROG_NAME, COMPLETE_VAR).source()
