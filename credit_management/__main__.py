"""`python -m credit_management ...`: the `credit-monitor` command, without the entry point."""

from credit_management.cli import main

main(prog_name="python -m credit_management")
