"""``flow.visualize()``: the graph as an SVG/PNG through graphviz when it is
installed, else as Mermaid text."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

_FILL = {
    "Success": "#28a745",
    "Mapped": "#97fffe",
    "Skipped": "#62757f",
    "Failed": "#eb0000",
    "TriggerFailed": "#c42800",
    "TimedOut": "#fdc413",
    "Pending": "#d3d3d3",
}


def mermaid(flow: Any, flow_state: Any = None) -> str:
    """``flowchart TD`` text: one node per task, an arrow per edge (labelled with the
    argument; dashed when mapped)."""
    ids = {task: f"t{index}" for index, task in enumerate(flow.sorted_tasks())}
    lines = ["flowchart TD"]
    states = getattr(flow_state, "result", None) or {}
    for task, node in ids.items():
        label = task.name.replace('"', "'")
        state = states.get(task)
        if state is not None:
            label += f" ({type(state).__name__})"
        lines.append(f'    {node}["{label}"]')
    for edge in sorted(flow.edges, key=lambda e: (ids[e.upstream_task], ids[e.downstream_task])):
        arrow = "-.->" if edge.mapped else "-->"
        text = f"|{edge.key}|" if edge.key else ""
        lines.append(f"    {ids[edge.upstream_task]} {arrow}{text} {ids[edge.downstream_task]}")
    return "\n".join(lines) + "\n"


def dot(flow: Any, flow_state: Any = None) -> str:
    ids = {task: f"t{index}" for index, task in enumerate(flow.sorted_tasks())}
    states = getattr(flow_state, "result", None) or {}
    lines = ["digraph {"]
    for task, node in ids.items():
        state = states.get(task)
        fill = (
            f', style=filled, fillcolor="{_FILL.get(type(state).__name__, "#ffffff")}"'
            if state
            else ""
        )
        lines.append(f'  {node} [label="{task.name}"{fill}];')
    for edge in flow.edges:
        style = ", style=dashed" if edge.mapped else ""
        label = f'label="{edge.key}"' if edge.key else 'label=""'
        lines.append(
            f"  {ids[edge.upstream_task]} -> {ids[edge.downstream_task]} [{label}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def visualize(
    flow: Any, flow_state: Any = None, filename: str | None = None, format: str | None = None
) -> str:
    """With graphviz's ``dot`` program: writes ``filename.FORMAT`` (svg by default) and
    returns its path.  Without it: returns Mermaid text (written to ``filename`` when
    given)."""
    import subprocess

    if shutil.which("dot") is not None and filename is not None:
        format = format or "svg"
        target = Path(f"{filename}.{format}")
        subprocess.run(
            ["dot", f"-T{format}", "-o", str(target)],
            input=dot(flow, flow_state).encode(),
            check=True,
            timeout=60,
        )
        return str(target)
    text = mermaid(flow, flow_state)
    if filename is not None:
        Path(f"{filename}.mmd").write_text(text)
    return text
