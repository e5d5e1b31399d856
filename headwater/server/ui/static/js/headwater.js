// Headwater UI: the little script every page shares.  No framework, no build step.
// window.hw offers: hw.send(url, body) (POST with the CSRF token), hw.poll(fn, ms)
// (repeats while the tab is visible, backing off when slow), hw.freshRegion(id) (the
// page's element fetched again), hw.localTimes(root).
(function () {
  "use strict";

  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  async function send(url, body, method) {
    const init = {
      method: method || "POST",
      headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" },
      credentials: "same-origin",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.detail) || response.statusText);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(response.statusText);
    return response.json();
  }

  // Fetches this page's HTML again and returns its element `id` (null if it is gone):
  // a page rendered on the server refreshes one region with one renderer.
  async function freshRegion(id) {
    const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (!response.ok) throw new Error(`refresh answered ${response.status}`);
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    return fresh.getElementById(id);
  }

  // Calls fn every `ms` while the page is visible; stops when fn returns false.
  // Backs off when the server is slow or failing: the next call waits at least four
  // times as long as the last one took, doubling after each failure (at most 30 s),
  // and comes back to `ms` once answers are quick again.
  const MAX_POLL_MS = 30000;
  function poll(fn, ms) {
    let timer = null;
    let stopped = false;
    let delay = ms;
    const tick = async () => {
      timer = null;
      if (stopped) return;
      if (!document.hidden) {
        let again = true;
        const began = performance.now();
        try {
          again = (await fn()) !== false;
          delay = Math.min(MAX_POLL_MS, Math.max(ms, 4 * (performance.now() - began)));
        } catch (err) {
          console.warn("headwater: update failed", err);
          delay = Math.min(MAX_POLL_MS, Math.max(ms, delay * 2));
        }
        if (!again) { stopped = true; return; }
      }
      timer = setTimeout(tick, delay);
    };
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && !stopped && timer === null) tick();
    });
    timer = setTimeout(tick, ms);
    return {
      stop() { stopped = true; if (timer) clearTimeout(timer); },
      get delay() { return delay; },
    };
  }

  const pad = (n) => String(n).padStart(2, "0");
  function localTime(seconds) {
    const d = new Date(seconds * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // <time data-ts="epoch"> shows local time; the UTC text stays in the tooltip.
  function localTimes(root) {
    for (const el of (root || document).querySelectorAll("time[data-ts]")) {
      if (el.dataset.local) continue;
      const ts = parseFloat(el.dataset.ts);
      if (!Number.isFinite(ts)) continue;
      el.title = el.textContent + " UTC";
      el.textContent = localTime(ts);
      el.dataset.local = "1";
    }
  }

  function wireForms(root) {
    // <form data-confirm="Delete 3 runs?"> asks first.
    for (const form of (root || document).querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    }
    // <input type="checkbox" data-select-all="name"> toggles every checkbox of that name.
    for (const box of (root || document).querySelectorAll("input[data-select-all]")) {
      box.addEventListener("change", () => {
        for (const other of document.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`)) {
          other.checked = box.checked;
          other.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    }
  }

  window.hw = { send, getJSON, poll, freshRegion, localTime, localTimes, csrfToken };
  document.addEventListener("DOMContentLoaded", () => {
    localTimes(document);
    wireForms(document);
  });
})();
