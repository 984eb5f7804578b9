"""Everything kept on disk: the state file, the event journal, settings and their paths.

`state` loads, locks and atomically saves `data/credit_schedule.json`; `journal` appends to
and reads `logs/credit_events.log`; `config` merges defaults, the config file, the environment
and options; `paths` says where each file lives; `locks` is the one lock helper. Never calls
tmux. May import `clock`, `models` and `errors`.
"""
