// Dashboard: the chart's axis and labels in the browser's time zone, and the figures
// refreshed every few seconds while the tab is visible (the page's own HTML is fetched
// again and its live region swapped in: one renderer, on the server).
(function () {
  "use strict";

  const pad = (n) => String(n).padStart(2, "0");
  const zone = () => {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time"; } catch (_) { return "local time"; }
  };
  function tick(seconds, withDay) {
    const d = new Date(seconds * 1000);
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return withDay ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
  }

  // Rewrites what the server wrote in UTC: tick labels, bar labels, the zone's name.
  function localChart(root) {
    for (const el of root.querySelectorAll(".tz-name")) el.textContent = zone();
    for (const text of root.querySelectorAll(".run-chart text.tick[data-ts]")) {
      text.textContent = tick(parseFloat(text.dataset.ts), text.dataset.withDay === "1");
    }
    for (const bar of root.querySelectorAll(".run-chart .bar[data-start]")) {
      const from = window.hw.localTime(parseFloat(bar.dataset.start)).slice(0, 16);
      const to = window.hw.localTime(parseFloat(bar.dataset.end)).slice(0, 16);
      const label = `${from} to ${to}: ${bar.dataset.summary}`;
      bar.setAttribute("aria-label", label);
      const title = bar.querySelector("title");
      if (title) title.textContent = label;
    }
    window.hw.localTimes(root);
  }

  function autoRefresh() {
    const live = document.getElementById("dashboard-live");
    const toggle = document.getElementById("auto-refresh");
    const stamp = document.getElementById("refreshed");
    if (!live || !toggle) return;
    const seconds = parseFloat(live.dataset.refresh) || 10;
    window.hw.poll(async () => {
      if (!toggle.checked) return true;
      const next = await window.hw.freshRegion("dashboard-live");
      if (!next) return true;
      // Keep the focused bar focused across the swap (keyboard users).
      const focused = document.activeElement && document.activeElement.closest(".run-chart .bar");
      const focusIndex = focused ? Array.from(live.querySelectorAll(".run-chart .bar")).indexOf(focused) : -1;
      live.innerHTML = next.innerHTML;
      localChart(live);
      if (focusIndex >= 0) {
        const again = live.querySelectorAll(".run-chart .bar")[focusIndex];
        if (again) again.focus();
      }
      if (stamp) {
        stamp.innerHTML = `updated <time data-ts="${Date.now() / 1000}">${window.hw.localTime(Date.now() / 1000)}</time>`;
      }
      live.dispatchEvent(new CustomEvent("hw:refreshed", { bubbles: true }));
      return true;
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    localChart(document);
    autoRefresh();
  });
})();
