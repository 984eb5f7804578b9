"""A simulated coding agent (Claude Code, Codex CLI or Gemini CLI) that runs out of usage.

The `Simulator` class is the whole behaviour and does no I/O: given a clock, it says which
lines the agent prints at start, for each Enter, and as time passes (periodic work, the reset,
Claude's own auto-continue). Its banners copy the real formats of each agent at its limit, so
the supervisor can be exercised end to end on a real tmux server. The terminal side (keys in,
lines out, the state file) lives in `credit_management.sim.runner`; run the agent in a pane
with `python -m credit_management simulate --provider claude|codex|gemini ...`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from credit_management.clock import Clock
from credit_management.errors import InputError
from credit_management.models import iso
from credit_management.records import Record

PROVIDERS: tuple[str, ...] = ("claude", "codex", "gemini")
RESET_STYLES: tuple[str, ...] = ("clock", "duration", "epoch", "none")
# Which reset styles each agent really prints; the first one is its default.
STYLES_BY_PROVIDER: dict[str, tuple[str, ...]] = {
    "claude": ("clock", "epoch", "none"),
    "codex": ("clock", "duration", "none"),
    "gemini": ("duration", "clock", "none"),
}

CODEX_UPGRADE = "Upgrade to Pro (https://openai.com/chatgpt/pricing)"
CLAUDE_UPGRADE_HINT = "/upgrade to increase your usage limit."
GEMINI_EXHAUSTED = "You have exhausted your capacity on this model."
TRANSCRIPT_KEEP = 2000
MAX_SECONDS = 400 * 86400  # a reset further away than this is a typo, not a limit


@dataclass(frozen=True, repr=False)
class SimConfig(Record):
    """How the simulated agent behaves; `validate()` rejects combinations no agent prints."""

    provider: str
    name: str = ""
    limit_after: int = 3
    reset_in: float = 120.0
    reset_style: str | None = None  # None: the provider's usual style
    tz_name: str = "UTC"
    auto_continue: bool = False
    limit_menu: bool = False  # a limit menu that takes the keyboard until Escape or Enter
    limit_again: bool = False
    late: float = 0.0  # the limit really lifts this long after the instant it printed
    work_interval: float | None = None
    think: float = 0.2
    crash_after: int | None = None
    swallow_enters: int = 0  # messages whose first Enter is ignored; -1 means every message
    # The limit falls on the next prompt, which is refused (not answered, then a banner).
    refuse_at_limit: bool = False

    @property
    def style(self) -> str:
        return self.reset_style or STYLES_BY_PROVIDER[self.provider][0]

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.tz_name)

    @property
    def label(self) -> str:
        return self.name or self.provider

    def validate(self) -> SimConfig:
        """Return self, or raise InputError naming the bad option."""
        if self.provider not in PROVIDERS:
            raise InputError(f"unknown provider {self.provider!r}: use one of {PROVIDERS}")
        if self.style not in STYLES_BY_PROVIDER[self.provider]:
            allowed = ", ".join(STYLES_BY_PROVIDER[self.provider])
            raise InputError(
                f"{self.provider} never prints a {self.style!r} reset: use one of {allowed}"
            )
        if self.auto_continue and self.provider != "claude":
            raise InputError("--auto-continue is Claude Code behaviour: use --provider claude")
        if self.limit_menu and self.provider == "codex":
            raise InputError("--limit-menu: Codex shows no limit menu; use claude or gemini")
        if self.auto_continue and self.style != "clock":
            raise InputError("--auto-continue prints a time of day: use --reset-style clock")
        if self.limit_after < 0:
            raise InputError("--limit-after must be 0 or more")
        for option, value in (("--reset-in", self.reset_in), ("--late", self.late)):
            if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
                raise InputError(f"{option} must be between 0 and {MAX_SECONDS} seconds")
        if self.work_interval is not None and not self.work_interval > 0:
            raise InputError("--work-interval must be more than 0 seconds")
        if not math.isfinite(self.think) or self.think < 0:
            raise InputError("--think must be 0 or more seconds")
        if self.crash_after is not None and self.crash_after < 1:
            raise InputError("--crash-after must be 1 or more")
        try:
            ZoneInfo(self.tz_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise InputError(f"unknown timezone: {self.tz_name!r}") from error
        return self


@dataclass(repr=False)
class Reply(Record):
    """What the agent does in answer to one event; the terminal loop prints and records it.

    `echo` shows at once (the prompt moving into the transcript), `lines` after the agent has
    "thought" for a moment when `think` is true. `consumed` is False when the Enter was
    swallowed and the text stays in the input box. `exit_code` set means the agent process ends.
    """

    echo: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    consumed: bool = True
    think: bool = False
    exit_code: int | None = None


# ---------------------------------------------------------------------------------------------
# Time formats, as each agent renders them.


def ceil_minute(moment: datetime) -> datetime:
    """The next whole minute (or the moment itself when it is one), so a printed time is never
    before the real reset."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def ceil_seconds(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))


