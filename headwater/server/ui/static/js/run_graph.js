// Flow run page, the run graph: fetch the laid-out DAG (/flow-runs/{id}/graph:
// the server computes every position) and draw it on a canvas.  Drag pans, the
// wheel zooms around the pointer; clicking a task opens its task run, a subflow its
// flow run, a folded "×N" node unfolds it (fetched again with ?expand=).  While the
// run is not final the graph is fetched again every few seconds.
// window.hwRunGraph exposes the drawn graph (tests and the timeline use it).
(function () {
  "use strict";

  const POLL_MS = 3000;
  const MIN_ZOOM = 0.02, MAX_ZOOM = 3;

  function init() {
    const section = document.getElementById("run-graph");
    if (!section) return;
    const canvas = document.getElementById("graph-canvas");
    const tip = document.getElementById("graph-tip");
    const summary = document.getElementById("graph-summary");
    const ctx = canvas.getContext("2d");
    const css = getComputedStyle(document.documentElement);
    const textColor = css.getPropertyValue("--text").trim() || "#222";
    const surface = css.getPropertyValue("--surface").trim() || "#fff";
    const edgeColor = css.getPropertyValue("--muted").trim() || "#888";
    const { stateColors, fitCanvas, interact, repeat } = window.hwCanvas;
    let colors = stateColors();
    const expanded = new Set();
    let graph = null;
    let view = { k: 1, x: 20, y: 20 };   // screen = world * k + (x, y)
    let fitted = false;
    let frame = 0;

    const size = () => fitCanvas(canvas);

    function fit() {
      if (!graph) return;
      // A small graph gets a shorter canvas (160 to 460 px).
      canvas.style.height = `${Math.max(160, Math.min(460, graph.height + 40))}px`;
      const { w, h } = size();
      const k = Math.min((w - 40) / Math.max(graph.width, 1), (h - 40) / Math.max(graph.height, 1));
      view.k = Math.max(0.25, Math.min(1, k));
      view.x = 20;
      view.y = 20;
      draw();
    }

    function draw() {
      frame = 0;
      if (!graph) return;
      const { w, h, ratio } = size();
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const { k, x: ox, y: oy } = view;
      const nw = graph.node_width, nh = graph.node_height;
      // The world rectangle on screen, to skip what is off it.
      const x0 = -ox / k - nw, x1 = (w - ox) / k, y0 = -oy / k - nh, y1 = (h - oy) / k;
      const nodes = graph.nodes;
      ctx.strokeStyle = edgeColor;
      ctx.globalAlpha = 0.55;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (const [s, t] of graph.edges) {
        const a = nodes[s], b = nodes[t];
        if ((a.x < x0 && b.x < x0) || (a.x > x1 && b.x > x1)) continue;
        if ((a.y < y0 && b.y < y0) || (a.y > y1 && b.y > y1)) continue;
        const sx = (a.x + nw) * k + ox, sy = (a.y + nh / 2) * k + oy;
        const tx = b.x * k + ox, ty = (b.y + nh / 2) * k + oy;
        const mid = (sx + tx) / 2;
        ctx.moveTo(sx, sy);
        ctx.bezierCurveTo(mid, sy, mid, ty, tx, ty);
      }
      ctx.stroke();
      ctx.globalAlpha = 1;
      const labels = k >= 0.45;
      ctx.font = `${Math.round(12 * Math.min(k, 1.4))}px system-ui, sans-serif`;
      ctx.textBaseline = "middle";
      for (const node of nodes) {
        if (node.x < x0 || node.x > x1 || node.y < y0 || node.y > y1) continue;
        const sx = node.x * k + ox, sy = node.y * k + oy, sw = nw * k, sh = nh * k;
        const color = colors[node.state] || colors.UNKNOWN;
        if (node.kind === "mapped") {  // a stack of cards
          ctx.fillStyle = color;
          ctx.globalAlpha = 0.35;
          ctx.fillRect(sx + 4 * k, sy - 4 * k, sw, sh);
          ctx.globalAlpha = 1;
        }
        ctx.fillStyle = surface;
        ctx.fillRect(sx, sy, sw, sh);
        ctx.fillStyle = color;
        ctx.fillRect(sx, sy, Math.max(3 * k, 2), sh);
        if (node.kind === "mapped") {  // its members' states, as a bar along the bottom
          let at = sx;
          for (const [state, n] of Object.entries(node.states)) {
            const part = (sw * n) / node.members;
            ctx.fillStyle = colors[state] || colors.UNKNOWN;
            ctx.fillRect(at, sy + sh - 3 * k, part, 3 * k);
            at += part;
          }
        }
        ctx.strokeStyle = color;
        ctx.lineWidth = node.kind === "subflow" ? 2 : 1;
        ctx.strokeRect(sx + 0.5, sy + 0.5, sw - 1, sh - 1);
        if (node.retries > 0) {  // retried: a ring with the number of retries
          ctx.fillStyle = colors.LATE || "#c08a00";
          ctx.beginPath();
          ctx.arc(sx + sw - 6 * k, sy + 6 * k, Math.max(4 * k, 2), 0, Math.PI * 2);
          ctx.fill();
        }
        if (labels) {
          ctx.fillStyle = textColor;
          const prefix = node.kind === "subflow" ? "\u25B8 " : "";
          const retry = node.retries > 0 ? ` \u21BB${node.retries}` : "";
          let text = prefix + node.label + retry;
          const room = sw - 14 * k;
          if (ctx.measureText(text).width > room) {
            while (text.length > 2 && ctx.measureText(text + "\u2026").width > room) {
              text = text.slice(0, -1);
            }
            text += "\u2026";
          }
          ctx.fillText(text, sx + 8 * k, sy + sh / 2);
        }
      }
    }

    function redraw() {
      if (!frame) frame = requestAnimationFrame(draw);
    }

    function nodeAt(px, py) {
      if (!graph) return null;
      const wx = (px - view.x) / view.k, wy = (py - view.y) / view.k;
      const nw = graph.node_width, nh = graph.node_height;
      for (const node of graph.nodes) {
        if (wx >= node.x && wx <= node.x + nw && wy >= node.y && wy <= node.y + nh) return node;
      }
      return null;
    }

    // A task opens its task run, a subflow its own flow run.
    const href = (node) => node.kind === "subflow"
      ? `/flow-runs/${node.flow_run_id}` : `/task-runs/${node.id}`;

    function describe(node) {
      if (node.kind === "mapped") {
        const parts = Object.entries(node.states).map(([s, n]) => `${n} ${s.toLowerCase()}`);
        return `${node.label}: ${node.members} calls (${parts.join(", ")})` +
          (node.retries ? `, ${node.retries} retries` : "") + " \u2014 click to unfold";
      }
      const state = node.state_name || node.state.charAt(0) + node.state.slice(1).toLowerCase();
      return `${node.kind === "subflow" ? "Subflow " : ""}${node.label}: ${state}` +
        (node.retries ? `, ${node.retries} ${node.retries === 1 ? "retry" : "retries"}` : "");
    }

    async function load() {
      const params = new URLSearchParams();
      for (const id of expanded) params.append("expand", id);
      const response = await fetch(`${section.dataset.graphUrl}?${params}`,
        { credentials: "same-origin", headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`graph: HTTP ${response.status}`);
      graph = await response.json();
      colors = stateColors();
      const folded = graph.nodes.filter((n) => n.kind === "mapped").length;
      summary.textContent = `(${graph.truncated ? "the first " : ""}` +
        `${graph.task_runs.toLocaleString()} task runs` +
        (folded ? `, ${folded} folded` : "") + ")";
      document.getElementById("graph-collapse").hidden = expanded.size === 0;
      canvas.setAttribute("aria-label", `Graph of ${graph.task_runs} task runs in ` +
        `${graph.nodes.length} nodes and ${graph.edges.length} edges`);
      document.getElementById("graph-empty").hidden = graph.nodes.length > 0;
      canvas.hidden = graph.nodes.length === 0;
      if (!fitted && graph.nodes.length) { fitted = true; fit(); } else draw();
      canvas.dataset.nodes = String(graph.nodes.length);
      canvas.dataset.ready = "true";
      return graph;
    }

    // -- pan, zoom, click -----------------------------------------------------------
    interact(canvas, tip, {
      itemAt: nodeAt,
      describe,
      open(node) {
        if (node.kind === "mapped") {
          expanded.add(node.id);
          load();
        } else {
          window.location.assign(href(node));
        }
      },
      grab: () => ({ x: view.x, y: view.y }),
      pan(dx, dy, start) {
        view.x = start.x + dx;
        view.y = start.y + dy;
        redraw();
      },
    });
    function zoomAt(factor, px, py) {
      const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
      view.x = px - ((px - view.x) * k) / view.k;
      view.y = py - ((py - view.y) * k) / view.k;
      view.k = k;
      redraw();
    }
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    section.addEventListener("click", (event) => {
      const button = event.target.closest("[data-graph]");
      if (!button) return;
      const { w, h } = size();
      const action = button.dataset.graph;
      if (action === "zoom-in") zoomAt(1.4, w / 2, h / 2);
      else if (action === "zoom-out") zoomAt(1 / 1.4, w / 2, h / 2);
      else if (action === "fit") fit();
      else if (action === "collapse") { expanded.clear(); load(); }
    });
    window.addEventListener("resize", redraw);

    window.hwRunGraph = {
      load,
      href,
      get graph() { return graph; },
      get view() { return { ...view }; },
      // Where node ``id`` is drawn, in page coordinates (its centre), or null.
      screenPosition(id) {
        const node = graph && graph.nodes.find((n) => n.id === id);
        if (!node) return null;
        const rect = canvas.getBoundingClientRect();
        return {
          x: rect.left + (node.x + graph.node_width / 2) * view.k + view.x,
          y: rect.top + (node.y + graph.node_height / 2) * view.k + view.y,
        };
      },
    };

    load().then((data) => {
      if (!data.final) repeat(load, POLL_MS);
    }).catch((error) => {
      summary.textContent = `(could not load the graph: ${error.message})`;
    }).finally(() => {
      // The timeline waits for this, so the two do not compete for the server.
      document.dispatchEvent(new Event("hw:graph-ready"));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
