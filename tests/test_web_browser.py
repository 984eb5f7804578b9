"""The dashboard page in real headless Chromium (Debian's `chromium`, driven by Playwright).

Checks what a person sees and can do: the blocking "Out of credits" dialog for an open alert,
that clicks behind it do not land, that Dismiss leaves a banner until the agent is back, and
that Retry now reaches the resume route. Saves a screenshot of the dialog under test-output/.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_web_api import (
    EXHAUSTED,
    NOW,
    RESET,
    RecordingSupervisor,
    exhaust_simulated_agent,
    seed_state,
    serving,
    wait_for_lift,
)
from test_web_security import web_process

from credit_management.clock import Clock, SystemClock
from credit_management.models import Status, iso, set_status
from credit_management.store.config import Settings
from credit_management.store.liveness import record_sweep
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.web.server import DashboardServer
from credit_management.web.service import Dashboard

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
CLI = Path(sys.executable).with_name("credit-monitor")

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (make test does) to run browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def now() -> datetime:
    return SystemClock({}).now()


@pytest.fixture
def paths(tmp_path: Path, now: datetime) -> Paths:
    home = Paths(tmp_path / "cm", "test")
    seed_state(home, now)
    return home


@pytest.fixture
def clock() -> Clock:
    # The real clock: the page ticks its countdowns in real time, on the server's clock.
    return SystemClock({})


@pytest.fixture
def supervisor(paths: Paths, clock: Clock) -> RecordingSupervisor:
    return RecordingSupervisor(paths, clock)


@pytest.fixture
def server(
    paths: Paths, clock: Clock, supervisor: RecordingSupervisor
) -> Iterator[DashboardServer]:
    dashboard = Dashboard(paths, Settings(), clock=clock, supervisor_factory=lambda: supervisor)
    with serving(dashboard) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id="Europe/Madrid", locale="en-GB"
    )
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], errors


def _alert_id(now: datetime) -> str:
    return f"{EXHAUSTED}@{iso(now)}"


def test_open_alert_shows_the_blocking_dialog(
    page: Any, server: DashboardServer, now: datetime
) -> None:
    page.goto(server.url)
    dialog = page.get_by_role("dialog", name="Out of credits")
    sync_api.expect(dialog).to_be_visible()
    assert dialog.get_attribute("aria-modal") == "true"
    sync_api.expect(page.locator("#alert-title")).to_have_text("Out of credits")
    sync_api.expect(dialog).to_contain_text(EXHAUSTED)
    sync_api.expect(dialog).to_contain_text("claude-api")
    sync_api.expect(dialog).to_contain_text("claude")
    sync_api.expect(dialog).to_contain_text("Claude session limit; resets 7pm (Europe/Madrid)")
    # The reset in the browser's local time (Europe/Madrid here) and a live countdown.
    reset_local = (now + (RESET - NOW)).astimezone(ZoneInfo("Europe/Madrid"))
    sync_api.expect(page.locator("#alert-reset-local")).to_contain_text(
        reset_local.strftime("%H:%M")
    )
    countdown = page.locator("#alert-countdown")
    sync_api.expect(countdown).to_have_text(re.compile(r"^4h 0[45]m \d\ds$"))
    first = countdown.text_content()
    page.wait_for_timeout(1100)
    assert countdown.text_content() != first  # it ticks every second
    for name in ("Retry now", "Change AI model", "Dismiss"):
        sync_api.expect(dialog.get_by_role("button", name=name, exact=True)).to_be_visible()
    # Focus starts on the first button; the page behind is blurred and inert.
    assert page.evaluate("document.activeElement.textContent") == "Retry now"
    assert page.locator("#app").get_attribute("inert") is not None
    assert "blur" in page.evaluate("getComputedStyle(document.getElementById('app')).filter")
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / "dashboard-modal.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_clicks_behind_the_dialog_do_not_land_and_escape_does_not_close_it(
    page: Any, server: DashboardServer, supervisor: RecordingSupervisor
) -> None:
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.goto(server.url)
    sync_api.expect(page.get_by_role("dialog")).to_be_visible()
    pause = page.locator("#agent-rows button", has_text="Pause")
    box = pause.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    inside_overlay = page.evaluate(
        "([x, y]) => document.getElementById('overlay').contains(document.elementFromPoint(x, y))",
        [x, y],
    )
    assert inside_overlay
    page.mouse.click(x, y)
    page.keyboard.press("Escape")
    page.wait_for_timeout(400)
    assert posts == []
    assert supervisor.paused == []
    sync_api.expect(page.get_by_role("dialog", name="Out of credits")).to_be_visible()
    # Tab stays on the dialog's buttons.
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.getElementById('alert-dialog').contains(document.activeElement)"
        )


def test_dismiss_hides_the_dialog_and_leaves_a_banner_until_the_agent_is_back(
    page: Any, server: DashboardServer, paths: Paths, now: datetime, clock: Clock
) -> None:
    page.goto(server.url)
    dialog = page.get_by_role("dialog", name="Out of credits")
    sync_api.expect(dialog).to_be_visible()
    page.get_by_role("button", name="Dismiss", exact=True).click()
    sync_api.expect(dialog).to_be_hidden()
    banner = page.locator(".banner")
    sync_api.expect(banner).to_have_count(1)
    sync_api.expect(banner).to_contain_text(f"{EXHAUSTED} is out of credits; resets at ")
    assert page.locator("#app").get_attribute("inert") is None
    alert = next(a for a in StateStore(paths).load().alerts if a.id == _alert_id(now))
    assert alert.resolution == "dismissed"
    # The dismissal is on the server: a reload shows the banner and no dialog.
    page.reload()
    sync_api.expect(page.locator(".banner")).to_contain_text(f"{EXHAUSTED} is out of credits")
    sync_api.expect(page.locator("#agent-rows tr")).to_have_count(2)
    sync_api.expect(dialog).to_be_hidden()
    # The page behind takes clicks again.
    sync_api.expect(page.get_by_role("button", name="Pause")).to_be_enabled()
    # Once the agent is active again, the banner goes at the next poll.
    with StateStore(paths).transaction() as state:
        set_status(state.agent(EXHAUSTED), Status.ACTIVE, now=clock.now(), reason="answered")
    page.evaluate("window.creditMonitor.refresh()")
    sync_api.expect(page.locator(".banner")).to_have_count(0)


def test_retry_now_calls_the_resume_route_and_the_dialog_closes_when_resolved(
    page: Any, server: DashboardServer, supervisor: RecordingSupervisor, paths: Paths
) -> None:
    supervisor.release.clear()
    page.goto(server.url)
    dialog = page.get_by_role("dialog", name="Out of credits")
    sync_api.expect(dialog).to_be_visible()
    with page.expect_response(re.compile(r"/api/agents/main%3A1/resume$")) as answer:
        page.get_by_role("button", name="Retry now", exact=True).click()
    assert answer.value.status == 202
    assert answer.value.request.method == "POST"
    assert answer.value.json() == {"ok": True, "status": "resuming", "target": EXHAUSTED}
    sync_api.expect(page.locator("#alert-status")).to_contain_text("Retrying main:1")
    sync_api.expect(page.locator("#btn-retry")).to_be_disabled()
    assert supervisor.resumed == [EXHAUSTED]
    # The supervisor's verified resume resolves the alert: the dialog goes by itself.
    supervisor.release.set()
    assert supervisor.finished.wait(5)
    page.evaluate("window.creditMonitor.refresh()")
    sync_api.expect(dialog).to_be_hidden()
    sync_api.expect(page.locator(".banner")).to_have_count(0)
    sync_api.expect(page.locator("#agent-rows tr").first.locator(".badge")).to_have_text("active")


def test_the_page_logs_in_through_the_printed_url(page: Any, paths: Paths) -> None:
    """The real `credit-monitor web`: its printed address signs the browser in with a cookie,
    the token leaves the address bar, and the buttons work through the cookie alone."""
    with web_process(paths) as (_, line):
        printed = line.split()[2]
        base, _, token = printed.partition("?token=")
        assert line.startswith("Dashboard on http://127.0.0.1:") and len(token) >= 22

        refused = page.request.get(base)
        assert refused.status == 401
        page.goto(printed)
        assert page.url == base  # the token is gone from the address bar
        dialog = page.get_by_role("dialog", name="Out of credits")
        sync_api.expect(dialog).to_be_visible()
        sync_api.expect(page.locator("#agent-rows tr")).to_have_count(2)
        [cookie] = page.context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert token not in page.content()
        page.get_by_role("button", name="Dismiss", exact=True).click()
        sync_api.expect(dialog).to_be_hidden()
        sync_api.expect(page.locator(".banner")).to_have_count(1)
        page.reload()  # still signed in: the cookie, not the address, carries the token
        sync_api.expect(page.locator(".banner")).to_have_count(1)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "dashboard-signed-in.png"))

        stranger = page.context.browser.new_context()
        try:
            other = stranger.new_page()
            other.goto(base)
            assert "missing or wrong token" in other.content()
        finally:
            stranger.close()


def test_a_real_stop_shows_the_dialog(page: Any, tmux_server: Any, tmp_path: Path) -> None:
    home = Paths(tmp_path / "real", "test")
    target, settings = exhaust_simulated_agent(tmux_server, home)
    dashboard = Dashboard(home, settings, socket=tmux_server.socket, clock=SystemClock({}))
    with serving(dashboard) as running:
        page.goto(running.url)
        dialog = page.get_by_role("dialog", name="Out of credits")
        sync_api.expect(dialog).to_be_visible()
        sync_api.expect(page.locator("#alert-target")).to_have_text(target)
        sync_api.expect(page.locator("#alert-provider")).to_contain_text("claude")
        sync_api.expect(page.locator("#alert-countdown")).to_have_text(re.compile(r"\d+s$|due"))


def test_retry_now_resumes_a_simulated_agent_whose_limit_has_passed(
    page: Any, tmux_server: Any, tmp_path: Path
) -> None:
    home = Paths(tmp_path / "real", "test")
    target, settings = exhaust_simulated_agent(tmux_server, home)
    wait_for_lift(home)
    dashboard = Dashboard(home, settings, socket=tmux_server.socket, clock=SystemClock({}))
    with serving(dashboard) as running:
        page.goto(running.url)
        dialog = page.get_by_role("dialog", name="Out of credits")
        sync_api.expect(dialog).to_be_visible()
        page.get_by_role("button", name="Retry now", exact=True).click()
        sync_api.expect(dialog).to_be_hidden(timeout=40_000)
        row = page.locator("#agent-rows tr", has_text=target)
        sync_api.expect(row.locator(".badge")).to_have_text("active")
        sync_api.expect(page.locator(".banner")).to_have_count(0)
        page.goto("about:blank")  # stop polling before the server goes (its resume may linger)


@pytest.mark.parametrize(
    ("minutes_ago", "warned"),
    [(None, True), (1, False), (20, True)],
    ids=["never", "fresh", "stale"],
)
def test_the_page_says_whether_a_monitor_is_sweeping(
    page: Any,
    server: DashboardServer,
    paths: Paths,
    now: datetime,
    minutes_ago: int | None,
    warned: bool,
) -> None:
    if minutes_ago is not None:
        record_sweep(paths, now - timedelta(minutes=minutes_ago), 300, "watch")
    page.goto(server.url)
    liveness = page.locator("#liveness")
    if minutes_ago is None:
        sync_api.expect(liveness).to_contain_text("No sweep yet")
    else:
        sync_api.expect(liveness).to_contain_text(re.compile(rf"Last sweep {minutes_ago}m ago"))
    if warned:
        sync_api.expect(liveness).to_have_class(re.compile(r"\bstale\b"))
    else:
        sync_api.expect(liveness).not_to_have_class(re.compile(r"\bstale\b"))