def _hour12(moment: datetime) -> int:
    return moment.hour % 12 or 12


def claude_time(moment: datetime) -> str:
    """Claude Code's time of day: "3pm", "5:20am"."""
    suffix = "am" if moment.hour < 12 else "pm"
    if moment.minute == 0:
        return f"{_hour12(moment)}{suffix}"
    return f"{_hour12(moment)}:{moment.minute:02d}{suffix}"


def claude_when(reset_local: datetime, now_local: datetime) -> str:
    """Claude's reset phrase: a time of day, with a date when the reset is a day or more away."""
    clock = claude_time(reset_local)
    if reset_local - now_local < timedelta(hours=24):
        return clock
    day = f"{reset_local:%b} {reset_local.day}"
    if reset_local.year != now_local.year:
        day += f", {reset_local.year}"
    return f"{day} at {clock}"


def us_time(moment: datetime) -> str:
    """ "3:05 PM", as Codex (chrono "%-I:%M %p") and Gemini (en-US locale) print it."""
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{_hour12(moment)}:{moment.minute:02d} {suffix}"


def ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def codex_when(reset_local: datetime, now_local: datetime) -> str:
    """Codex's "try again at" phrase: "3:05 PM" today, "Sep 15th, 2026 11:51 AM" otherwise."""
    if reset_local.date() == now_local.date():
        return us_time(reset_local)
    return f"{reset_local:%b} {ordinal(reset_local.day)}, {reset_local.year} {us_time(reset_local)}"


def codex_duration(delta: timedelta) -> str:
    """Older Codex builds: "5 days 22 hours 11 minutes", rounded up to a whole minute."""
    minutes_total = max(1, math.ceil(delta.total_seconds() / 60))
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if amount:
            parts.append(f"{amount} {unit}{'' if amount == 1 else 's'}")
    return " ".join(parts)


def gemini_duration(delta: timedelta) -> str:
    """The quota server's "21h39m57s" (hours not folded into days), rounded up to a second."""
    total = ceil_seconds(delta)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes}m{seconds}s"


def gemini_zone(moment: datetime, zone_name: str) -> str:
    """The zone as an en-US `Intl` short name: "PST" for US zones, "UTC", else "GMT+2"."""
    abbreviation = moment.tzname() or ""
    if zone_name in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu"):
        return "UTC"
    if (
        zone_name.startswith(("America/", "US/", "Pacific/Honolulu"))
        and abbreviation.isalpha()
        and abbreviation.isupper()
    ):
        return abbreviation
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


# ---------------------------------------------------------------------------------------------
# What each agent's screen looks like.


@dataclass(frozen=True, repr=False)
class Look(Record):
    """One agent's glyphs and chrome."""

    prompt: str  # how a submitted prompt shows in the transcript
    answer: str  # the glyph before an answer line
    thinking: str
    header: tuple[str, ...]
    work: tuple[tuple[str, ...], ...]  # periodic output, cycled


