"""Deployments: dispatch latency, scheduler pass, claim throughput; prints one JSON object.

- ``dispatch_worker_s`` / ``dispatch_serve_s`` / ``dispatch_serve_local_s``: from just
  before ``run_deployment(...)`` to the first line of the flow body (a timestamp it
  writes), with an idle worker (server + SQLite), an idle ``serve`` process against the
  server, and ``serve`` on the embedded store (no server).  Median and max of N runs,
  each started after the previous finished and the poller went back to waiting.
- ``scheduler_pass_s``: ``scheduler.run_once`` over 1,000 deployments with cron
  schedules (first pass, which creates their runs, and a steady pass), on SQLite and,
  with ``--pg URL``, PostgreSQL.
- ``claims_per_s``: 4 worker processes claiming 2,000 due runs through the server's
  long-poll endpoint on PostgreSQL (``--pg URL``) — every run claimed exactly once.

Usage: ``python benchmarks/deployments.py [--runs 10] [--pg postgresql+psycopg://…]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server_proc import Server, free_port

FLOW = """
import time

from headwater import flow


@flow
def first_line(marker: str) -> None:
    now = time.time()
    with open(marker, "w") as handle:
        handle.write(repr(now))


if __name__ == "__main__":
    first_line.serve("bench", print_starting_message=False)
"""


def _env(home: Path, api_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(home), HEADWATER_LOGGING_CONSOLE="false", **extra)
    if api_url:
        env["HEADWATER_API_URL"] = api_url
    return env


def _measure(
    env: dict[str, str], name: str, workdir: Path, runs: int, label: str
) -> dict[str, float]:
    """``run_deployment`` → first line, ``runs`` times, from a fresh client process."""
    code = f"""
import json, os, time
from headwater import run_deployment
from headwater.deployments.run import wait_for_run
from headwater.client import shared_client
out = []
for i in range({runs}):
    marker = os.path.join({str(workdir)!r}, f"{label}-{{i}}")
    time.sleep(1.5)  # the poller is back to waiting
    start = time.time()
    run = run_deployment({name!r}, parameters={{"marker": marker}}, timeout=0)
    while not os.path.exists(marker) or not open(marker).read():
        time.sleep(0.002)
    out.append(float(open(marker).read()) - start)
    wait_for_run(shared_client(), run.id, timeout=30)
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    samples = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "median": round(statistics.median(samples), 3),
        "max": round(max(samples), 3),
        "runs": len(samples),
    }


