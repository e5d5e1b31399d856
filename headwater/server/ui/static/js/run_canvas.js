// What the run graph (run_graph.js) and the timeline (run_timeline.js) share:
// state colours from the stylesheet, a canvas sized for the screen's pixel ratio,
// pointer handling (drag to pan, hover for a tip, click on an item) and fetching
// again while a run is live.  window.hwCanvas; loaded before both.
(function () {
  "use strict";

  const STATES = ["scheduled", "pending", "running", "paused", "completed", "failed",
    "cancelling", "cancelled", "crashed", "late", "unknown"];

  // {COMPLETED: "#2e9d4f", ...} as the stylesheet has them now (light or dark).
  function stateColors() {
    const css = getComputedStyle(document.documentElement);
    const colors = {};
    for (const s of STATES) {
      colors[s.toUpperCase()] = css.getPropertyValue(`--state-${s}`).trim() || "#999";
    }
    return colors;
  }

  // Match the canvas's backing store to its CSS size; {w, h, ratio} in CSS pixels.
  function fitCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    return { w, h, ratio };
  }

  // Drag pans (``pan(dx, dy, start)``, ``start`` from ``grab()`` at pointer down);
  // hovering shows ``describe(item)`` in ``tip`` for ``itemAt(x, y)``; a click (a
  // press that did not move) calls ``open(item)``.
  function interact(canvas, tip, { itemAt, describe, open, grab, pan }) {
    let drag = null;
    const local = (event) => {
      const rect = canvas.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    };
    canvas.addEventListener("pointerdown", (event) => {
      drag = { x: event.clientX, y: event.clientY, start: grab(), moved: false };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (drag) {
        const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
        if (drag.moved) {
          tip.hidden = true;
          pan(dx, dy, drag.start);
          return;
        }
      }
      const [x, y] = local(event);
      const item = itemAt(x, y);
      canvas.style.cursor = item ? "pointer" : "grab";
      tip.hidden = !item;
      if (item) {
        tip.textContent = describe(item);
        tip.style.left = `${x + 12}px`;
        tip.style.top = `${y + 12}px`;
      }
    });
    canvas.addEventListener("pointerup", (event) => {
      const wasDrag = drag && drag.moved;
      drag = null;
      if (wasDrag) return;
      const item = itemAt(...local(event));
      if (item) open(item);
    });
    canvas.addEventListener("pointerleave", () => { tip.hidden = true; });
  }

  // Call ``fetchIt`` again while the run is not final: every ``every`` ms, or ten
  // times as long as the last fetch took (a big run's graph is not rebuilt back to
  // back); not while the tab is hidden.
  function repeat(fetchIt, every) {
    const next = (delay) => setTimeout(async () => {
      if (document.hidden) { next(every); return; }
      const started = performance.now();
      try {
        const data = await fetchIt();
        if (data.final) return;
      } catch (error) {
        console.warn("headwater: update failed", error);
      }
      next(Math.max(every, 10 * (performance.now() - started)));
    }, delay);
    next(every);
  }

  window.hwCanvas = { stateColors, fitCanvas, interact, repeat };
})();
