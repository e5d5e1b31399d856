"""Per-task overhead of a Prefect 1 flow (``headwater.v1``) against the same flow
written with ``@flow``/``@task``, in the same run.

    python benchmarks/v1.py [--n 2000] [--rounds 3]

Each round runs, in a fresh process and a fresh ``HEADWATER_HOME``, a chain of N
tiny tasks (each adds one to the previous task's result) and a map of N no-op children,
once as a v1 graph (``flow.run()``) and once with the v2 API (direct calls and
``.map()``); the two APIs alternate which goes first.  Every task run is recorded in
the embedded store in both cases.  Prints one JSON object: the medians per task in
microseconds, and ``*_ratio`` = v1 / v2 (the target is below 2).  The v1 figure
includes building the graph (a ``with Flow`` block of N task calls).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from headwater.client.writer import flush_all

    api, n = sys.argv[1], int(sys.argv[2])

    if api == "v1":
        from headwater.v1 import Flow, task

        @task
        def noop(x):
            return x + 1

        @task
        def items(n):
            return list(range(n))

        def chain():
            start = time.perf_counter()
            with Flow("bench-chain") as flow:
                value = noop(0)
                for _ in range(n - 1):
                    value = noop(value)
            state = flow.run()
            assert state.is_successful()
            flush_all()
            return time.perf_counter() - start

        def mapped():
            start = time.perf_counter()
            with Flow("bench-map") as flow:
                noop.map(items(n))
            state = flow.run()
            assert state.is_successful()
            flush_all()
            return time.perf_counter() - start
    else:
        from headwater import flow, task

        @task
        def noop(x):
            return x + 1

        @task
        def items(n):
            return list(range(n))

        @flow(name="bench-chain")
        def chain_flow():
            value = noop(0)
            for _ in range(n - 1):
                value = noop(value)

        @flow(name="bench-map")
        def map_flow():
            noop.map(items(n)).wait()

        def chain():
            start = time.perf_counter()
            chain_flow()
            flush_all()
            return time.perf_counter() - start

        def mapped():
            start = time.perf_counter()
            map_flow()
            flush_all()
            return time.perf_counter() - start

    chain_s, mapped_s = chain(), mapped()
    print(json.dumps({"chain_us": chain_s / n * 1e6, "map_us": mapped_s / n * 1e6}))
    """
)


def one(api: str, n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HEADWATER_HOME": home, "HEADWATER_LOGGING_LEVEL": "WARNING"}
        env.pop("HEADWATER_API_URL", None)
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, api, str(n)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    samples: dict[str, list[dict[str, float]]] = {"v1": [], "v2": []}
    for round_ in range(args.rounds):
        order = ("v1", "v2") if round_ % 2 == 0 else ("v2", "v1")
        for api in order:
            samples[api].append(one(api, args.n))
    result: dict[str, float | int] = {"n": args.n, "rounds": args.rounds}
    for key in ("chain_us", "map_us"):
        v1 = statistics.median(s[key] for s in samples["v1"])
        v2 = statistics.median(s[key] for s in samples["v2"])
        result[f"v1_{key}"] = round(v1, 1)
        result[f"v2_{key}"] = round(v2, 1)
        result[f"{key.removesuffix('_us')}_ratio"] = round(v1 / v2, 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