def _boxed(lines: Sequence[str], width: int) -> list[str]:
    inner = width - 4
    body = [f"│ {line[:inner].ljust(inner)} │" for line in lines]
    return ["╭" + "─" * (width - 2) + "╮", *body, "╰" + "─" * (width - 2) + "╯"]


def look_for(provider: str, name: str) -> Look:
    """The screen style of `provider`; `name` shows where the agent shows its folder."""
    if provider == "claude":
        return Look(
            prompt="> ",
            answer="⏺ ",
            thinking="✻ Thinking… (esc to interrupt)",
            header=tuple(
                _boxed(
                    [
                        "✻ Welcome to Claude Code!",
                        "",
                        "  /help for help, /status for your current setup",
                        "",
                        f"  cwd: /home/dev/{name}",
                    ],
                    56,
                )
            ),
            work=(
                ("⏺ Bash(pytest -q)", "  ⎿  12 passed in 0.41s"),
                ("⏺ Read(src/app.py)", "  ⎿  Read 120 lines (ctrl+r to expand)"),
                ("⏺ Update(src/app.py)", "  ⎿  Updated src/app.py with 3 additions and 1 removal"),
            ),
        )
    if provider == "codex":
        return Look(
            prompt="› ",
            answer="• ",
            thinking="• Working (0s • esc to interrupt)",
            header=tuple(
                _boxed(
                    [
                        ">_ OpenAI Codex (v0.46.0)",
                        "",
                        "model:     gpt-5-codex medium   /model to change",
                        f"directory: ~/{name}",
                    ],
                    56,
                )
            ),
            work=(
                ("• Ran pytest -q", "  └ 12 passed in 0.41s"),
                ("• Explored", "  └ Read app.py"),
                ("• Edited src/app.py (+3 -1)",),
            ),
        )
    return Look(
        prompt="> ",
        answer="✦ ",
        thinking="⠋ Thinking... (esc to cancel, 0s)",
        header=(
            "",
            " ✦ Gemini CLI",
            "",
            "Tips for getting started:",
            "1. Ask questions, edit files, or run commands.",
            "2. Be specific for the best results.",
            "3. /help for more information.",
            "",
        ),
        work=(
            (" ✓  Shell pytest -q", "    12 passed in 0.41s"),
            (" ✓  ReadFile src/app.py",),
            (" ✓  Edit src/app.py: def load(path): => def load(path, strict=False):",),
        ),
    )


def _wrap(text: str, width: int) -> list[str]:
    """Split the input box's text into rows: at newlines, then every `width` characters."""
    rows: list[str] = []
    for part in text.split("\n"):
        part = part.replace("\t", " ")
        if not part:
            rows.append("")
        while part:
            rows.append(part[:width])
            part = part[width:]
    return rows or [""]


def prompt_box(provider: str, text: str, width: int, name: str = "") -> tuple[list[str], int, int]:
    """The input area holding `text`: (lines, cursor row, cursor column)."""
    width = max(width, 24)
    if provider == "codex":
        rows = _wrap(text, width - 2)
        lines = ["› " + rows[0], *("  " + row for row in rows[1:])]
        col = 2 + len(rows[-1])
        footer = ["", "  ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit   100% context left"]
        return [*lines, *footer], len(lines) - 1, col
    inner = width - 6
    if provider == "gemini" and not text:
        rows, col = ["  Type your message or @path/to/file"], 4
    else:
        rows = _wrap(text, inner)
        col = 4 + len(rows[-1])
    body = [("│ > " if i == 0 else "│   ") + row.ljust(inner) + " │" for i, row in enumerate(rows)]
    top = "╭" + "─" * (width - 2) + "╮"
    bottom = "╰" + "─" * (width - 2) + "╯"
    if provider == "gemini":
        footer = [
            f"~/{name or 'project'}   no sandbox (see /docs)   gemini-2.5-pro (99% context left)"
        ]
    else:
        footer = ["  ? for shortcuts"]
    return [top, *body, bottom, *footer], len(body), col


