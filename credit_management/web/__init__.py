"""The local web dashboard: a page showing every agent and a blocking out-of-credits alert.

`views` turns the state file and the event log into JSON, `actions` carries out what the
buttons ask for (dismiss an alert, pause, resume, switch model), `server` is the stdlib HTTP
server with its routes and token check, and `static/` holds the page itself (no build step,
nothing fetched from the network).
"""

from credit_management.web.server import DashboardServer, check_bind, create_server

__all__ = ["DashboardServer", "check_bind", "create_server"]
