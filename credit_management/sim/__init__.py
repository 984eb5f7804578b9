"""Simulated agents and the demo: fake Claude Code, Codex and Gemini panes that hit limits.

`agent.Simulator` is the behaviour (pure, clock passed in); `runner` is its terminal loop;
`demo` builds a team on a private tmux server and drives the real supervisor. Used by tests,
`simulate` and `make demo`; nothing in the product depends on it.
"""
