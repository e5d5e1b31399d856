"""Concurrency limits: how fast a freed slot reaches the next waiter, what a slot
costs, and how many acquisitions contending processes get through, as JSON.

    python benchmarks/concurrency.py [--contenders 20] [--acquisitions 50]

Each figure comes with its baseline from the same run:
- ``tag_limit_wall_s``: a flow submitting 6 tasks of 0.5 s tagged with a limit of 2
  (flow call to return, embedded store) vs ``ideal_s`` 1.5 (three waves of 0.5 s) and
  ``no_limit_wall_s`` (the same flow without the limit); the issue's target is 2.0 s
  (Prefect 3.9.1 polls for slots: 14.6 s there);
- ``acquire_release_ms``: ``with concurrency(name): pass`` on an uncontended limit,
  embedded (SQLite) vs ``empty_write_txn_ms`` (a write transaction doing nothing on
  the same store) and over HTTP on loopback vs ``health_roundtrip_ms`` (GET
  /api/health on the same server).  Leaving the block does not wait for the release
  (the next lap's request carries it: ``client/releases.py``);
  ``acquire_release_*_sync_ms`` is the same with the caller waiting for the release
  (two round trips);
- ``contended_*``: acquisitions per second of ``--contenders`` processes each taking
  and giving back a slot ``--acquisitions`` times on a limit of 3, holding it
  ``--hold-ms`` (0: the acquisition throughput the issue's 1,000/s is about; 10: a
  held slot caps it at 300/s), embedded, through the server and (``--postgres``) on
  an embedded PostgreSQL store, against ``baseline_round_trips_per_s`` (the same
  processes doing empty write transactions, or GET /api/health), with
  ``peak_holders`` (the most holding at once: at most 3).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _server_proc import Server, free_port  # noqa: E402

TAG_FLOW = """
import sys, time
from headwater import flow, task
from headwater.client import open_client
from headwater.schemas.concurrency import ConcurrencyLimitCreate

if sys.argv[1] == "limit":
    open_client().create_concurrency_limit(ConcurrencyLimitCreate(name="tag:slow", limit=2))

@task(tags=["slow"])
def slow(i):
    time.sleep(0.5)
    return i

@flow
def six():
    return [f.result() for f in [slow.submit(i) for i in range(6)]]

six()  # warm: imports, the store
start = time.perf_counter()
six()
print(time.perf_counter() - start)
"""

UNCONTENDED = """
import json, sys, time
from headwater.client import open_client
from headwater.concurrency.slots import acquire
from headwater.concurrency.sync import concurrency
from headwater.schemas.concurrency import ConcurrencyLimitCreate

n, name = int(sys.argv[1]), sys.argv[2]
client = open_client()
client.create_concurrency_limit(ConcurrencyLimitCreate(name=name, limit=1))
try:
    for _ in range(20):
        with concurrency(name):
            pass
    laps = []
    for _ in range(n):
        start = time.perf_counter()
        with concurrency(name):
            pass
        laps.append(time.perf_counter() - start)
    # The release waited for: the caller pays both round trips.
    sync = []
    for _ in range(n):
        start = time.perf_counter()
        acquire(name).release()
        sync.append(time.perf_counter() - start)
finally:  # a PostgreSQL store outlives the run
    client.delete_concurrency_limit(name)
base = []
if hasattr(client, "db"):
    for _ in range(n):
        start = time.perf_counter()
        with client.db.begin_write():
            pass
        base.append(time.perf_counter() - start)
else:
    import httpx
    with httpx.Client() as http:
        for _ in range(n):
            start = time.perf_counter()
            http.get(client.api_url + "/health")
            base.append(time.perf_counter() - start)
