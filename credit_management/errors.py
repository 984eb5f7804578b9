"""Named errors a user can act on. The CLI turns each into one clear line and a non-zero exit.

Library code raises these (never prints); anything else escaping is a bug.
"""


class CreditError(Exception):
    """Base class: the message is the whole one-line explanation shown to the user."""


class StateError(CreditError):
    """The state file is corrupt, of an unknown version, or cannot be written."""


class LockBusy(CreditError):
    """Another run holds the lock (a second concurrent `run` skips cleanly)."""


class ConfigError(CreditError):
    """A configuration value is invalid; the message names the key and where it came from."""


class TargetError(CreditError):
    """A TARGET is malformed or does not exist on the tmux server."""


class TmuxError(CreditError):
    """tmux is missing, the server is not running, or a tmux command failed."""


class InputError(CreditError):
    """Bad user input that is not a target: a time, a zone, a message with control characters."""
