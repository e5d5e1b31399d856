// /flow-runs: the bulk bar follows the selection, and unfinished rows' states stay current.
(function () {
  "use strict";

  function wireBulk() {
    const form = document.getElementById("bulk");
    if (!form) return;
    const label = document.getElementById("selected-count");
    const buttons = form.querySelectorAll("button[name=action]");
    const selected = () => document.querySelectorAll('input[name="ids"][form="bulk"]:checked');
    const update = () => {
      const n = selected().length;
      label.textContent = `${n} selected`;
      for (const button of buttons) button.disabled = n === 0;
    };
    document.addEventListener("change", (event) => {
      if (event.target.matches('input[type=checkbox][form="bulk"]')) update();
    });
    form.addEventListener("submit", (event) => {
      const n = selected().length;
      const action = event.submitter ? event.submitter.value : "";
      const what = `${n} run${n === 1 ? "" : "s"}`;
      const question = action === "delete"
        ? `Delete ${what} with their task runs and logs? This cannot be undone.`
        : `Cancel ${what}?`;
      if (!window.confirm(question)) event.preventDefault();
    });
    update();
  }

  function badgeClass(type) { return `badge state-${String(type).toLowerCase()}`; }

  function liveStates() {
    const pending = () => Array.from(document.querySelectorAll('tr[data-run-id][data-final="0"]'));
    if (pending().length === 0) return;
    window.hw.poll(async () => {
      const rows = pending();
      if (rows.length === 0) return false;
      const query = rows.map((row) => `ids=${encodeURIComponent(row.dataset.runId)}`).join("&");
      const states = await window.hw.getJSON(`/flow-run-states?${query}`);
      for (const row of rows) {
        const state = states[row.dataset.runId];
        if (!state) continue;
        const badge = row.querySelector(".state-cell .badge");
        if (badge && (badge.textContent !== state.state_name)) {
          badge.className = badgeClass(state.state_type);
          badge.textContent = state.state_name;
        }
        if (state.final) row.dataset.final = "1";
      }
      return pending().length > 0;
    }, 3000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireBulk();
    liveStates();
  });
})();