# ---------------------------------------------------------------------------------------------
# Banners.


def _claude_reset(config: SimConfig, now: datetime, reset_at: datetime) -> str:
    return claude_when(ceil_minute(reset_at).astimezone(config.zone), now.astimezone(config.zone))


def limit_banner(
    config: SimConfig, now: datetime, reset_at: datetime, auto: bool = False
) -> list[str]:
    """The lines `config.provider` prints when it refuses work until `reset_at`; `auto` adds
    Claude Code's own "continuing automatically" line."""
    zone = config.zone
    style = config.style
    if config.provider == "claude":
        if style == "epoch":
            return [f"  ⎿  Claude AI usage limit reached|{math.ceil(reset_at.timestamp())}"]
        if style == "none":
            return ["  ⎿  You've hit your session limit", f"     {CLAUDE_UPGRADE_HINT}"]
        lines = [
            f"  ⎿  You've hit your session limit · resets "
            f"{_claude_reset(config, now, reset_at)} ({config.tz_name})",
            f"     {CLAUDE_UPGRADE_HINT}",
        ]
        if auto:
            when = claude_time(ceil_minute(reset_at).astimezone(zone))
            lines += [
                "",
                f"⏺ Usage limit reached · continuing automatically at {when}"
                " · esc or type to cancel",
            ]
        if config.limit_menu:
            lines += ["", "/rate-limit-options"]
        return lines
    if config.provider == "codex":
        if style == "duration":
            tail = f"try again in {codex_duration(reset_at - now)}."
        elif style == "none":
            tail = "try again later."
        else:
            local = ceil_minute(reset_at).astimezone(zone)
            tail = f"try again at {codex_when(local, now.astimezone(zone))}."
        return [f"■ You've hit your usage limit. {CODEX_UPGRADE} or {tail}"]
    if style == "none":
        return [f"✕ [API Error: {GEMINI_EXHAUSTED}]"]
    if style == "clock" and not config.limit_menu:
        return _boxed(_gemini_dialog(config, reset_at), 60)
    wait = gemini_duration(reset_at - now)
    return [f"✕ [API Error: {GEMINI_EXHAUSTED} Your quota will reset after {wait}.]"]


def _gemini_dialog(config: SimConfig, reset_at: datetime) -> list[str]:
    lines = ["Usage limit reached for gemini-2.5-pro."]
    if config.style == "clock":
        local = ceil_minute(reset_at).astimezone(config.zone)
        lines.append(f"Access resets at {us_time(local)} {gemini_zone(local, config.tz_name)}.")
    return [*lines, "/stats model for usage details", "/model to switch models."]


def limit_menu(config: SimConfig, reset_at: datetime) -> list[str]:
    """The chooser shown under the banner with --limit-menu (it replaces the input box)."""
    if config.provider == "gemini":
        options = ["● 1. Keep trying", "  2. Switch to gemini-2.5-flash", "  3. Stop"]
        return _boxed([*_gemini_dialog(config, reset_at), "", *options], 60)
    return [
        "What do you want to do?",
        "",
        "❯ 1. Stop and wait for limit to reset",
        "  2. Add funds to continue with extra usage",
        "  3. Upgrade your plan",
        "",
        "Enter to confirm · Esc to cancel",
    ]


def paraphrase(prompt: str, limit: int = 60) -> str:
    """A short restatement of the prompt's first line, for the answer. A long prompt is cut at
    a word, with no trailing "…": that is how a spinner's line ends, not a finished answer."""
    first = " ".join(prompt.strip().splitlines()[0].split()) if prompt.strip() else ""
    text = first[:1].lower() + first[1:]
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:")


# ---------------------------------------------------------------------------------------------
# The agent.


