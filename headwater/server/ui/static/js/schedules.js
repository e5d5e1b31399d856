// Deployment page: each schedule form shows its timing in words and the next five
// times (in the browser's time zone) as it is typed, from /schedule-preview.
(function () {
  "use strict";

  function wire(form) {
    const kind = form.querySelector('[name="kind"]');
    const value = form.querySelector('[name="value"]');
    const zone = form.querySelector('[name="timezone"]');
    const out = form.querySelector(".schedule-preview");
    if (!kind || !value || !out) return;
    let timer = null;
    let asked = 0;
    const show = async () => {
      const mine = ++asked;
      if (!value.value.trim()) { out.textContent = ""; return; }
      const query = new URLSearchParams({ kind: kind.value, value: value.value, timezone: zone ? zone.value : "UTC" });
      const answer = await window.hw.getJSON(`/schedule-preview?${query}`);
      if (mine !== asked) return; // a newer keystroke asked again
      out.replaceChildren();
      if (answer.problem) {
        out.classList.add("problem");
        out.textContent = answer.problem;
        return;
      }
      out.classList.remove("problem");
      const words = document.createElement("p");
      words.className = "schedule-words";
      words.textContent = answer.description;
      const list = document.createElement("ol");
      list.className = "next-times";
      list.setAttribute("aria-label", "Next runs");
      for (const ts of answer.next) {
        const item = document.createElement("li");
        item.textContent = window.hw.localTime(ts);
        list.appendChild(item);
      }
      out.append(words, list);
    };
    const later = () => { clearTimeout(timer); timer = setTimeout(() => show().catch((err) => console.warn(err)), 250); };
    for (const input of [kind, value, zone]) if (input) input.addEventListener("input", later);
    kind.addEventListener("change", later);
    form.addEventListener("submit", () => { clearTimeout(timer); asked++; });
    // An edit form (in a closed <details>) previews its timing when it is opened,
    // not on every page load.
    const details = form.closest("details");
    if (details) details.addEventListener("toggle", () => { if (details.open) later(); });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form.schedule-form")) wire(form);
  });
})();
