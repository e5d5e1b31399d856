"""docs/porting.md stays true: every module and name it says exists imports."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "porting.md"
_MODULE_ROW = re.compile(r"^\| `(prefect[\w.]*)` \| `(headwater[\w.]*)` \| (same|differs)")
_HEADING = re.compile(r"^### `(prefect[\w.]*)` → `(headwater[\w.]*)`")
_NAME_ROW = re.compile(r"^\| `([^|]+)` \| (same|differs|absent)")


def _entries() -> tuple[list[str], list[tuple[str, str]], int]:
    modules: list[str] = []
    names: list[tuple[str, str]] = []
    absent = 0
    module = None
    for line in DOC.read_text().splitlines():
        if match := _MODULE_ROW.match(line):
            modules.append(match.group(2))
        elif match := _HEADING.match(line):
            module = match.group(2)
        elif module and (match := _NAME_ROW.match(line)):
            name = match.group(1).split("`")[-1]  # "PREFECT_X` → `HEADWATER_X" → the new name
            if match.group(2) == "absent":
                absent += 1
            else:
                names.append((module, name))
    return modules, names, absent


def test_every_module_the_table_lists_imports() -> None:
    modules, _, _ = _entries()
    assert len(modules) >= 40
    for name in modules:
        importlib.import_module(name)


def test_every_name_the_tables_say_exists_imports() -> None:
    _, names, absent = _entries()
    assert len(names) >= 300 and absent > 0
    missing = [
        f"{module}.{name}"
        for module, name in names
        if not hasattr(importlib.import_module(module), name)
    ]
    assert missing == []
