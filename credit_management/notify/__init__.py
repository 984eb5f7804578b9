"""Telling others: hook commands and webhooks fired for events, bounded in time.

A hook never stops or stalls the monitor: each runs with a time-out, failures are journaled.
May import `store`, `models`, `errors`.
"""
