"""What every command shares: the command table, the help sections and the context object.

Kept free of click and of the commands themselves, so the entry point, the click group and the
fast path can all read it without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_management.records import Record
from credit_management.store.paths import Paths

SOCKET_ENV = "CREDIT_MONITOR_TMUX_SOCKET"
DEBUG_ENV = "CREDIT_MONITOR_DEBUG"

# name -> "module:attribute"; aliases keep the names of the scripts people already use.
COMMANDS: dict[str, str] = {
    "classify": "classify:classify",
    "status": "status:status",
    "history": "history:history",
    "config": "config_cmd:config",
    "pause": "pause:pause",
    "resume": "resume:resume",
    "run": "run:run",
    "watch": "watch:watch",
    "health": "health:health",
    "estimate-reset": "estimate:estimate_reset",
    "cron": "cron:cron",
    "service": "service:service",
    "state": "state:state",
    "send": "send:send",
    "queue": "queue:queue",
    "schedule": "schedule:schedule",
    "web": "web:web",
    "simulate": "simulate:simulate",
    "demo": "demo:demo",
    "statusline": "statusline:statusline",
    "hook": "hook:hook",
    "integrate": "integrate:integrate",
    "usage": "usage:usage",
    "completion": "completion:completion",
}
ALIASES: dict[str, str] = {
    "check_credit_status": "status",
    "pause_agent": "pause",
    "resume_agent": "resume",
    "check_agent_health": "health",
    "estimate_reset_time": "estimate-reset",
    "send_message": "send",
    "schedule_credit_aware": "schedule",
}


# How `--help` groups the commands; a command not named here is listed with the everyday ones.
SETUP_COMMANDS = ("config", "cron", "service", "integrate", "hook", "statusline", "completion")
TOOL_COMMANDS = ("simulate", "demo", "classify")
EVERYDAY_ORDER = (
    "status",
    "watch",
    "health",
    "usage",
    "history",
    "queue",
    "send",
    "schedule",
    "pause",
    "resume",
    "estimate-reset",
    "run",
    "web",
    "state",
)
EPILOG = """\b
Quick start (agents already running in tmux):
  credit-monitor status          what every agent is doing
  credit-monitor watch           sweep every few minutes, live table
  credit-monitor cron install    or let cron run `credit-monitor run`
"""


@dataclass(repr=False)
class CliContext(Record):
    """What every command receives: where files live and which tmux server to talk to."""

    paths: Paths
    socket: str | None
