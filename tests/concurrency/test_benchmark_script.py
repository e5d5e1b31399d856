"""benchmarks/concurrency.py can be run again against the same store (a PostgreSQL
database outlives a run): its uncontended part leaves no limit behind."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "concurrency.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_concurrency", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_uncontended_part_runs_twice_on_one_store(tmp_path: Path) -> None:
    bench = _benchmark()
    env = bench._env(tmp_path / "store")
    for _ in range(2):  # the second run failed: "a concurrency limit named 'bench' exists"
        found = bench.uncontended(env, 3)
        assert found["ms"] > 0
