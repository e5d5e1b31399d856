// The custom-run form: checks values in the browser before they are sent (the
// server checks them again and marks the fields it refuses).  JSON fields must
// parse; the other inputs use their HTML attributes (required, min, max, step).
(function () {
  "use strict";

  function fieldOf(input) { return input.closest(".field"); }

  function mark(input, message) {
    const field = fieldOf(input);
    const error = document.getElementById(input.id + "-error");
    if (field) field.classList.toggle("invalid", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    if (error) { error.textContent = message; error.hidden = !message; }
    if (error) {
      const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && id !== error.id);
      if (message) ids.push(error.id);
      input.setAttribute("aria-describedby", ids.join(" "));
    }
  }

  function problemOf(input) {
    if (input.type === "hidden" || input.type === "checkbox") return "";
    if (input.matches("textarea[data-json]")) {
      const text = input.value.trim();
      if (!text) return input.required ? "is required" : "";
      try { JSON.parse(text); } catch (err) { return "is not valid JSON: " + err.message; }
      return "";
    }
    return input.checkValidity() ? "" : input.validationMessage;
  }

  function setOffset(form) {
    const start = form.querySelector("#start_at");
    const offset = form.querySelector("#tz_offset");
    if (!start || !offset) return;
    const when = start.value ? new Date(start.value) : null;
    offset.value = when && !Number.isNaN(when.getTime()) ? String(when.getTimezoneOffset()) : "";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("custom-run");
    if (!form) return;
    form.noValidate = true;  // our messages, by the field, instead of the browser's bubbles
    const inputs = Array.from(form.querySelectorAll("input, select, textarea"));
    for (const input of inputs) {
      input.addEventListener("input", () => { if (input.getAttribute("aria-invalid")) mark(input, problemOf(input)); });
    }
    form.addEventListener("submit", (event) => {
      let first = null;
      for (const input of inputs) {
        const problem = problemOf(input);
        mark(input, problem);
        if (problem && !first) first = input;
      }
      if (first) {
        event.preventDefault();
        first.focus();
        return;
      }
      setOffset(form);
    });
    const invalid = form.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  });
})();
