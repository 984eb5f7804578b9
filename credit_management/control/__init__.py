"""What a person asks of the supervisor: pause, resume, and the read-only team views.

`manual` applies `pause`/`resume` through the same lifecycle as the monitor; `overview`
builds the health and reset-estimate views. Returns values, never prints. May import the
monitor and every room below it.
"""
