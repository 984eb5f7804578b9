"""credit_management: a supervisor for AI coding agents in tmux that run out of usage.

It reads each agent's pane, tells a real limit from text that only looks like one, pauses the
agent, works out when the limit resets, and at that moment verifies and resumes it.
"""

__version__ = "0.1.0"