print(json.dumps({"laps": laps, "sync": sync, "base": base}))
"""


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(home), HEADWATER_LOGGING_CONSOLE="false", **extra)
    return env


def _python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def tag_limit(root: Path) -> dict[str, Any]:
    limited = float(_python(TAG_FLOW, _env(root / "tag-limit"), "limit"))
    free = float(_python(TAG_FLOW, _env(root / "tag-free"), "none"))
    return {
        "tag_limit_wall_s": round(limited, 3),
        "ideal_s": 1.5,
        "no_limit_wall_s": round(free, 3),
        "tag_limit_vs_ideal": round(limited / 1.5, 3),
        "tag_limit_target_s": 2.0,
        "prefect_3_9_1_reported_s": 14.6,
    }


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 3)


def uncontended(env: dict[str, str], n: int) -> dict[str, float]:
    # A name of its own: a PostgreSQL store is used again by the next run.
    data = json.loads(_python(UNCONTENDED, env, str(n), f"bench-{uuid.uuid4().hex[:12]}"))
    return {
        "ms": _median_ms(data["laps"]),
        "sync_ms": _median_ms(data["sync"]),
        "base_ms": _median_ms(data["base"]),
    }


def _contend(
    env: dict[str, str], root: Path, contenders: int, args: list[str], after: list[str]
) -> Path:
    """Run ``contenders`` copies of ``_contender.py ARGS OUT AFTER``, started together;
    OUT (the file they write)."""
    out = root / f"holdings-{time.monotonic_ns()}.txt"
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "_contender.py"), *args, str(out), *after],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(contenders)
    ]
    deadline = time.monotonic() + 300
    while len(list(root.glob(out.name + ".ready.*"))) < contenders:  # imported, connected
        if time.monotonic() > deadline or any(proc.poll() is not None for proc in procs):
            break
        time.sleep(0.05)
    Path(str(out) + ".go").touch()
    for proc in procs:
        _, err = proc.communicate(timeout=1200)
        if proc.returncode != 0:
            raise RuntimeError(err.decode()[-2000:])
    return out


def _per_s(spans: list[tuple[float, ...]]) -> float:
    first = min(span[0] for span in spans)
    last = max(span[-1] for span in spans)
    return round(len(spans) / (last - first), 1)


def contended(
    env: dict[str, str], root: Path, contenders: int, acquisitions: int, hold_ms: float
) -> dict[str, Any]:
    name = f"three-{time.monotonic_ns()}"
    _python(
        "import sys\n"
        "from headwater.client import open_client\n"
        "from headwater.schemas.concurrency import ConcurrencyLimitCreate\n"
        "open_client().create_concurrency_limit(ConcurrencyLimitCreate(name=sys.argv[1], limit=3))",
        env,
        name,
    )
    out = _contend(env, root, contenders, ["loop", name, str(acquisitions)], [str(hold_ms)])
    holdings = [tuple(map(float, line.split())) for line in out.read_text().splitlines()]
    events = sorted([(s, 1) for s, _ in holdings] + [(e, -1) for _, e in holdings])
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return {
        "acquisitions": len(holdings),
        "per_s": _per_s(holdings),
        "peak_holders": peak,
        "hold_ms_each": hold_ms,
    }


def contended_baseline(
    env: dict[str, str], root: Path, contenders: int, count: int
) -> dict[str, Any]:
    """The same processes doing the cheapest round trip instead (an empty write
    transaction embedded, GET /api/health through a server)."""
    out = _contend(env, root, contenders, ["base", "-", str(count)], [])
    spans = [tuple(map(float, line.split())) for line in out.read_text().splitlines()]
    return {"round_trips": len(spans), "per_s": _per_s(spans)}


def contention(
    env: dict[str, str], root: Path, args: argparse.Namespace, target: str
) -> dict[str, Any]:
    """Contended acquisitions at each hold time, against the baseline round trips."""
    found: dict[str, Any] = {}
    base = contended_baseline(env, root, args.contenders, args.acquisitions)
    found["baseline_round_trips_per_s"] = base["per_s"]
    for hold in args.hold_ms:
        run = contended(env, root, args.contenders, args.acquisitions, hold)
        found[f"hold_{hold:g}ms"] = run
        found[f"hold_{hold:g}ms_vs_baseline"] = round(run["per_s"] / base["per_s"], 3)
        print(json.dumps({target: found}), file=sys.stderr, flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="uncontended laps")
    parser.add_argument("--contenders", type=int, default=20)
    parser.add_argument("--acquisitions", type=int, default=50)
    parser.add_argument(
        "--hold-ms",
        type=float,
        nargs="+",
        default=[0.0, 10.0],
        help="how long each contender holds a slot (0: acquisition throughput alone)",
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="also measure an embedded PostgreSQL store (empty db)"
    )
    parser.add_argument("--skip-tag", action="store_true", help="skip the tag-limit flow")
    parser.add_argument("--skip-contended", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"cpus": os.cpu_count(), "contenders": args.contenders}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if not args.skip_tag:
            result.update(tag_limit(root))
            print(json.dumps(result), file=sys.stderr, flush=True)  # progress
        embedded_env = _env(root / "embedded")
        local = uncontended(embedded_env, args.n)
        result["acquire_release_embedded_ms"] = local["ms"]
        result["acquire_release_embedded_sync_ms"] = local["sync_ms"]
        result["empty_write_txn_ms"] = local["base_ms"]
        result["embedded_vs_empty_txn"] = round(local["ms"] / local["base_ms"], 2)
        pg_env = None
        if args.postgres:
            pg_env = _env(root / "pg", HEADWATER_DATABASE_URL=args.postgres)
            pg = uncontended(pg_env, args.n)
            result["acquire_release_postgres_ms"] = pg["ms"]
            result["acquire_release_postgres_sync_ms"] = pg["sync_ms"]
            result["postgres_empty_write_txn_ms"] = pg["base_ms"]
            result["postgres_vs_empty_txn"] = round(pg["ms"] / pg["base_ms"], 2)
        port = free_port()
        server = Server(
            [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)],
            _env(root / "server"),
            f"http://127.0.0.1:{port}/api/health",
            root / "server.log",
        )
        server.start()
        try:
            http_env = _env(root / "http-client", HEADWATER_API_URL=f"http://127.0.0.1:{port}/api")
            remote = uncontended(http_env, args.n)
            result["acquire_release_http_ms"] = remote["ms"]
            result["acquire_release_http_sync_ms"] = remote["sync_ms"]
            result["health_roundtrip_ms"] = remote["base_ms"]
            result["http_vs_health"] = round(remote["ms"] / remote["base_ms"], 2)
            print(json.dumps(result), file=sys.stderr, flush=True)
            if not args.skip_contended:
                result["contended_http"] = contention(http_env, root, args, "contended_http")
        finally:
            server.stop()
        if not args.skip_contended:
            result["contended_embedded"] = contention(
                embedded_env, root, args, "contended_embedded"
            )
            if pg_env is not None:
                result["contended_postgres"] = contention(pg_env, root, args, "contended_postgres")
    result["targets"] = {
        "acquire_release_embedded_ms": 1.0,
        "acquire_release_http_ms": 3.0,
        "contended_per_s_hold_0": 1000,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
