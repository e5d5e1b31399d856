"""Results that nobody keeps are freed: memory stays at what the user holds."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path
from typing import Any

from headwater import flow, task


class Payload:
    def __init__(self, i: int) -> None:
        self.data = [i] * 1000


def test_unreferenced_results_are_freed() -> None:
    refs: list[weakref.ref[Any]] = []
    kept: list[Any] = []

    @task
    def make(i: int) -> Payload:
        value = Payload(i)
        refs.append(weakref.ref(value))
        return value

    @flow
    def pipeline() -> int:
        for i in range(50):
            make(i)  # direct call, value dropped
        futures = make.map(range(50))
        futures.wait()
        del futures
        kept.append(make(99))
        gc.collect()
        return sum(1 for r in refs if r() is not None)

    alive_inside = pipeline()
    gc.collect()
    assert alive_inside == 1  # only the one the flow keeps in ``kept``
    assert sum(1 for r in refs if r() is not None) == 1


def test_persisted_results_are_not_kept_in_memory_when_asked() -> None:
    refs: list[weakref.ref[Any]] = []

    @task(persist_result=True, cache_result_in_memory=False)
    def make(i: int) -> Payload:
        value = Payload(i)
        refs.append(weakref.ref(value))
        return value

    @flow
    def pipeline() -> int:
        futures = make.map(range(20))
        futures.wait()
        gc.collect()
        alive = sum(1 for r in refs if r() is not None)
        assert futures[3].result().data[0] == 3  # read back from storage
        return alive

    assert pipeline() == 0


MAPPER = textwrap.dedent(
    """
    import resource, sys
    from headwater import flow, task

    @task
    def chunk(i: int) -> list:
        return [i] * 10_000  # 80 kB in memory each

    @task(persist_result=True, cache_result_in_memory=False)
    def kept_on_disk(i: int) -> list:
        return [i] * 10_000

    @flow
    def fan_out(n: int) -> int:
        for i in range(n):
            chunk.submit(i)  # the futures are not kept
        return n

    @flow
    def mapped(n: int) -> int:
        futures = kept_on_disk.map(range(n))  # all kept, results on disk
        futures.wait()
        return len(futures[n - 1].result())

    n, mode = int(sys.argv[1]), sys.argv[2]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (fan_out if mode == "fan-out" else mapped)(n)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) // 1024)
    """
)


def _peak_growth_mb(tmp_path: Path, n: int, mode: str) -> int:
    script = tmp_path / "mapper.py"
    script.write_text(MAPPER)
    proc = subprocess.run(
        [sys.executable, str(script), str(n), mode], capture_output=True, text=True, timeout=110
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip().splitlines()[-1])


def test_fanning_out_holds_only_what_is_kept(tmp_path: Path) -> None:
    grown = _peak_growth_mb(tmp_path, 20_000, "fan-out")
    assert grown < 300, f"peak RSS grew by {grown} MB (all results would be ~1,600 MB)"


def test_kept_futures_of_results_on_disk_hold_no_results(tmp_path: Path) -> None:
    grown = _peak_growth_mb(tmp_path, 4_000, "mapped")
    assert grown < 150, f"peak RSS grew by {grown} MB (all results would be ~320 MB)"
