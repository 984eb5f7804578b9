"""The one gateway to tmux: every tmux call of the package goes through here.

`gateway.Tmux` lists panes, captures many panes in one process and sends keys; `typing`
types a message literally, presses Enter on its own after a pause and checks it was taken.
Never parses limits. May import `clock`, `models` and `errors`.
"""
