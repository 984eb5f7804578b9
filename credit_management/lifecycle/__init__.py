"""The agent lifecycle: record + observation + `now` -> new record + actions.

`policy` decides what a signal, a due resume or a person's command means for an agent, and
returns the actions for the monitor to carry out. Pure: no I/O, no tmux, no clock reads. May
import `detect` (reset arithmetic), `models` and `errors`.
"""
