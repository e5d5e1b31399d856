// Flow run page: while the run is not finished, poll /flow-runs/{id}/live every
// second, backing off when slow (hw.poll): new log lines (unless an older page of the
// logs is shown), "Logs (N)", state, history, timing, the task runs' state counts and
// table (on its first page); stop when the run is final.  The graph and the timeline
// poll on their own (run_graph.js, run_timeline.js).  Cancel and Retry are
// sent with hw.send so the page updates in place (the forms also work without JS).
(function () {
  "use strict";

  const MAX_LINES = 5000;      // lines kept on the page while tailing

  function init() {
    const root = document.getElementById("flow-run");
    if (!root || !window.hw) return;
    const lines = document.getElementById("log-lines");
    const seen = new Set();
    for (const el of lines.querySelectorAll(".log-line")) seen.add(el.dataset.id);
    let lastTs = parseFloat(root.dataset.lastTs);
    if (!Number.isFinite(lastTs)) lastTs = 0;
    let poller = null;
    let tasksHtml = null;  // the last task-runs partial swapped in

    const el = (tag, cls, text) => {
      const node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text !== undefined && text !== null) node.textContent = text;
      return node;
    };
    const badge = (type, name) => {
      const t = (type || "unknown").toLowerCase();
      return el("span", `badge state-${t}`, name || (t.charAt(0).toUpperCase() + t.slice(1)));
    };
    const timeNode = (ts) => {
      if (ts === null || ts === undefined) return el("span", "muted", "—");
      const node = el("time", null, window.hw.localTime(ts));
      node.dataset.ts = ts;
      node.dataset.local = "1";
      node.dateTime = new Date(ts * 1000).toISOString();
      return node;
    };
    const duration = (s) => {
      if (s === null || s === undefined) return "—";
      if (s < 1) return `${Math.round(s * 1000)}ms`;
      if (s < 60) return `${s.toFixed(1)}s`;
      const m = Math.floor(s / 60), sec = Math.floor(s % 60);
      if (m < 60) return `${m}m ${String(sec).padStart(2, "0")}s`;
      const h = Math.floor(m / 60);
      return `${h}h ${String(m % 60).padStart(2, "0")}m`;
    };
    const replace = (id, node) => {
      const target = document.getElementById(id);
      if (target) target.replaceChildren(node);
    };

    function appendLogs(logs) {
      if (!logs.length) return;
      const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 40;
      const fragment = document.createDocumentFragment();
      for (const line of logs) {
        if (line.ts > lastTs) lastTs = line.ts;
        if (seen.has(line.id)) continue;
        seen.add(line.id);
        const row = el("div", `log-line level-${line.level_name.toLowerCase()}`);
        row.dataset.id = line.id;
        row.append(timeNode(line.ts), " ", el("span", "log-level", line.level_name), " ");
        const task = el("span", "log-task");
        if (line.task_run_id) {
          const link = el("a", null, line.task_name || line.task_run_id.slice(0, 8));
          link.href = `/task-runs/${line.task_run_id}`;
          task.append(link);
        }
        row.append(task, " ", el("span", "log-message", line.message));
        fragment.append(row);
      }
      lines.append(fragment);
      while (lines.childElementCount > MAX_LINES) lines.firstElementChild.remove();
      document.getElementById("log-empty").hidden = lines.childElementCount > 0;
      if (atBottom) lines.scrollTop = lines.scrollHeight;
    }

    function showState(data) {
      replace("run-state", badge(data.state.type, data.state.name));
      const message = document.getElementById("state-message");
      message.textContent = data.state.message || "";
      message.hidden = !data.state.message;
      replace("run-start", timeNode(data.start_time));
      replace("run-end", timeNode(data.end_time));
      document.getElementById("run-duration").textContent = duration(data.duration);
      document.getElementById("run-count").textContent = data.run_count;
      document.getElementById("task-total").textContent = data.task_total.toLocaleString("en-US");
      const history = document.getElementById("state-history");
      if (history.childElementCount !== data.history.length) {
        const items = data.history.map((s) => {
          const li = el("li");
          li.append(badge(s.type, s.name), " ", timeNode(s.ts));
          if (s.message) li.append(" ", el("span", "muted", s.message));
          return li;
        });
        history.replaceChildren(...items);
      }
      document.getElementById("cancel-form").hidden = !data.can_cancel;
      document.querySelector("#cancel-form button").disabled = !data.can_cancel;
      document.getElementById("retry-form").hidden = !data.show_retry;
      const retryButton = document.querySelector("#retry-form button");
      retryButton.disabled = !data.can_retry;
      const why = document.getElementById("retry-why");
      why.textContent = data.retry_blocker ? `Retry is not available: ${data.retry_blocker}.` : "";
      why.hidden = !(data.show_retry && data.retry_blocker);
      document.getElementById("live-status").textContent = data.final ? "" : "Live";
      root.dataset.final = data.final ? "true" : "false";
    }

    // "Logs (N)" and the task runs' state counts and first page (server-rendered
    // by _task_runs.html, swapped in whole).
    function showCounts(data, tasksLive) {
      const matching = root.dataset.logFiltered === "true" ? " matching" : "";
      document.getElementById("log-count").textContent =
        `(${data.log_total.toLocaleString("en-US")}${matching})`;
      const live = document.getElementById("task-runs-live");
      if (!tasksLive || !live || data.tasks_html === null) return;
      if (tasksHtml === data.tasks_html) return;  // unchanged: keep focus and selection
      const fresh = new DOMParser().parseFromString(data.tasks_html, "text/html")
        .getElementById("task-runs-live");
      if (!fresh) return;
      live.replaceChildren(...fresh.childNodes);
      live.dataset.taskTotal = fresh.dataset.taskTotal;
      tasksHtml = data.tasks_html;
      window.hw.localTimes(live);
    }

    // The run's events (server-rendered by _run_events.html, swapped in whole when they
    // changed; an event opened stays open).
    let eventsHtml = null;
    function showEvents(html) {
      const live = document.getElementById("run-events-live");
      if (!live || !html || html === eventsHtml) return;
      const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("run-events-live");
      if (!fresh) return;
      const open = new Set(Array.from(live.querySelectorAll("li[data-event-id] details[open]"), (d) => d.closest("li").dataset.eventId));
      live.replaceChildren(...fresh.childNodes);
      for (const li of live.querySelectorAll("li[data-event-id]")) {
        if (open.has(li.dataset.eventId)) li.querySelector("details").open = true;
      }
      eventsHtml = html;
      window.hw.localTimes(live);
    }

    async function tick() {
      const params = new URLSearchParams();
      if (lastTs) params.set("after", String(lastTs));
      if (root.dataset.logLevel) params.set("level", root.dataset.logLevel);
      if (root.dataset.logQ) params.set("q", root.dataset.logQ);
      if (root.dataset.logTask) params.set("task", root.dataset.logTask);
      // The task table is refreshed only on its first page (a later page's rows
      // would shift under the reader).
      const tasksLive = root.dataset.tasksPaged !== "true";
      if (tasksLive) params.set("tasks", "1");
      if (document.getElementById("run-events-live")) params.set("events", "1");
      if (root.dataset.taskState) params.set("task_state", root.dataset.taskState);
      const data = await window.hw.getJSON(`${root.dataset.liveUrl}?${params}`);
      if (root.dataset.logPaged !== "true") appendLogs(data.logs);
      showState(data);
      showCounts(data, tasksLive);
      showEvents(data.events_html);
      return !data.final;
    }

    function startPolling() {
      if (poller) poller.stop();
      poller = window.hw.poll(tick, 1000);
    }

    async function act(form, event) {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        await window.hw.send(form.action);
        startPolling();
        await tick();
      } catch (err) {
        const why = document.getElementById("retry-why");
        why.textContent = err.message;
        why.hidden = false;
        button.disabled = false;
      }
    }

    for (const id of ["cancel-form", "retry-form"]) {
      const form = document.getElementById(id);
      form.addEventListener("submit", (event) => {
        if (event.defaultPrevented) return; // the confirmation was declined
        act(form, event);
      });
    }
    lines.scrollTop = lines.scrollHeight;
    if (root.dataset.final !== "true") startPolling();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
