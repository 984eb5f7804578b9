"""Structured signals: the agents' own usage data, read and turned into `Signal`s.

Claude Code's statusline and hook payloads and transcript records, Codex's rollout files.
Reads files and payloads; decides nothing (the lifecycle does). May import `detect`,
`models`, `errors`.
"""
