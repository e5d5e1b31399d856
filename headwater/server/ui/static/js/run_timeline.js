// Flow run page, the timeline: one bar per task run call (/flow-runs/{id}/timeline),
// drawn on a canvas; a retried run's bar is split into its attempts, each coloured
// by the state that ended it.  The wheel scrolls the rows, Ctrl+wheel (or the
// buttons) zooms time around the pointer, dragging pans; a click opens the task run.
// Fetched again every few seconds while the run is not final.
(function () {
  "use strict";

  const ROW = 16, BAR = 11, AXIS = 22, GUTTER = 170, POLL_MS = 3000;

  function init() {
    const section = document.getElementById("timeline");
    const canvas = document.getElementById("timeline-canvas");
    if (!section || !canvas) return;
    const tip = document.getElementById("timeline-tip");
    const summary = document.getElementById("timeline-summary");
    const ctx = canvas.getContext("2d");
    const css = getComputedStyle(document.documentElement);
    const textColor = css.getPropertyValue("--text").trim() || "#222";
    const muted = css.getPropertyValue("--muted").trim() || "#777";
    const grid = css.getPropertyValue("--border").trim() || "#ddd";
    const { stateColors, fitCanvas, interact, repeat } = window.hwCanvas;
    const colors = stateColors();
    let data = null;
    let t0 = 0, span = 1;       // the time at the chart's left edge, and seconds across it
    let top = 0;                // the first row shown (fractional: scrolled)
    let frame = 0;

    const fmt = (s) => {
      if (s < 1) return `${Math.round(s * 1000)}ms`;
      if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
      const m = Math.floor(s / 60);
      return m < 60 ? `${m}m ${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
    };

    function size() {  // as tall as its rows, up to 420 px
      const rows = data ? data.bars.length : 0;
      canvas.style.height = `${Math.min(420, AXIS + Math.max(rows, 1) * ROW + 4)}px`;
      return fitCanvas(canvas);
    }

    function reset() {
      if (!data || data.start === null) return;
      t0 = data.start;
      span = Math.max(data.end - data.start, 1e-3) * 1.02;
      top = 0;
      redraw();
    }

    function draw() {
      frame = 0;
      if (!data) return;
      const { w, h, ratio } = size();
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const chart = w - GUTTER;
      const scale = chart / span;
      // Axis: about one tick per 110px.
      const step = niceStep(span / Math.max(chart / 110, 1));
      ctx.font = "11px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      ctx.strokeStyle = grid;
      ctx.fillStyle = muted;
      ctx.beginPath();
      const first = Math.ceil((t0 - data.start) / step) * step;
      for (let off = first; off <= t0 - data.start + span; off += step) {
        const x = GUTTER + (data.start + off - t0) * scale;
        ctx.moveTo(x + 0.5, AXIS - 4);
        ctx.lineTo(x + 0.5, h);
        ctx.fillText(off === 0 ? "0" : `+${fmt(off)}`, x + 3, AXIS / 2);
      }
      ctx.stroke();
      const rows = Math.ceil((h - AXIS) / ROW) + 1;
      const firstRow = Math.floor(top);
      for (let r = firstRow; r < Math.min(data.bars.length, firstRow + rows); r++) {
        const [, name, state, start, end, , segments] = data.bars[r];
        const y = AXIS + (r - top) * ROW;
        if (y < AXIS - ROW) continue;
        ctx.fillStyle = textColor;
        ctx.save();
        ctx.beginPath();
        ctx.rect(0, AXIS, GUTTER - 6, h - AXIS);
        ctx.clip();
        ctx.fillText(name, 4, y + ROW / 2);
        ctx.restore();
        ctx.save();
        ctx.beginPath();
        ctx.rect(GUTTER, AXIS, chart, h - AXIS);
        ctx.clip();
        const parts = segments.length ? segments : [[start, end, state]];
        for (const [a, b, kind] of parts) {
          const x = GUTTER + (a - t0) * scale;
          const width = Math.max((b - a) * scale - (segments.length ? 1 : 0), 1.5);
          if (x > w || x + width < GUTTER) continue;
          ctx.fillStyle = colors[kind] || colors.UNKNOWN;
          ctx.fillRect(x, y + (ROW - BAR) / 2, width, BAR);
        }
        ctx.restore();
      }
      const shown = (h - AXIS) / ROW;
      if (data.bars.length > shown) {  // a scroll bar: where these rows are among all
        const track = h - AXIS;
        const thumb = Math.max(12, (track * shown) / data.bars.length);
        const at = AXIS + ((track - thumb) * top) / Math.max(data.bars.length - shown + 1, 1);
        ctx.fillStyle = muted;
        ctx.globalAlpha = 0.5;
        ctx.fillRect(w - 5, at, 4, thumb);
        ctx.globalAlpha = 1;
      }
    }

    function niceStep(raw) {
      const p = Math.pow(10, Math.floor(Math.log10(raw)));
      for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
      return 10 * p;
    }

    function redraw() {
      if (!frame) frame = requestAnimationFrame(draw);
    }

    function barAt(px, py) {
      if (!data || py < AXIS) return null;
      const r = Math.floor(top + (py - AXIS) / ROW);
      const bar = data.bars[r];
      if (!bar) return null;
      if (px < GUTTER) return bar;  // the name opens it too
      const t = t0 + ((px - GUTTER) * span) / (canvas.clientWidth - GUTTER);
      const slack = (4 * span) / (canvas.clientWidth - GUTTER);
      return t >= bar[3] - slack && t <= bar[4] + slack ? bar : null;
    }

    async function load() {
      const response = await fetch(section.dataset.timelineUrl,
        { credentials: "same-origin", headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`timeline: HTTP ${response.status}`);
      const fresh = await response.json();
      const firstLoad = data === null;
      data = fresh;
      const empty = !data.bars.length;
      document.getElementById("timeline-empty").hidden = !empty;
      canvas.hidden = empty;
      const retried = data.bars.filter((b) => b[5] > 1).length;
      summary.textContent = `${data.truncated ? "The first " : ""}` +
        `${data.bars.length.toLocaleString()} task run calls` +
        (retried ? `, ${retried} retried (each attempt is a segment)` : "") +
        (data.not_started ? `, ${data.not_started} not started` : "") +
        ". The wheel scrolls the rows, Ctrl+wheel or the buttons zoom time; drag to pan; " +
        "click a bar to open its task run.";
      if (firstLoad) reset();
      else redraw();
      canvas.dataset.bars = String(data.bars.length);
      canvas.dataset.ready = "true";
      return data;
    }

    interact(canvas, tip, {
      itemAt: barAt,
      describe(bar) {
        const [, name, state, start, end, runs] = bar;
        return `${name}: ${state.toLowerCase()}, ${fmt(end - start)}` +
          (runs > 1 ? `, ${runs} attempts` : "");
      },
      open: (bar) => window.location.assign(`/task-runs/${bar[0]}`),
      grab: () => ({ t0, top }),
      pan(dx, dy, start) {
        t0 = start.t0 - (dx * span) / (canvas.clientWidth - GUTTER);
        top = clampTop(start.top - dy / ROW);
        redraw();
      },
    });
    function clampTop(value) {
      const visible = (canvas.clientHeight - AXIS) / ROW;
      return Math.max(0, Math.min(value, Math.max(0, data.bars.length - visible + 1)));
    }
    function zoomAt(factor, px) {
      const chart = canvas.clientWidth - GUTTER;
      const at = t0 + (Math.max(px - GUTTER, 0) * span) / chart;
      span = Math.max(span / factor, 1e-4);
      t0 = at - (Math.max(px - GUTTER, 0) * span) / chart;
      redraw();
    }
    canvas.addEventListener("wheel", (event) => {
      if (!data) return;
      const rect = canvas.getBoundingClientRect();
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        zoomAt(Math.exp(-event.deltaY * 0.002), event.clientX - rect.left);
        return;
      }
      const next = clampTop(top + event.deltaY / ROW);
      if (next !== top) {
        event.preventDefault();  // scroll the rows; at either end the page scrolls
        top = next;
        redraw();
      }
    }, { passive: false });
    section.addEventListener("click", (event) => {
      const button = event.target.closest("[data-timeline]");
      if (!button || !data) return;
      const action = button.dataset.timeline;
      const middle = GUTTER + (canvas.clientWidth - GUTTER) / 2;
      if (action === "zoom-in") zoomAt(2, middle);
      else if (action === "zoom-out") zoomAt(0.5, middle);
      else if (action === "reset") reset();
    });
    window.addEventListener("resize", redraw);

    window.hwRunTimeline = {
      load,
      get data() { return data; },
      get window() { return { start: t0, span }; },
    };

    let started = false;
    function start() {
      if (started) return;
      started = true;
      load().then((fresh) => {
        if (!fresh.final) repeat(load, POLL_MS);
      }).catch((error) => {
        summary.textContent = `Could not load the timeline: ${error.message}`;
      });
    }
    // After the graph (run_graph.js) has loaded: a big run's two fetches would
    // otherwise share the server and both arrive late.
    if (document.getElementById("run-graph") && !(window.hwRunGraph && window.hwRunGraph.graph)) {
      document.addEventListener("hw:graph-ready", start, { once: true });
      setTimeout(start, 5000);
    } else {
      start();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
