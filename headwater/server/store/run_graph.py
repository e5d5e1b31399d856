"""The graph of a flow run: its task runs (a subflow is the task run that called it)
joined by the lineage the engine records (``task_runs.inputs``: the upstream task
runs of each parameter, and ``__wait_for__``), laid out here so the browser only
draws.

Layout is a layered one in O(n + e) plus a sort per layer: each node's layer is its
longest path from a root (Kahn's order over the recorded edges), the nodes of a
layer are ordered by the mean position of their parents (one pass, top to bottom),
and a layer taller than ``MAX_ROWS`` wraps into more columns.  Positions are in
CSS pixels at zoom 1.

Mapped calls are folded: the engine does not record which calls one ``.map()``
made, so calls of the *same task*, in the *same layer*, fed by the *same tasks*
(what ``.map()`` produces) become one node "task xN" unless its id is in
``expand``.  A loop calling a task with no data between the calls folds the same
way.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypedDict
from uuid import UUID

from sqlalchemy import Connection, LargeBinary, Text, cast, func, select, type_coerce

from headwater.exceptions import ObjectNotFound
from headwater.server.db.tables import flow_runs, task_runs

#: Layout grid (CSS pixels at zoom 1).
NODE_WIDTH = 180.0
NODE_HEIGHT = 28.0
COLUMN_GAP = 60.0
ROW_GAP = 10.0
#: A layer with more nodes than this wraps into another column.
MAX_ROWS = 200
#: A graph is drawn of at most this many task runs (the first, by creation); a run
#: with more says so (``truncated``) rather than building a graph no one can use.
MAX_TASK_RUNS = 50_000
SUBFLOW_INPUT = "__subflow_run__"
FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
#: Which state a folded node shows: the most telling of its members'.
_SHOWN_FIRST: tuple[str, ...] = (
    "FAILED",
    "CRASHED",
    "RUNNING",
    "CANCELLING",
    "PAUSED",
    "CANCELLED",
    "PENDING",
    "SCHEDULED",
    "COMPLETED",
)

_COLUMNS = (
    # Raw (16 bytes on SQLite): ``id_texts`` formats them 3x faster than uuid.UUID.
    type_coerce(task_runs.c.id, LargeBinary).label("id"),
    task_runs.c.name,
    task_runs.c.task_key,
    task_runs.c.state_type,
    task_runs.c.state_name,
    task_runs.c.run_count,
    # As text, decoded in one json.loads for all rows (10,000 calls cost 10x more).
    cast(task_runs.c.inputs, Text).label("inputs"),
)


class _NodeBase(TypedDict):
    id: str
    label: str
    kind: str  # "task", "subflow" or "mapped"
    state: str
    retries: int
    x: float
    y: float


class GraphNode(_NodeBase, total=False):
    """A task run, a subflow (``flow_run_id``: the child run) or folded calls
    (``members``, ``states``: their count by state).  ``state_name`` only when it
    is not the state's own name (Cached, AwaitingRetry...)."""

    state_name: str
    flow_run_id: str
    members: int
    states: dict[str, int]


class RunGraph(TypedDict):
    flow_run_id: str
    state: str
    final: bool
    task_runs: int
    truncated: bool
    nodes: list[GraphNode]
    edges: list[tuple[int, int]]
    width: float
    height: float
    node_width: float
    node_height: float


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic GC inside: building tens of thousands of small lists and dicts (none
    of them a cycle) would otherwise set it walking the heap again and again (half
    the time of a 10,000-node graph).  Threads: whoever turned it off turns it on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def read_run_graph(
    conn: Connection,
    *,
    flow_run_id: UUID,
    expand: Collection[str] = (),
    max_task_runs: int = MAX_TASK_RUNS,
) -> RunGraph:
    """The run's nodes (positioned) and edges (pairs of node indices)."""
    run = conn.execute(select(flow_runs.c.state_type).where(flow_runs.c.id == flow_run_id)).first()
    if run is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    query = (
        select(*_COLUMNS)
        .where(task_runs.c.flow_run_id == flow_run_id)
        .order_by(task_runs.c.created, task_runs.c.id)
    )
    with gc_paused():
        rows = conn.execute(query.limit(max_task_runs + 1)).all()
        graph = build_graph(str(flow_run_id), run.state_type, rows[:max_task_runs], set(expand))
    graph["truncated"] = len(rows) > max_task_runs
    return graph


def task_label(task_key: str) -> str:
    """``fetch-1a2b3c4d`` → ``fetch`` (the key ends with a digest of where it is defined)."""
    name, sep, digest = task_key.rpartition("-")
    return name if sep and len(digest) == 8 else task_key


def fingerprint(conn: Connection, *, flow_run_id: UUID) -> tuple[Any, ...] | None:
    """What changes whenever the run's graph or timeline would: its state, and its
    task runs' count and latest update.  None when there is no such run."""
    run = conn.execute(
        select(flow_runs.c.state_type, flow_runs.c.state_timestamp).where(
            flow_runs.c.id == flow_run_id
        )
    ).first()
    if run is None:
        return None
    count, updated = conn.execute(
        select(func.count(), func.max(task_runs.c.updated)).where(
            task_runs.c.flow_run_id == flow_run_id
        )
    ).one()
    return (run.state_type, run.state_timestamp, count, updated)


