"""The simulated agent's `--refuse-at-limit`: the prompt that hits the limit is refused (as a
real agent refuses the request its API turns down), and every prompt records whether the limit
was already showing when it came, so tests can tell "typed into a refusal" from "hit it"."""

from __future__ import annotations

from datetime import UTC, datetime

from credit_management.clock import FakeClock
from credit_management.sim.agent import SimConfig, Simulator


def _prompts(sim: Simulator, texts: list[str]) -> list[tuple[str, str, bool]]:
    rows = []
    for text in texts:
        record = next(r for r in sim.enter(text).records if r["event"] == "prompt")
        rows.append((record["prompt"], record["result"], record["while_limited"]))
    return rows


def test_the_prompt_that_hits_the_limit_is_refused() -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    config = SimConfig("claude", limit_after=2, reset_in=60, refuse_at_limit=True)
    sim = Simulator(config, clock)
    sim.start()
    assert _prompts(sim, ["one", "two", "three", "four"]) == [
        ("one", "answered", False),
        ("two", "answered", False),  # no banner after the second answer
        ("three", "refused", False),  # this one hit the limit
        ("four", "refused", True),  # typed into an agent already refusing
    ]
    assert sim.limits_hit == 1
    clock.advance(61)
    sim.tick()
    assert _prompts(sim, ["three again"]) == [("three again", "answered", False)]


def test_without_the_flag_the_last_prompt_is_answered_before_the_banner() -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    sim = Simulator(SimConfig("claude", limit_after=2, reset_in=60), clock)
    sim.start()
    assert _prompts(sim, ["one", "two", "three"]) == [
        ("one", "answered", False),
        ("two", "answered", False),
        ("three", "refused", True),
    ]
    assert sim.limits_hit == 1
