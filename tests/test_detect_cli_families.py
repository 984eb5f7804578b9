"""`credit-monitor classify --json` on one real screen of each detection family: the kind, the
reset instant and evidence that is the banner as the pane shows it (blanks aside)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from credit_management.cli import cli
from credit_management.models import parse_iso

CORPUS = Path(__file__).parent / "corpus"
# One case per family: trailing lines, blocking, transient, form variants, zones, overlaps.
FAMILIES = {
    "trailing lines": "claude/weekly-resets-by-own-line.txt",
    "box": "claude/split-banner-in-box.txt",
    "model-switch popup": "codex/limit-with-switch-model-popup.txt",
    "blocking": "codex/workspace-out-of-credits-request-increase.txt",
    "gemini terminal": "gemini/free-tier-limit-zero-despite-retry.txt",
    "transient": "gemini/high-demand-all-pro-models.txt",
    "advisory": "claude/gauge-sharing-footer-row.txt",
    "form variant": "codex/hard-wrap-three-rows-indented.txt",
    "zone": "claude/etc-unknown-dated-weekly.txt",
    "overlap": "claude/gauge-above-hit-newest-stop-wins.txt",
}


def _case(path: Path) -> tuple[dict[str, str], str]:
    head, _, text = path.read_text(encoding="utf-8").partition("\n---\n")
    header = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        header[key.strip()] = value.strip()
    return header, text


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_classify_json_reads_each_family(family: str) -> None:
    header, text = _case(CORPUS / FAMILIES[family])
    args = ["classify", "--now", header["now"], "--tz", header["tz"], "--json"]
    result = CliRunner().invoke(cli, args, input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == header["kind"], data
    wanted = header.get("reset_at")
    if wanted is not None:
        got = parse_iso(data["reset_at"]) if data["reset_at"] else None
        assert got == (None if wanted == "null" else parse_iso(wanted)), data
    assert data["evidence"] and _squash(data["evidence"]) in _squash(text), data


def test_an_unknown_zone_is_named_in_the_message() -> None:
    header, text = _case(CORPUS / FAMILIES["zone"])
    args = ["classify", "--now", header["now"], "--tz", header["tz"], "--json"]
    data = json.loads(CliRunner().invoke(cli, args, input=text).output)
    assert "zone Etc/Unknown unknown: read in the host zone, America/Sao_Paulo" in data["message"]