def build_graph(run_id: str, run_state: str, rows: Sequence[Any], expand: set[str]) -> RunGraph:
    """The graph of ``rows`` (task runs oldest first; see ``read_run_graph``)."""
    n = len(rows)
    ids = id_texts([row[0] for row in rows])
    keys = [row[2] for row in rows]
    index = {run_id: i for i, run_id in enumerate(ids)}
    all_inputs = json.loads("[" + ",".join(row[6] or "{}" for row in rows) + "]")
    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    subflow: list[str | None] = [None] * n
    get = index.get
    for i, inputs in enumerate(all_inputs):
        if not inputs:
            continue
        mine = parents[i]
        for name, upstream in inputs.items():
            if name == SUBFLOW_INPUT:
                subflow[i] = str(upstream[0]) if upstream else None
                continue
            for uid in upstream:
                j = get(uid)
                if j is not None and j != i and j not in mine:
                    mine.append(j)
                    children[j].append(i)
    layer = _layers(parents, children)
    # Fold: same task, same layer, same upstream tasks.
    signature: list[Any] = [None] * n
    first_of: dict[Any, int] = {}
    members_of: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        if subflow[i] is None:
            ps = parents[i]
            upstream_keys = tuple(sorted({keys[j] for j in ps})) if ps else ()
            sig = (keys[i], layer[i], upstream_keys)
            first = first_of.setdefault(sig, i)
            signature[i] = first
            members_of[first].append(i)
    visible = [0] * n  # task run index -> visible node index
    nodes: list[GraphNode] = []
    node_layer: list[int] = []
    node_order: list[int] = []  # the (first member's) creation order, for stable sorting
    for i, row in enumerate(rows):
        first = signature[i]
        if first is not None and len(members_of[first]) > 1 and f"g-{ids[first]}" not in expand:
            if first != i:
                visible[i] = visible[first]
                continue
            node = _fold(ids[i], [rows[m] for m in members_of[first]])
        else:
            node = _node(ids[i], row, subflow[i])
        visible[i] = len(nodes)
        node_layer.append(layer[i])
        node_order.append(i)
        nodes.append(node)
    edge_set: set[tuple[int, int]] = set()
    node_parents: list[list[int]] = [[] for _ in nodes]
    for i in range(n):
        target = visible[i]
        for j in parents[i]:
            edge = (visible[j], target)
            if edge[0] != target and edge not in edge_set:
                edge_set.add(edge)
                node_parents[target].append(edge[0])
    width, height = _place(nodes, node_layer, node_order, node_parents)
    return {
        "flow_run_id": run_id,
        "state": run_state,
        "final": run_state in FINAL_TYPES,
        "task_runs": n,
        "truncated": False,
        "nodes": nodes,
        "edges": sorted(edge_set),
        "width": width,
        "height": height,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
    }


def id_texts(values: list[Any]) -> list[str]:
    """Ids as canonical UUID text, from 16 raw bytes (SQLite) or UUID objects."""
    out = []
    for value in values:
        if isinstance(value, (bytes, memoryview)):
            h = bytes(value).hex()
            out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
        else:
            out.append(str(value))
    return out


def _layers(parents: list[list[int]], children: list[list[int]]) -> list[int]:
    """Longest path from a root, in Kahn's order; a node left in a cycle (the store
    never makes one) stays in layer 0."""
    n = len(parents)
    waiting = [len(p) for p in parents]
    layer = [0] * n
    ready = [i for i in range(n) if waiting[i] == 0]
    while ready:
        i = ready.pop()
        for c in children[i]:
            if layer[i] + 1 > layer[c]:
                layer[c] = layer[i] + 1
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    return layer


def _node(node_id: str, row: Any, child_run: str | None) -> GraphNode:
    node: GraphNode = {
        "id": node_id,
        "label": row[1],
        "kind": "subflow" if child_run else "task",
        "state": row[3],
        "retries": row[5] - 1 if row[5] > 1 else 0,
        "x": 0.0,
        "y": 0.0,
    }
    if row[4] != row[3].capitalize():
        node["state_name"] = row[4]
    if child_run:
        node["flow_run_id"] = child_run
    return node


def _fold(first_id: str, members: list[Any]) -> GraphNode:
    states: dict[str, int] = defaultdict(int)
    retries = 0
    for member in members:
        states[member[3]] += 1
        retries += max(0, member[5] - 1)
    shown = next((s for s in _SHOWN_FIRST if s in states), members[0][3])
    return {
        "id": f"g-{first_id}",
        "label": f"{task_label(members[0][2])} \u00d7{len(members)}",
        "kind": "mapped",
        "state": shown,
        "retries": retries,
        "x": 0.0,
        "y": 0.0,
        "members": len(members),
        "states": dict(states),
    }


def _place(
    nodes: list[GraphNode], layer: list[int], order: list[int], parents: list[list[int]]
) -> tuple[float, float]:
    """Columns by layer (wrapping at ``MAX_ROWS``); rows by the parents' mean row."""
    by_layer: dict[int, list[int]] = defaultdict(list)
    for v, lay in enumerate(layer):
        by_layer[lay].append(v)
    row_of = [0.0] * len(nodes)
    x = 0.0
    tallest = 0
    for lay in sorted(by_layer):
        members = by_layer[lay]

        def weight(v: int) -> tuple[float, int]:
            ps = parents[v]
            return (sum(row_of[p] for p in ps) / len(ps) if ps else order[v], order[v])

        if lay:
            members.sort(key=weight)
        for k, v in enumerate(members):
            column, row = divmod(k, MAX_ROWS)
            row_of[v] = float(row)
            nodes[v]["x"] = x + column * (NODE_WIDTH + COLUMN_GAP)
            nodes[v]["y"] = row * (NODE_HEIGHT + ROW_GAP)
        columns = (len(members) + MAX_ROWS - 1) // MAX_ROWS
        x += columns * (NODE_WIDTH + COLUMN_GAP)
        tallest = max(tallest, min(len(members), MAX_ROWS))
    return max(0.0, x - COLUMN_GAP), max(0.0, tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)