def dispatch(runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "flows.py").write_text(FLOW)
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        server = Server(
            [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)],
            _env(root / "server"),
            f"{api}/health",
            root / "server.log",
        )
        server.start()
        try:
            client = _env(root / "client", api)
            subprocess.run(
                [sys.executable, "-m", "headwater", "work-pool", "create", "bench"],
                env=client,
                check=True,
                capture_output=True,
            )
            deploy = (
                "import sys; sys.path.insert(0, '.');"
                "from flows import first_line;"
                "first_line.deploy('bench', work_pool_name='bench')"
            )
            subprocess.run([sys.executable, "-c", deploy], env=client, cwd=root, check=True)
            with (root / "worker.log").open("ab") as log:
                worker = subprocess.Popen(
                    [sys.executable, "-m", "headwater", "worker", "start", "--pool", "bench"],
                    env=_env(root / "worker", api),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                time.sleep(2)
                out["dispatch_worker_s"] = _measure(client, "first-line/bench", root, runs, "w")
            finally:
                worker.terminate()
                worker.wait(30)
            serve = subprocess.Popen(
                [sys.executable, "flows.py"],
                env=_env(root / "serve", api),
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(2)
                out["dispatch_serve_s"] = _measure(client, "first-line/bench", root, runs, "s")
            finally:
                serve.terminate()
                serve.wait(30)
        finally:
            server.stop()
        local = _env(root / "local")
        serve = subprocess.Popen(
            [sys.executable, "flows.py"],
            env=local,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)
            out["dispatch_serve_local_s"] = _measure(local, "first-line/bench", root, runs, "l")
        finally:
            serve.terminate()
            serve.wait(30)
    return out


def scheduler_pass(url: str, count: int = 1000) -> dict[str, Any]:
    from headwater.schemas.deployments import DeploymentCreate
    from headwater.server.db.database import open_database
    from headwater.server.db.migrate import ensure_schema
    from headwater.server.services import scheduler
    from headwater.server.store import deployments

    db = open_database(url)
    ensure_schema(db)
    crons = ["0 * * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 * * *"]
    started = time.perf_counter()
    with db.begin_write() as conn:
        for i in range(count):
            body = DeploymentCreate(
                flow_name=f"flow-{i % 50}",
                name=f"d{i}",
                entrypoint="flows.py:f",
                schedules=[{"cron": crons[i % len(crons)], "timezone": "Europe/Paris"}],
            )
            deployments.apply_deployment(conn, deployment=body)
    applied = time.perf_counter() - started
    now = time.time()
    started = time.perf_counter()
    first = scheduler.run_once(db, now)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    steady = scheduler.run_once(db, now + 5)
    steady_s = time.perf_counter() - started
    db.dispose()
    return {
        "deployments": count,
        "apply_s": round(applied, 3),
        "first_pass_s": round(first_s, 3),
        "runs_created": first.created,
        "steady_pass_s": round(steady_s, 3),
        "steady_runs_created": steady.created,
    }


def _claimer(api: str, pool: str, name: str, queue: Any) -> None:
    from headwater.client.http import HttpClient
    from headwater.schemas.work_pools import ClaimRequest

    client = HttpClient(api)
    got: list[str] = []
    while True:
        result = client.claim_flow_runs(ClaimRequest(worker_name=name, limit=10), pool_name=pool)
        if not result.flow_runs:
            break
        got.extend(str(r.id) for r in result.flow_runs)
    client.close()
    queue.put(got)


def claims(pg_url: str, runs: int = 2000, workers: int = 4) -> dict[str, Any]:
    from headwater.client.http import HttpClient
    from headwater.schemas.deployments import DeploymentCreate, DeploymentFlowRunCreate
    from headwater.schemas.work_pools import WorkPoolCreate

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        server = Server(
            [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)],
            _env(Path(tmp), HEADWATER_DATABASE_URL=pg_url, HEADWATER_SERVICES_ENABLED="false"),
            f"{api}/health",
            Path(tmp) / "server.log",
        )
        server.start()
        try:
            client = HttpClient(api)
            client.create_work_pool(WorkPoolCreate(name="claims"))
            d = client.apply_deployment(
                DeploymentCreate(
                    flow_name="f", name="d", entrypoint="f.py:f", work_pool_name="claims"
                )
            )
            for _ in range(runs):
                client.create_flow_run_from_deployment(d.id, DeploymentFlowRunCreate())
            client.close()
            queue: Any = multiprocessing.Queue()
            procs = [
                multiprocessing.Process(target=_claimer, args=(api, "claims", f"w{i}", queue))
                for i in range(workers)
            ]
            started = time.perf_counter()
            for p in procs:
                p.start()
            taken = [queue.get(timeout=300) for _ in procs]
            elapsed = time.perf_counter() - started
            for p in procs:
                p.join(30)
        finally:
            server.stop()
    everything = [run for got in taken for run in got]
    return {
        "workers": workers,
        "runs": runs,
        "claimed": len(everything),
        "claimed_once": len(set(everything)) == len(everything) == runs,
        "seconds": round(elapsed, 3),
        "claims_per_s": round(len(everything) / elapsed, 1),
    }


def bench_schema(pg_url: str, schema: str = "hw_bench_deployments") -> str:
    """A schema of our own (dropped and created), so nothing else in the database is touched."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in pg_url else "?"
    return f"{pg_url}{separator}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pg", default=os.environ.get("HEADWATER_TEST_DATABASE_URL"))
    parser.add_argument("--skip-dispatch", action="store_true")
    parser.add_argument("--only-dispatch", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if not args.skip_dispatch:
        result.update(dispatch(args.runs))
    if args.only_dispatch:
        print(json.dumps(result, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HEADWATER_HOME"] = tmp
        result["scheduler_pass_sqlite"] = scheduler_pass(f"sqlite:///{tmp}/bench.db")
        if args.pg:
            result["scheduler_pass_postgresql"] = scheduler_pass(bench_schema(args.pg))
            result["claims_postgresql"] = claims(bench_schema(args.pg))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
