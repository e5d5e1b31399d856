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
  /api/health on the same server);
- ``contended_per_s``: acquisitions per second of ``--contenders`` processes each
  taking and giving back a slot ``--acquisitions`` times on a limit of 3, embedded
  and through the server, with ``peak_holders`` (the most holding at once: at most 3).
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
from headwater.concurrency.sync import concurrency
from headwater.schemas.concurrency import ConcurrencyLimitCreate

n = int(sys.argv[1])
client = open_client()
client.create_concurrency_limit(ConcurrencyLimitCreate(name="bench", limit=1))
for _ in range(20):
    with concurrency("bench"):
        pass
laps = []
for _ in range(n):
    start = time.perf_counter()
    with concurrency("bench"):
        pass
    laps.append(time.perf_counter() - start)
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
print(json.dumps({"laps": laps, "base": base}))
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
    data = json.loads(_python(UNCONTENDED, env, str(n)))
    return {"ms": _median_ms(data["laps"]), "base_ms": _median_ms(data["base"])}


def contended(
    env: dict[str, str], root: Path, contenders: int, acquisitions: int
) -> dict[str, Any]:
    _python(
        "from headwater.client import open_client\n"
        "from headwater.schemas.concurrency import ConcurrencyLimitCreate\n"
        "open_client().create_concurrency_limit(ConcurrencyLimitCreate(name='three', limit=3))",
        env,
    )
    out = root / f"holdings-{time.monotonic_ns()}.txt"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "_contender.py"),
                "loop",
                "three",
                str(acquisitions),
                str(out),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(contenders)
    ]
    time.sleep(3.0)  # let them import and connect
    start = time.perf_counter()
    Path(str(out) + ".go").touch()
    for proc in procs:
        _, err = proc.communicate(timeout=1200)
        if proc.returncode != 0:
            raise RuntimeError(err.decode()[-2000:])
    wall = time.perf_counter() - start
    holdings = [tuple(map(float, line.split())) for line in out.read_text().splitlines()]
    first = min(s for s, _ in holdings)
    last = max(e for _, e in holdings)
    events = sorted([(s, 1) for s, _ in holdings] + [(e, -1) for _, e in holdings])
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return {
        "acquisitions": len(holdings),
        "contended_per_s": round(len(holdings) / (last - first), 1),
        "wall_s_with_startup_skew": round(wall, 2),
        "peak_holders": peak,
        "hold_ms_each": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="uncontended laps")
    parser.add_argument("--contenders", type=int, default=20)
    parser.add_argument("--acquisitions", type=int, default=50)
    args = parser.parse_args()
    result: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result.update(tag_limit(root))
        print(json.dumps(result), file=sys.stderr, flush=True)  # progress
        embedded_env = _env(root / "embedded")
        local = uncontended(embedded_env, args.n)
        result["acquire_release_embedded_ms"] = local["ms"]
        result["empty_write_txn_ms"] = local["base_ms"]
        result["embedded_vs_empty_txn"] = round(local["ms"] / local["base_ms"], 2)
        port = free_port()
        server_home = root / "server"
        server = Server(
            [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)],
            _env(server_home),
            f"http://127.0.0.1:{port}/api/health",
            root / "server.log",
        )
        server.start()
        try:
            http_env = _env(root / "http-client", HEADWATER_API_URL=f"http://127.0.0.1:{port}/api")
            remote = uncontended(http_env, args.n)
            result["acquire_release_http_ms"] = remote["ms"]
            result["health_roundtrip_ms"] = remote["base_ms"]
            result["http_vs_health"] = round(remote["ms"] / remote["base_ms"], 2)
            print(json.dumps(result), file=sys.stderr, flush=True)
            result["contended_http"] = contended(http_env, root, args.contenders, args.acquisitions)
        finally:
            server.stop()
        result["contended_embedded"] = contended(
            embedded_env, root, args.contenders, args.acquisitions
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
