// The credit-monitor dashboard: polls the JSON API, renders the agents table and the events,
// ticks countdowns every second on the server's clock, and blocks the page with the
// "Out of credits" dialog while an alert is unresolved. Plain JS, no build step.
"use strict";

(() => {
  const POLL_MS = 3000;
  const EVENT_LIMIT = 30;

  const view = {
    agents: [],
    alerts: [],
    events: [],
    skewMs: 0, // server clock minus browser clock
    shownAlertId: null,
    pending: new Set(), // targets with a request in flight from this page
    lastSweep: null, // when a monitor last swept (ISO 8601), null before the first
    sweepStale: null, // true when that is older than three intervals: nothing is watching
  };

  const $ = (id) => document.getElementById(id);
  const app = $("app");
  const overlay = $("overlay");
  const dialog = $("alert-dialog");
  const buttons = { retry: $("btn-retry"), model: $("btn-model"), dismiss: $("btn-dismiss") };

  // -- the API ------------------------------------------------------------------------------

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const agentPath = (target, action) => `/api/agents/${encodeURIComponent(target)}/${action}`;

  // -- time ---------------------------------------------------------------------------------

  const serverNow = () => Date.now() + view.skewMs;

  function parseTime(iso) {
    if (!iso) return null;
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : ms;
  }

  const pad = (n) => String(n).padStart(2, "0");

  function formatLeft(ms) {
    if (ms <= 0) return "due now";
    const total = Math.floor(ms / 1000);
    const days = Math.floor(total / 86400);
    const hours = Math.floor((total % 86400) / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    if (days > 0) return `${days}d ${pad(hours)}h ${pad(minutes)}m`;
    if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
    if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
    return `${seconds}s`;
  }

  function formatAgo(iso) {
    const at = parseTime(iso);
    if (at === null) return "—";
    const seconds = Math.max(0, Math.floor((serverNow() - at) / 1000));
    if (seconds < 60) return `${seconds}s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ago`;
    return `${Math.floor(seconds / 86400)}d ago`;
  }

  function formatLocal(iso) {
    const at = parseTime(iso);
    if (at === null) return "an unknown time";
    return new Date(at).toLocaleString(undefined, {
      weekday: "short",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    });
  }

  function formatClock(iso) {
    const at = parseTime(iso);
    if (at === null) return "";
    return new Date(at).toLocaleTimeString(undefined, {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  }

  // Every element with data-at shows the time left until that instant; refreshed each second.
  function tick() {
    const now = serverNow();
    for (const element of document.querySelectorAll("[data-at]")) {
      const at = parseTime(element.dataset.at);
      element.textContent = at === null ? "—" : formatLeft(at - now);
      element.classList.toggle("due", at !== null && at <= now);
    }
    for (const element of document.querySelectorAll("[data-ago]")) {
      element.textContent = formatAgo(element.dataset.ago);
    }
  }

  // -- small DOM helpers --------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function setAt(node, iso) {
    if (iso) node.dataset.at = iso;
    else delete node.dataset.at;
  }

  const statusLabel = (status) => status.replace(/_/g, " ");

  function badge(status) {
    const node = el("span", `badge status-${status}`, statusLabel(status));
    return node;
  }

  // -- the agents table ---------------------------------------------------------------------

  const RESUMABLE = new Set(["exhausted", "paused", "needs_attention"]);

  function actionFor(agent) {
    if (agent.status === "resuming" || agent.resume_running) {
      return { label: "Resuming…", action: null };
    }
    if (RESUMABLE.has(agent.status)) return { label: "Resume now", action: "resume" };
    if (agent.status === "active") return { label: "Pause", action: "pause" };
    return null;
  }

  // Usage bars from the agent's own data (statusline, hooks, transcript, Codex rollout).
  function appendUsage(cell, agent) {
    const usage = agent.usage || {};
    for (const [name, label] of [["five_hour", "5h"], ["seven_day", "7d"]]) {
      const window = usage[name];
      if (!window || typeof window.used_percent !== "number") continue;
      const used = Math.max(0, Math.min(100, window.used_percent));
      const bar = el("div", "usage");
      bar.title = `${label} ${window.used_percent.toFixed(0)}% used` +
        (window.resets_at ? `, resets ${formatLocal(window.resets_at)}` : "") +
        ` (${window.source})`;
      bar.appendChild(el("span", "usage-label", `${label} ${used.toFixed(0)}%`));
      const track = el("span", "usage-track");
      const fill = el("span", used >= 95 ? "usage-fill high" : used >= 80 ? "usage-fill warn" : "usage-fill");
      fill.style.width = `${used}%`;
      track.appendChild(fill);
      bar.appendChild(track);
      cell.appendChild(bar);
    }
    if (agent.predicted_exhaustion) {
      cell.appendChild(el("div", "usage-note", `runs out ${formatLocal(agent.predicted_exhaustion)}`));
    }
  }

  function renderAgents() {
    const body = $("agent-rows");
    // Rows are rebuilt on every poll; keep keyboard focus on the same row's button.
    const focused = body.contains(document.activeElement) ? document.activeElement : null;
    const focusTarget = focused && focused.closest("tr") ? focused.closest("tr").dataset.target : null;
    body.replaceChildren();
    for (const agent of view.agents) {
      const row = el("tr");
      row.dataset.target = agent.target;
      row.appendChild(el("td", "target", agent.target));
      row.appendChild(el("td", "window", agent.window_name || "—"));
      const provider = [agent.provider, agent.model].filter(Boolean).join(" · ");
      const providerCell = el("td", "provider", provider || "—");
      appendUsage(providerCell, agent);
      row.appendChild(providerCell);
      const statusCell = el("td");
      statusCell.appendChild(badge(agent.status));
      row.appendChild(statusCell);
      const since = el("td", "since", formatAgo(agent.since));
      if (agent.since) {
        since.dataset.ago = agent.since;
        since.title = formatLocal(agent.since);
      }
      row.appendChild(since);
      const left = el("td", "countdown");
      const resumeAt = agent.status === "active" ? null : agent.scheduled_resume;
      setAt(left, resumeAt);
      left.textContent = "—";
      if (resumeAt) left.title = formatLocal(resumeAt);
      row.appendChild(left);
      let note = agent.message || "—";
      if (agent.unreachable) note += ` · not typed into: ${agent.unreachable}`;
      else if (agent.queue_stalled) note += ` · queue stalled (${agent.queued} held)`;
      const message = el("td", "message", note);
      if (agent.last_signal && agent.last_signal.evidence) message.title = agent.last_signal.evidence;
      row.appendChild(message);
      const actions = el("td", "actions");
      const choice = actionFor(agent);
      if (choice) {
        const button = el("button", "small", choice.label);
        button.type = "button";
        if (choice.action) {
          button.dataset.action = choice.action;
          button.dataset.target = agent.target;
        }
        button.disabled = !choice.action || view.pending.has(agent.target);
        actions.appendChild(button);
      }
      row.appendChild(actions);
      body.appendChild(row);
      if (focusTarget === agent.target && actions.firstChild && !actions.firstChild.disabled) {
        actions.firstChild.focus();
      }
    }
    $("no-agents").hidden = view.agents.length > 0;
    $("agents").hidden = view.agents.length === 0;
    const counts = {};
    for (const agent of view.agents) counts[agent.status] = (counts[agent.status] || 0) + 1;
    const parts = [`${view.agents.length} agent${view.agents.length === 1 ? "" : "s"}`];
    for (const [status, count] of Object.entries(counts)) parts.push(`${count} ${statusLabel(status)}`);
    $("summary").textContent = parts.join(" · ");
  }

  $("agent-rows").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const { action, target } = button.dataset;
    button.disabled = true;
    view.pending.add(target);
    try {
      const body = action === "pause" ? { reason: "paused on the dashboard" } : undefined;
      await api("POST", agentPath(target, action), body);
      setConnection(`${action === "pause" ? "Paused" : "Resume started for"} ${target}`, false);
    } catch (error) {
      setConnection(`${target}: ${error.message}`, true);
    } finally {
      view.pending.delete(target);
      refresh();
    }
  });

  // -- banners for dismissed alerts ---------------------------------------------------------

  function renderBanners() {
    const holder = $("banners");
    holder.replaceChildren();
    for (const agent of view.agents) {
      const alert = agent.alert;
      if (!alert || alert.resolution !== "dismissed" || agent.status === "active") continue;
      const resetAt = agent.scheduled_resume || alert.scheduled_resume;
      const banner = el("div", "banner");
      banner.setAttribute("role", "status");
      banner.dataset.target = agent.target;
      banner.appendChild(
        el("span", null, `${agent.target} is out of credits; resets at ${formatLocal(resetAt)}`),
      );
      if (resetAt) {
        const left = el("span", "banner-left");
        left.appendChild(document.createTextNode(" (in "));
        const count = el("span", "countdown");
        setAt(count, resetAt);
        left.appendChild(count);
        left.appendChild(document.createTextNode(")"));
        banner.appendChild(left);
      }
      holder.appendChild(banner);
    }
  }

  // -- events -------------------------------------------------------------------------------

  function eventDetail(event) {
    if (event.message) return event.message;
    const skip = new Set(["time", "event", "target"]);
    return Object.entries(event)
      .filter(([key, value]) => !skip.has(key) && value !== null && value !== "")
      .map(([key, value]) => `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`)
      .join(" ");
  }

  function renderEvents() {
    const list = $("events");
    list.replaceChildren();
    for (const event of view.events) {
      const item = el("li");
      const time = el("time", "event-time", formatClock(event.time));
      time.dateTime = event.time || "";
      time.title = formatLocal(event.time);
      item.appendChild(time);
      const family = String(event.event || "").split(".")[0];
      item.appendChild(el("span", `event-name family-${family}`, event.event));
      if (event.target) item.appendChild(el("span", "event-target", event.target));
      item.appendChild(el("span", "event-detail", eventDetail(event)));
      list.appendChild(item);
    }
    $("no-events").hidden = view.events.length > 0;
  }

  // -- the blocking "Out of credits" dialog -------------------------------------------------

  function agentOf(target) {
    return view.agents.find((agent) => agent.target === target) || null;
  }

  function setAlertStatus(text, isError) {
    const status = $("alert-status");
    status.textContent = text || "";
    status.classList.toggle("error", Boolean(isError));
  }

  function fillDialog(alert) {
    const agent = agentOf(alert.target);
    $("alert-target").textContent = alert.target;
    $("alert-window").textContent = agent && agent.window_name ? `(${agent.window_name})` : "";
    const provider = [alert.provider || "unknown provider", alert.model].filter(Boolean);
    $("alert-provider").textContent = provider.join(" · ");
    $("alert-message").textContent = alert.message || "This agent hit its usage limit.";
    const resetAt = alert.scheduled_resume || (agent && agent.scheduled_resume);
    $("alert-reset-local").textContent = formatLocal(resetAt);
    setAt($("alert-countdown"), resetAt);
    if (!resetAt) $("alert-countdown").textContent = "unknown";
    const others = view.alerts.length - 1;
    $("alert-more").textContent =
      others > 0 ? `${others} more agent${others === 1 ? " is" : "s are"} out of credits.` : "";
    const resuming = view.pending.has(alert.target) ||
      (agent && (agent.status === "resuming" || agent.resume_running));
    buttons.retry.disabled = Boolean(resuming);
    buttons.retry.textContent = resuming ? "Retrying…" : "Retry now";
  }

  function openDialog(alert) {
    view.shownAlertId = alert.id;
    setAlertStatus("");
    overlay.hidden = false;
    app.inert = true;
    app.classList.add("blocked");
    fillDialog(alert);
    buttons.retry.focus();
    if (document.activeElement !== buttons.retry) buttons.model.focus();
  }

  function closeDialog() {
    view.shownAlertId = null;
    overlay.hidden = true;
    app.inert = false;
    app.classList.remove("blocked");
  }

  function renderDialog() {
    const alert = view.alerts[0];
    if (!alert) {
      if (view.shownAlertId !== null) closeDialog();
      return;
    }
    if (alert.id !== view.shownAlertId) openDialog(alert);
    else fillDialog(alert);
  }

  const currentAlert = () => view.alerts.find((alert) => alert.id === view.shownAlertId);

  buttons.retry.addEventListener("click", async () => {
    const alert = currentAlert();
    if (!alert) return;
    buttons.retry.disabled = true;
    view.pending.add(alert.target);
    setAlertStatus(`Retrying ${alert.target}: sending a test message and waiting for its answer…`);
    try {
      await api("POST", agentPath(alert.target, "resume"));
    } catch (error) {
      setAlertStatus(`Retry failed: ${error.message}`, true);
      buttons.retry.disabled = false;
    } finally {
      view.pending.delete(alert.target);
      refresh();
    }
  });

  buttons.model.addEventListener("click", async () => {
    const alert = currentAlert();
    if (!alert) return;
    buttons.model.disabled = true;
    setAlertStatus(`Asking ${alert.target} to change model…`);
    try {
      const result = await api("POST", agentPath(alert.target, "switch-model"));
      const note = result.delivered ? "" : " (the pane did not change; check the agent)";
      setAlertStatus(`Sent “${result.sent}” to ${alert.target}${note}.`);
    } catch (error) {
      setAlertStatus(`Could not change model: ${error.message}`, true);
    } finally {
      buttons.model.disabled = false;
    }
  });

  buttons.dismiss.addEventListener("click", async () => {
    const alert = currentAlert();
    if (!alert) return;
    buttons.dismiss.disabled = true;
    try {
      await api("POST", `/api/credit-alerts/${encodeURIComponent(alert.id)}/dismiss`);
      view.alerts = view.alerts.filter((item) => item.id !== alert.id);
      const agent = agentOf(alert.target);
      if (agent) {
        agent.alert = Object.assign({}, agent.alert || alert, { resolution: "dismissed" });
        if (!agent.scheduled_resume) agent.scheduled_resume = alert.scheduled_resume;
      }
      closeDialog();
      render();
    } catch (error) {
      setAlertStatus(`Could not dismiss: ${error.message}`, true);
    } finally {
      buttons.dismiss.disabled = false;
      refresh();
    }
  });

  // The dialog is blocking: Escape does nothing, and Tab stays on its buttons.
  document.addEventListener(
    "keydown",
    (event) => {
      if (overlay.hidden) return;
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        setAlertStatus("Choose Retry now, Change AI model or Dismiss.");
        return;
      }
      if (event.key === "Tab") {
        const order = [buttons.retry, buttons.model, buttons.dismiss].filter((b) => !b.disabled);
        if (order.length === 0) return;
        const index = order.indexOf(document.activeElement);
        const next = event.shiftKey
          ? order[(index <= 0 ? order.length : index) - 1]
          : order[(index + 1) % order.length];
        event.preventDefault();
        next.focus();
      }
    },
    true,
  );

  // -- polling ------------------------------------------------------------------------------

  function setConnection(text, isError) {
    const node = $("connection");
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  // Whether anything is watching: "last sweep 40s ago", a warning when it is stale.
  function renderLiveness() {
    const node = $("liveness");
    node.textContent = "";
    node.classList.toggle("stale", view.sweepStale === true);
    if (view.lastSweep === null) {
      node.textContent = "No sweep yet: start `credit-monitor watch` or `credit-monitor cron install`.";
      node.classList.add("stale");
      return;
    }
    node.appendChild(document.createTextNode("Last sweep "));
    const ago = el("span", "ago");
    ago.dataset.ago = view.lastSweep;
    node.appendChild(ago);
    if (view.sweepStale === true) {
      node.appendChild(
        document.createTextNode(" — no monitor seems to be running (no watch, no cron)."),
      );
    }
  }

  function render() {
    renderLiveness();
    renderAgents();
    renderBanners();
    renderEvents();
    renderDialog();
    tick();
  }

  let timer = null;
  let inFlight = null;

  async function poll() {
    const [agents, alerts, events] = await Promise.all([
      api("GET", "/api/agents"),
      api("GET", "/api/credit-alerts"),
      api("GET", `/api/events?limit=${EVENT_LIMIT}`),
    ]);
    const serverTime = parseTime(agents.now);
    if (serverTime !== null) view.skewMs = serverTime - Date.now();
    view.agents = agents.agents;
    view.lastSweep = agents.last_sweep ?? null;
    view.sweepStale = agents.sweep_stale ?? null;
    view.alerts = alerts.alerts;
    view.events = events.events;
    render();
    setConnection(`Updated ${new Date().toLocaleTimeString()}`, false);
  }

  let signedOut = false;

  function refresh() {
    if (inFlight) return inFlight;
    clearTimeout(timer);
    inFlight = poll()
      .catch((error) => {
        // The sign-in cookie is missing or from an earlier run: polling on will not help.
        signedOut = error.status === 401 || error.status === 429;
        if (signedOut) {
          setConnection(
            "Not signed in: open the address that `credit-monitor web` printed " +
              "(it ends in ?token=…), then reload.",
            true,
          );
        } else {
          setConnection(`Cannot reach the server: ${error.message}`, true);
        }
      })
      .finally(() => {
        inFlight = null;
        if (!signedOut) timer = setTimeout(refresh, POLL_MS);
      });
    return inFlight;
  }

  // Exposed for tests and debugging: the page's current data and a forced refresh.
  window.creditMonitor = { view, refresh };

  setInterval(tick, 1000);
  refresh();
})();
