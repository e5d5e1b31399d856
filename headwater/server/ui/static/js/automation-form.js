// Automation form: each action shows the fields of its type; actions are added from
// the <template id="action-template"> (its "__i__" becomes the next index) and removed.
// Without this script every field shows, and the server reads only the type's fields.
(function () {
  "use strict";

  function showFields(group) {
    const type = group.querySelector("select.action-type").value;
    for (const part of group.querySelectorAll("[data-for]")) {
      part.hidden = !part.dataset.for.split(" ").includes(type);
    }
  }

  function renumber(list) {
    list.querySelectorAll("fieldset.action .action-number").forEach((span, n) => { span.textContent = String(n + 1); });
  }

  function wire(group, list) {
    group.querySelector("select.action-type").addEventListener("change", () => showFields(group));
    group.querySelector(".remove-action").addEventListener("click", () => { group.remove(); renumber(list); });
    showFields(group);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const list = document.getElementById("actions");
    const template = document.getElementById("action-template");
    const add = document.getElementById("add-action");
    if (!list || !template || !add) return;
    let next = 0;
    for (const group of list.querySelectorAll("fieldset.action")) {
      next = Math.max(next, parseInt(group.dataset.index, 10) + 1);
      wire(group, list);
    }
    add.addEventListener("click", () => {
      const html = template.innerHTML.replaceAll("__i__", String(next++));
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const group = holder.querySelector("fieldset.action");
      list.appendChild(group);
      wire(group, list);
      renumber(list);
      group.querySelector("select.action-type").focus();
    });
  });
})();
