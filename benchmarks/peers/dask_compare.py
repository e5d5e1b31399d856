"""Headwater's DaskTaskRunner next to prefect-dask's, on the same workload in one run,
as JSON (issue: Prefect's Dask runner was reported at about one task per second).

    python benchmarks/peers/dask_compare.py [--n 200] [--workers 2] [--skip-prefect-setup]

Each side runs N no-op tasks mapped in one flow on its own ``LocalCluster`` of W
single-threaded workers and reports µs per task next to raw ``client.submit`` on the
same cluster in the same process (see ``dask_prefect.py`` and
``benchmarks/task_runners.py``). ``prefect-dask`` goes into the Prefect venv of
``prefect_env.py`` without touching its Prefect (installed with ``--no-deps``, then its
other requirements).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PEERS = Path(__file__).resolve().parent
sys.path.insert(0, str(PEERS))
sys.path.insert(0, str(PEERS.parent))

from prefect_env import _pip, _requires_dist, ensure_prefect_env  # noqa: E402


def _ensure_prefect_dask(python: Path) -> None:
    probe = [str(python), "-c", "import prefect_dask"]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return
    if _pip(python, ["--no-deps", "prefect-dask"], quiet=True).returncode != 0:
        raise RuntimeError("pip could not install prefect-dask")
    wanted = [r for r in _requires_dist(python, "prefect-dask") if not r.startswith("prefect")]
    result = _pip(python, wanted, quiet=True)
    if result.returncode != 0:
        raise RuntimeError(f"pip could not install prefect-dask's requirements:\n{result.stderr}")


def prefect_side(n: int, workers: int, setup: bool) -> dict[str, Any]:
    try:
        python = ensure_prefect_env() if setup else PEERS / ".venv-prefect" / "bin" / "python"
        if setup:
            _ensure_prefect_dask(python)
        done = subprocess.run(
            [str(python), str(PEERS / "dask_prefect.py"), "--n", str(n), "--workers", str(workers)],
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc).splitlines()[0]}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def headwater_side(n: int, workers: int) -> dict[str, Any]:
    import task_runners

    task_runners._setup_home()
    return task_runners.measure_dask(n, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-prefect-setup", action="store_true")
    args = parser.parse_args()
    ours = headwater_side(args.n, args.workers)
    theirs = prefect_side(args.n, args.workers, not args.skip_prefect_setup)
    ratio = None
    if "dask_us" in ours and "dask_us" in theirs:
        ratio = round(ours["dask_us"] / theirs["dask_us"], 4)
    out = {"n": args.n, "headwater": ours, "prefect": theirs, "headwater_over_prefect": ratio}
    print(json.dumps(out, indent=2))
    sys.exit(1 if "error" in theirs else 0)


if __name__ == "__main__":
    main()