class Simulator:
    """The simulated agent's state machine: active, limited until a reset, answering again."""

    def __init__(self, config: SimConfig, clock: Clock) -> None:
        self.config = config.validate()
        self.clock = clock
        self.look = look_for(config.provider, config.label)
        self.received = 0  # prompts submitted
        self.answered = 0  # prompts answered since start or the last reset
        self.limits_hit = 0
        self.limit_armed = True
        self.reset_at: datetime | None = None  # the instant the banner refers to
        self.lifts_at: datetime | None = None  # when the agent really answers again
        self.auto_waiting = False  # Claude will continue by itself at the reset
        self.menu: list[str] | None = None  # an open limit menu, shown instead of the input box
        self.exit_code: int | None = None
        self.transcript: list[str] = []
        self._menu_ignored = ""
        self._swallowed_current = False
        self._messages_swallowed = 0
        self._work_step = 0
        self._next_work_at: datetime | None = None

    # -- state ---------------------------------------------------------------------------------

    @property
    def limited(self) -> bool:
        return self.lifts_at is not None

    @property
    def status(self) -> str:
        """ "active", "limited" or "auto_waiting" (Claude waiting to continue by itself)."""
        if not self.limited:
            return "active"
        return "auto_waiting" if self.auto_waiting else "limited"

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        """A state-file record of `event` now (the terminal loop logs how the process ended)."""
        return self._record(self.clock.now(), event, **fields)

    def _record(self, now: datetime, event: str, **fields: Any) -> dict[str, Any]:
        return {
            "time": iso(now),
            "event": event,
            "agent": self.config.label,
            "provider": self.config.provider,
            **fields,
        }

    def _emit(self, reply: Reply) -> Reply:
        self.transcript.extend(reply.echo)
        self.transcript.extend(reply.lines)
        del self.transcript[:-TRANSCRIPT_KEEP]
        return reply

    def _banner(self, now: datetime, reply: Reply) -> None:
        assert self.reset_at is not None
        reply.lines.extend(limit_banner(self.config, now, self.reset_at, self.auto_waiting))
        if self.config.limit_menu:
            self.menu = limit_menu(self.config, self.reset_at)
            self._menu_ignored = ""
            reply.records.append(self._record(now, "menu_opened"))

    def _hit_limit(self, now: datetime, reply: Reply) -> None:
        self.limits_hit += 1
        self.limit_armed = False
        self.reset_at = now + timedelta(seconds=self.config.reset_in)
        self.lifts_at = self.reset_at + timedelta(seconds=self.config.late)
        self.auto_waiting = self.config.auto_continue
        reply.records.append(
            self._record(
                now,
                "limit",
                reset_at=iso(self.reset_at),
                lifts_at=iso(self.lifts_at),
                style=self.config.style,
                auto_continue=self.auto_waiting,
            )
        )
        self._banner(now, reply)

    def _lift_if_due(self, now: datetime, reply: Reply) -> None:
        if self.lifts_at is None or now < self.lifts_at:
            return
        self.lifts_at = None
        self.answered = 0
        self.limit_armed = self.config.limit_again
        if self.auto_waiting:
            self.auto_waiting = False
            reply.lines.extend(["", f"{self.look.answer}Continuing where I left off."])
            reply.lines.extend(self._work_lines())
            reply.records.append(self._record(now, "auto_continue"))
        else:
            reply.records.append(self._record(now, "reset"))
        self._schedule_work(now)

    def _cancel_auto(self, now: datetime, reply: Reply, how: str) -> None:
        # Typing or Escape during the wait cancels it: the agent no longer continues by itself.
        if self.auto_waiting:
            self.auto_waiting = False
            reply.records.append(self._record(now, "auto_continue_cancelled", by=how))

    def _work_lines(self) -> list[str]:
        lines = list(self.look.work[self._work_step % len(self.look.work)])
        self._work_step += 1
        return lines

    def _schedule_work(self, now: datetime) -> None:
        if self.config.work_interval is not None:
            self._next_work_at = now + timedelta(seconds=self.config.work_interval)

    # -- events --------------------------------------------------------------------------------

    def start(self) -> Reply:
        """The screen as the agent starts (its limit already hit with --limit-after 0)."""
        now = self.clock.now()
        reply = Reply(lines=list(self.look.header))
        reply.records.append(
            self._record(
                now, "started", limit_after=self.config.limit_after, style=self.config.style
            )
        )
        if self.limit_armed and self.config.limit_after == 0:
            self._hit_limit(now, reply)
        self._schedule_work(now)
        return self._emit(reply)

    def tick(self) -> Reply:
        """Time passed: the limit may lift (Claude's auto-continue speaks), work may show."""
        now = self.clock.now()
        reply = Reply()
        self._lift_if_due(now, reply)
        if (
            not self.limited
            and self.menu is None
            and self._next_work_at is not None
            and now >= self._next_work_at
            and self.exit_code is None
        ):
            reply.lines.extend(self._work_lines())
            self._schedule_work(now)
        return self._emit(reply)

    def press(self, key: str) -> Reply:
        """A key other than Enter-with-text: "escape", "enter" or one character.

        `consumed` says whether the agent took the key (an open menu takes every key); when it
        is False the key edits the input box as usual.
        """
        now = self.clock.now()
        reply = Reply(consumed=False)
        if self.menu is not None:
            reply.consumed = True
            if key in ("escape", "enter") or key in "123":
                choice = {"escape": "cancel", "enter": "1"}.get(key, key)
                self.menu = None
                reply.records.append(
                    self._record(now, "menu_closed", choice=choice, ignored=self._menu_ignored)
                )
            else:
                self._menu_ignored += key  # typed into a menu: lost, as in the real agent
            return reply
        if self.auto_waiting and (key == "escape" or len(key) == 1):
            self._cancel_auto(now, reply, "escape" if key == "escape" else "typing")
            reply.consumed = key == "escape"
        return self._emit(reply)

    def _swallow(self) -> bool:
        if self._swallowed_current:
            return False
        limit = self.config.swallow_enters
        return limit < 0 or self._messages_swallowed < limit

    def enter(self, text: str) -> Reply:
        """Enter was pressed with `text` in the input box (the caller routes keys to an open
        menu through `press` instead)."""
        now = self.clock.now()
        prompt = text.strip("\n")
        if not prompt.strip():
            return Reply()
        if self._swallow():
            self._swallowed_current = True
            self._messages_swallowed += 1
            record = self._record(now, "enter_swallowed", prompt=prompt)
            return Reply(records=[record], consumed=False)
        self._swallowed_current = False
        self.received += 1
        before = Reply()
        self._lift_if_due(now, before)  # auto-continue output shows above the new prompt
        self._cancel_auto(now, before, "typing")
        rows = prompt.split("\n")
        echo = ["", self.look.prompt + rows[0], *("  " + row for row in rows[1:])]
        reply = Reply(echo=[*before.lines, *echo], think=True)
        banner = Reply()
        while_limited = self.limited
        if not self.limited and self.limit_armed and self.answered >= self.config.limit_after:
            self._hit_limit(now, banner)  # a further limit (--limit-again) met by this prompt
            result = "refused"
        elif self.limited:
            self._banner(now, banner)
            result = "refused"
        else:
            self.answered += 1
            reply.lines.append(f"{self.look.answer}Done: {paraphrase(prompt)}")
            result = "answered"
            at_limit = self.limit_armed and self.answered >= self.config.limit_after
            if at_limit and not self.config.refuse_at_limit:
                banner.lines.append("")
                self._hit_limit(now, banner)
        prompt_record = self._record(
            now,
            "prompt",
            prompt=prompt,
            result=result,
            n=self.received,
            reset_at=iso(self.reset_at) if result == "refused" else None,
            # Refused because the limit was already showing (not the prompt that hit it).
            while_limited=while_limited,
        )
        reply.lines.extend(banner.lines)
        reply.records = [*before.records, prompt_record, *banner.records]
        self._schedule_work(now)
        if self.config.crash_after is not None and self.received >= self.config.crash_after:
            self.exit_code = 1
            reply.exit_code = 1
            reply.records.append(self._record(now, "crash", n=self.received))
        return self._emit(reply)
