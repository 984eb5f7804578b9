"""What each command path imports: cron's `run` loads nothing it does not use, and rich is
loaded only by the live `watch` view (timings live in bench/bench_import.py, not here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NEVER_FOR_RUN = (
    "rich",
    "dateutil",
    "pytz",
    "libtmux",
    "http.server",
    "credit_management.web",
    "credit_management.sim",
    "credit_management.control",
    "credit_management.cli.render",
    "credit_management.cli.live",
    "credit_management.cli.status",
    "credit_management.cli.watch",
    "credit_management.cli.history",
)


def loaded_after(statement: str) -> set[str]:
    """Module names in a new interpreter after running `statement`."""
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def unwanted(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_the_run_path_loads_only_what_a_sweep_needs() -> None:
    modules = loaded_after(
        "from credit_management.cli import cli\n"
        "cli.get_command(None, 'run')"  # what `credit-monitor run` resolves before running
    )
    assert "credit_management.cli.run" in modules and "credit_management.credit_monitor" in modules
    assert unwanted(modules, NEVER_FOR_RUN) == []


@pytest.mark.parametrize(
    "command", ["status", "health", "history", "queue", "estimate", "watch", "schedule"]
)
def test_plain_commands_do_not_load_rich(command: str) -> None:
    modules = loaded_after(f"import credit_management.cli.{command}")
    assert unwanted(modules, ("rich",)) == []


def test_the_live_view_is_where_rich_comes_in() -> None:
    assert "rich" in loaded_after("import credit_management.cli.live")


def test_cron_run_is_answered_without_click() -> None:
    # `credit-monitor run` goes through `fast` and `once`; the click group is for the rest.
    modules = loaded_after("import credit_management.cli.fast, credit_management.cli.once")
    assert unwanted(modules, ("click", *NEVER_FOR_RUN)) == []
    # The detector loads on the first screen that changed, not with the monitor.
    assert unwanted(modules, ("credit_management.detect.signals",)) == []


def test_the_seed_script_name_runs_the_watcher() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "credit_management.credit_monitor", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "watch [OPTIONS]" in done.stdout


def test_the_fast_commands_leave_the_garbage_collector_as_they_found_it(tmp_path: Path) -> None:
    # `run` without a server: one line and exit 1, and an in-process caller keeps its collector.
    import gc

    from credit_management.cli import main

    assert gc.isenabled()
    with pytest.raises(SystemExit) as stopped:
        main(["--home", str(tmp_path), "--socket", "cm-no-such-server", "run"])
    assert stopped.value.code == 1
    assert gc.isenabled()
