"""What a transaction adds to a task, as JSON (embedded store).

    python benchmarks/transactions.py [--n 2000] [--repeats 5]

Each figure is CPU microseconds per task (the process's CPU time, all threads), the
best of ``--repeats`` whole flow calls of N tasks (including the writer's flush),
all measured in this run (``median``: the same figures from the median rounds):
- ``plain_task_us``: a no-op task called in a flow (the baseline);
- ``in_transaction_us``: the same task called inside ``with transaction():``;
- ``with_hooks_in_transaction_us``: a task with an ``on_rollback`` and an
  ``on_commit`` hook inside ``with transaction():`` (it joins the transaction as a
  child, and its commit hook runs at the end);
- ``with_hooks_plain_flow_us``: that task in a plain flow (it joins the flow run's
  implicit transaction);
- ``transaction_per_task_us``: the no-op task, each call in its own ``with
  transaction():`` (the worst case: a transaction, and its record in the store,
  for every task);
- ``persisted_in_transaction_us`` vs ``persisted_us``: a task with
  ``persist_result=True`` inside a transaction (staged, written on commit) and
  outside one (written as it finishes); N/10 tasks (each writes a file).
The cases run interleaved, round after round, and each keeps its best round, so a
busy machine slows them alike; each round starts after a full garbage collection, so
a case pays for the collections its own objects bring about.
``*_added_us`` are the differences from their baseline; the target is at most
20 us added by a transaction.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from typing import Any


def _cpu(fn: Any) -> float:
    """CPU seconds this process spent in ``fn()`` (all its threads: the writer's
    work counts), which a busy shared machine inflates far less than wall time."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def measure(n: int, repeats: int) -> dict[str, Any]:
    os.environ["HEADWATER_HOME"] = tempfile.mkdtemp(prefix="hw-bench-txn-")
    os.environ["HEADWATER_LOGGING_CONSOLE"] = "false"
    os.environ.setdefault("HEADWATER_LOGGING_LEVEL", "WARNING")
    from headwater import flow, task
    from headwater.transactions import transaction

    @task
    def noop(i: int) -> int:
        return i

    @task(on_commit=[lambda txn: None], on_rollback=[lambda txn: None])
    def hooked(i: int) -> int:
        return i

    @task(persist_result=True, cache_policy=None)
    def persisted(i: int) -> int:
        return i

    def in_flow(fn: Any, inside: bool | str) -> Any:
        count = n // 10 if fn is persisted else n

        @flow
        def run() -> None:
            if inside == "each":
                for i in range(count):
                    with transaction():
                        fn(i)
            elif inside:
                with transaction():
                    for i in range(count):
                        fn(i)
            else:
                for i in range(count):
                    fn(i)

        return run

    cases = {
        "plain_task_us": in_flow(noop, False),
        "in_transaction_us": in_flow(noop, True),
        "transaction_per_task_us": in_flow(noop, "each"),
        "with_hooks_plain_flow_us": in_flow(hooked, False),
        "with_hooks_in_transaction_us": in_flow(hooked, True),
        "persisted_us": in_flow(persisted, False),
        "persisted_in_transaction_us": in_flow(persisted, True),
    }
    sizes = {name: n // 10 if name.startswith("persisted") else n for name in cases}
    for run in cases.values():
        run()  # warm up: imports, store, directories
    # Rounds interleave the cases, so a busy machine slows them alike.  Each round
    # starts from a full collection: a case pays for the garbage collector's passes
    # its own objects bring about, not for those of the case before it.
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, run in cases.items():
            gc.collect()
            samples[name].append(_cpu(run) / sizes[name] * 1e6)
    out: dict[str, Any] = {"n": n, "n_persisted": n // 10, "repeats": repeats}
    out.update(_figures({name: min(values) for name, values in samples.items()}))
    out["median"] = _figures({name: statistics.median(v) for name, v in samples.items()})
    out["target_added_us"] = 20
    out["meets_target"] = all(
        out[k] <= 20
        for k in (
            "in_transaction_added_us",
            "transaction_per_task_added_us",
            "with_hooks_in_transaction_added_us",
            "with_hooks_plain_flow_added_us",
            "persisted_in_transaction_added_us",
        )
    )
    return out


def _figures(per_task: dict[str, float]) -> dict[str, float]:
    """Each case's microseconds a task, and what the transaction cases add to their
    baselines."""
    out = {name: round(value, 2) for name, value in per_task.items()}
    base = per_task["plain_task_us"]
    for name in (
        "in_transaction",
        "transaction_per_task",
        "with_hooks_in_transaction",
        "with_hooks_plain_flow",
    ):
        out[f"{name}_added_us"] = round(per_task[f"{name}_us"] - base, 2)
    out["persisted_in_transaction_added_us"] = round(
        per_task["persisted_in_transaction_us"] - per_task["persisted_us"], 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.n, args.repeats), indent=2))


if __name__ == "__main__":
    main()
