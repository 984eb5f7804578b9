"""Running the monitor unattended: the crontab entry for `run` (and service units).

Writes and reads the user's scheduler configuration; never touches tmux or the state file.
May import `store`, `errors`.
"""
