"""Print Headwater's import graph, package by package, in the order of its layers.

    python scripts/import_graph.py            # print it
    python scripts/import_graph.py --write    # put it in CONTRIBUTING.md
    python scripts/import_graph.py --check    # exit 1 when CONTRIBUTING.md is stale

Each line is one top-level package or module of ``headwater`` and what it imports at
run time (imports inside functions included, ``if TYPE_CHECKING:`` imports not), in
the order of the ``layers`` contract in ``pyproject.toml``: read top-down, every
import points to a line below, except between the siblings a layer joins with ``:``.
The last lines list the import cycles between modules, if any.  ``make lint`` runs
``--check`` so the copy in CONTRIBUTING.md stays the code's.
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import grimp

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
CONTRIBUTING = REPO / "CONTRIBUTING.md"
START = "<!-- import-graph:start (scripts/import_graph.py --write) -->"
END = "<!-- import-graph:end -->"


def layers_contract() -> dict[str, Any]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return dict(contract)


def layer_order(contract: dict[str, Any]) -> list[list[str]]:
    """The contract's layers, top first, as lists of short names."""
    out = []
    for layer in contract["layers"]:
        names = layer.replace(":", "|").split("|")
        out.append([name.strip().removeprefix("headwater.") for name in names])
    return out


def _short(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "headwater"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)


def render() -> str:
    contract = layers_contract()
    ignored = [tuple(rule.split(" -> ")) for rule in contract.get("ignore_imports", [])]
    graph = grimp.build_graph("headwater", exclude_type_checking_imports=True, cache_dir=None)
    modules: dict[str, set[str]] = {m: set() for m in graph.modules}
    for module in graph.modules:
        modules[module] = set(graph.find_modules_directly_imported_by(module))
    for importer, imported in ignored:  # the layers contract's documented exceptions
        modules[importer].discard(imported)
    packages: dict[str, set[str]] = collections.defaultdict(set)
    for module, imported in modules.items():
        packages[_short(module)]  # every package gets a line, even one importing nothing
        for target in imported:
            if _short(target) != _short(module):
                packages[_short(module)].add(_short(target))
    layers = layer_order(contract)
    ordered = [name for layer in layers for name in layer]
    rest = sorted(set(packages) - set(ordered))
    width = max(len(name) for name in packages)
    lines = [f"  {'package':<{width}} -> imports at run time (+: siblings in one layer)"]
    for layer in layers:
        for name in layer:
            lines.append(_line(name, packages.get(name, ()), width, shared=len(layer) > 1))
    lines.extend(_line(name, packages[name], width, shared=False) for name in rest)
    cycles = _cycles(modules)
    lines.append("")
    lines.append(f"{len(modules)} modules; import cycles between modules: {len(cycles) or 'none'}")
    lines.extend("  " + " <-> ".join(group) for group in cycles)
    lines.extend(f"not shown (layers contract's ignore_imports): {a} -> {b}" for a, b in ignored)
    return "\n".join(lines)


def _line(name: str, imported: Iterable[str], width: int, *, shared: bool) -> str:
    marker = "+" if shared else " "
    targets = " ".join(sorted(imported)) or "-"
    return f"{marker} {name:<{width}} -> {targets}"


def _block(graph: str) -> str:
    return f"{START}\n```\n{graph}\n```\n{END}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="update CONTRIBUTING.md")
    action.add_argument("--check", action="store_true", help="fail if CONTRIBUTING.md is stale")
    args = parser.parse_args(argv)
    graph = render()
    if not (args.write or args.check):
        print(graph)
        return 0
    text = CONTRIBUTING.read_text()
    if START not in text or END not in text:
        print(f"{CONTRIBUTING.name} has no import-graph markers", file=sys.stderr)
        return 1
    before, _, after = text.partition(START)
    _, _, after = after.partition(END)
    updated = before + _block(graph) + after
    if args.write:
        CONTRIBUTING.write_text(updated)
        return 0
    if updated != text:
        print("CONTRIBUTING.md's import graph is stale: run `make import-graph`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
