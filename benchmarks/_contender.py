"""A process taking slots, for benchmarks/concurrency.py and tests/concurrency.

    python benchmarks/_contender.py hold NAME           # hold one slot until killed
    python benchmarks/_contender.py loop NAME N OUT [HOLD_MS]  # N times: take, note, give back
    python benchmarks/_contender.py rate NAME SECONDS OUT  # rate_limit for SECONDS
    python benchmarks/_contender.py base - N OUT        # N empty write txns / health GETs

``loop`` holds each slot HOLD_MS (default 10; 0 measures acquisition alone) and appends
one line per holding to OUT: ``start end`` (time.time() just after the slot was granted
and just before it is given back: within the real holding); ``rate`` one line per
granted call; ``base`` one line per round trip (the benchmark's baseline).  Each starts
when the file ``OUT.go`` exists (after writing ``OUT.ready.PID``), so the processes
contend from the same moment.
"""

from __future__ import annotations

import os
import sys
import time

from headwater.concurrency.sync import concurrency, rate_limit


def _wait_for_go(out: str, name: str) -> None:
    """Warm up (imports, the store or server connection), then wait for the start."""
    from headwater.concurrency.slots import client_and_runs

    client_and_runs()[0].read_concurrency_limit(name)
    _ready_then_go(out)


def _ready_then_go(out: str) -> None:
    """Say this process is ready (``OUT.ready.PID``), then wait for ``OUT.go``."""
    with open(f"{out}.ready.{os.getpid()}", "w"):
        pass
    while not os.path.exists(out + ".go"):
        time.sleep(0.005)


def _base(count: int, out: str) -> None:
    """The cheapest round trip to the same store: an empty write transaction (embedded)
    or GET /api/health (through a server)."""
    from headwater.concurrency.slots import client_and_runs

    client = client_and_runs()[0]
    if hasattr(client, "db"):

        def trip() -> None:
            with client.db.begin_write():
                pass
    else:
        import httpx

        http = httpx.Client()

        def trip() -> None:
            http.get(client.api_url + "/health")

    trip()
    _ready_then_go(out)
    lines = []
    for _ in range(count):
        start = time.time()
        trip()
        lines.append(f"{start} {time.time()}\n")
    with open(out, "a") as f:
        f.write("".join(lines))


def main() -> None:
    mode, name = sys.argv[1], sys.argv[2]
    if mode == "hold":
        with concurrency(name):
            print("held", flush=True)
            time.sleep(3600)
    elif mode == "loop":
        count, out = int(sys.argv[3]), sys.argv[4]
        hold = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0.01
        lines = []
        _wait_for_go(out, name)
        for _ in range(count):
            with concurrency(name, timeout_seconds=120):
                start = time.time()
                if hold:
                    time.sleep(hold)
                lines.append(f"{start} {time.time()}\n")
        with open(out, "a") as f:
            f.write("".join(lines))
    elif mode == "base":
        _base(int(sys.argv[3]), sys.argv[4])
    elif mode == "rate":
        seconds, out = float(sys.argv[3]), sys.argv[4]
        _wait_for_go(out, name)
        stop = time.time() + seconds
        stamps = []
        while time.time() < stop:
            rate_limit(name, timeout_seconds=30)
            stamps.append(f"{time.time()}\n")
        with open(out, "a") as f:
            f.write("".join(stamps))


if __name__ == "__main__":
    main()
