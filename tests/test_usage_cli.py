"""`credit-monitor usage`: each agent's windows, burn rate, prediction, cost and sources, read
live from what a real pane's statusline calls recorded."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import TmuxTestServer
from messaging_support import start_sim
from test_statusline import agent_pane, in_an_hour, statusline_payload

from credit_management.cli import cli
from credit_management.models import AgentRecord, iso, parse_iso
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.web.views import agent_view


def test_usage_json_reports_windows_burn_rate_prediction_cost_and_sources(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    resets = in_an_hour() + 3 * 3600
    start = datetime.fromtimestamp(int(time.time()) - 1800, UTC)
    climb = ((0, 30), (10, 35), (20, 40), (30, 45))
    # Each call runs at its own instant (the tool's frozen clock), 10 minutes apart.
    target = agent_pane(
        tmux_server, isolated_home, tmp_path,
        [("statusline", statusline_payload(used, resets)) for _, used in climb],
        env_per_step=[
            {"CREDIT_MONITOR_NOW": iso(start + timedelta(minutes=m)) or ""} for m, _ in climb
        ],
    )  # fmt: skip

    result = CliRunner().invoke(cli, ["usage", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["agents"]
    assert [row["target"] for row in rows] == [target]
    row = rows[0]
    assert row["provider"] == "claude"
    five = row["usage"]["five_hour"]
    assert (five["used_percent"], five["source"]) == (45.0, "claude-statusline")
    assert five["burn_rate"] == 30.0  # 15 points in 30 minutes
    predicted = parse_iso(row["predicted_exhaustion"])
    assert predicted == start + timedelta(minutes=30) + timedelta(hours=55 / 30)
    assert row["cost_usd"] == 1.37

    table = CliRunner().invoke(cli, ["usage", "--utc"], catch_exceptions=False).output
    assert target in table and "45%" in table and "5h 30.0%/h" in table
    assert "claude-statusline" in table


def test_usage_without_data_says_how_to_set_up(tmux_server: TmuxTestServer) -> None:
    result = CliRunner().invoke(cli, ["usage"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "credit-monitor integrate claude" in result.output


def test_schedule_and_send_say_when_the_target_runs_out_first(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    # A simulated agent that answers at once: the send is delivered and its note is the point.
    target = start_sim(tmux_server, "agent", ["--provider", "claude"], tmp_path / "agent.jsonl")
    store = StateStore(Paths(isolated_home, "--home"))
    with store.transaction() as state:
        state.agent(target).predicted_exhaustion = iso(datetime.now(UTC) + timedelta(minutes=40))
    later = CliRunner().invoke(cli, ["schedule", "2h", "check the build", target])
    assert later.exit_code == 0, later.output
    assert f"note: {target} is predicted to run out of usage in 40m" in later.output
    assert "before this note is due" in later.output
    sooner = CliRunner().invoke(cli, ["schedule", "10m", "check the build", target])
    assert "predicted to run out" not in sooner.output
    sent = CliRunner().invoke(cli, ["send", target, "hello"])
    assert sent.exit_code == 0, sent.output
    assert "predicted to run out of usage in 40m" in sent.output


def test_the_dashboards_agents_carry_usage_cost_and_prediction() -> None:
    record = AgentRecord(cost_usd=1.37, predicted_exhaustion="2026-12-07T08:05:02+00:00")
    record.usage = {"five_hour": {"used_percent": 54.0, "source": "claude-statusline"}}
    view = agent_view("main:1", record, None, False)
    assert view["usage"]["five_hour"]["used_percent"] == 54.0
    assert (view["cost_usd"], view["predicted_exhaustion"]) == (1.37, record.predicted_exhaustion)
