"""The parts a sweep is made of, which `credit_monitor.Supervisor` composes.

`look`: capture the panes in one tmux process and read each, parsing only screens that changed.
May import effects (tmux, store, sources), the pure core and models; never an interface.
"""
