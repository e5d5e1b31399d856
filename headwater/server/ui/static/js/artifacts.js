// Artifacts: table artifacts paged and sortable (a click on a column header sorts by
// it, a second click reverses); progress bars follow their artifact while below 100.
(function () {
  "use strict";

  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  // {columns, rows} from a list of row objects, an object of columns, or a list of rows.
  function tableOf(data) {
    if (Array.isArray(data)) {
      if (data.length && data.every(function (r) { return r && typeof r === "object" && !Array.isArray(r); })) {
        var names = [];
        var seen = {};
        data.forEach(function (r) {
          Object.keys(r).forEach(function (k) { if (!seen[k]) { seen[k] = true; names.push(k); } });
        });
        return { columns: names, rows: data.map(function (r) { return names.map(function (k) { return r[k]; }); }) };
      }
      var rows = data.map(function (r) { return Array.isArray(r) ? r : [r]; });
      var width = rows.reduce(function (w, r) { return Math.max(w, r.length); }, 0);
      var cols = [];
      for (var i = 0; i < width; i++) cols.push(String(i));
      return { columns: cols, rows: rows };
    }
    if (data && typeof data === "object") {
      var keys = Object.keys(data);
      var count = keys.reduce(function (n, k) { return Math.max(n, (data[k] || []).length); }, 0);
      var out = [];
      for (var j = 0; j < count; j++) out.push(keys.map(function (k) { return (data[k] || [])[j]; }));
      return { columns: keys, rows: out };
    }
    return { columns: ["value"], rows: [[data]] };
  }

  function setUpTable(root) {
    var data = tableOf(JSON.parse(root.querySelector("script.table-data").textContent));
    var columns = data.columns;
    var rows = data.rows.slice();
    root.querySelector(".table-summary").textContent = rows.length.toLocaleString("en") + " rows";
    var size = parseInt(root.getAttribute("data-page-size"), 10) || 50;
    var page = 0;
    var sortColumn = -1;
    var descending = false;
    var thead = root.querySelector("thead");
    var tbody = root.querySelector("tbody");
    var label = root.querySelector(".page-label");
    var prev = root.querySelector(".prev");
    var next = root.querySelector(".next");
    var pages = Math.max(1, Math.ceil(rows.length / size));

    var headRow = document.createElement("tr");
    columns.forEach(function (name, index) {
      var th = document.createElement("th");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = name;
      button.addEventListener("click", function () {
        descending = sortColumn === index ? !descending : false;
        sortColumn = index;
        rows.sort(function (x, y) {
          var order = compare(x[index], y[index]);
          return descending ? -order : order;
        });
        headRow.querySelectorAll("th").forEach(function (cell, i) {
          cell.setAttribute("aria-sort", i === index ? (descending ? "descending" : "ascending") : "none");
        });
        page = 0;
        draw();
      });
      th.setAttribute("aria-sort", "none");
      th.appendChild(button);
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);

    function draw() {
      var fragment = document.createDocumentFragment();
      rows.slice(page * size, (page + 1) * size).forEach(function (row) {
        var tr = document.createElement("tr");
        for (var i = 0; i < columns.length; i++) {
          var td = document.createElement("td");
          td.textContent = cellText(row[i]);  // text, never HTML
          tr.appendChild(td);
        }
        fragment.appendChild(tr);
      });
      tbody.replaceChildren(fragment);
      label.textContent = "Page " + (page + 1) + " of " + pages;
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    prev.addEventListener("click", function () { if (page > 0) { page--; draw(); } });
    next.addEventListener("click", function () { if (page < pages - 1) { page++; draw(); } });
    draw();
    root.setAttribute("data-ready", "true");
  }

  function followProgress(root) {
    var bar = root.querySelector("progress");
    var label = root.querySelector(".progress-label");
    function poll() {
      if (parseFloat(bar.value) >= 100) return;
      fetch(root.getAttribute("data-data-url"), { headers: { accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && typeof body.data === "number") {
            bar.value = body.data;
            label.textContent = Math.round(body.data) + " %";
          }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 2000);
  }

  document.querySelectorAll(".artifact-table").forEach(setUpTable);
  document.querySelectorAll(".artifact-progress").forEach(followProgress);
})();
