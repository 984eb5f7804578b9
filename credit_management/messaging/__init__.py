"""Messages that must not be lost: per-agent queues, scheduled notes, send-or-hold.

Pure helpers work on a `State` inside the caller's transaction; the send and schedule
functions do the I/O through `store` and `tmux`. No regexes over pane text (that is
`detect`'s), no printing. May import `store`, `tmux`, `detect`, `models`, `errors`, `clock`.
"""
