"""Detection: what a pane's text says about credits, as a `Signal`.

Owns the banner families (`patterns`), where a banner may start (`banners`), a capture as
tagged rows (`screen`), raw provider error bodies (`payloads`), printed reset times (`resets`)
and the `classify` entry point (`signals`). Pure: no I/O, no tmux, no clock reads (`now` and
the host zone are parameters). May import only `models` and `errors`.
"""
