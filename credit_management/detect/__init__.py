"""Detection: what a pane's text says about credits, as a `Signal`.

Owns the banner families (`patterns`, compiled on first use through `lazy`), where a banner
may start and what notice it heads (`banners`), a capture as tagged rows with the first-pass
filter (`screen`), raw provider error bodies (`payloads`), printed reset times (`resets`) and
the `classify` entry point (`signals`). Pure: no I/O, no tmux, no clock reads (`now` and
the host zone are parameters). May import only `models` and `errors`.
"""
