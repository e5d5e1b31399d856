"""``python -m headwater.engine RUN_ID [--retry] [--force]``: run an existing flow run
in this process (what a worker starts), or with ``--retry`` re-run a failed one from
where it failed.  Exits 0 when the run completes or is suspended, 1 otherwise.

``python -m headwater.engine -`` starts warm: it imports the engine and opens the
store first, then reads the run id from stdin (workers keep one such process ready,
so a claimed run starts without paying for interpreter start-up and imports).  An
empty stdin (the worker stopped) exits 0."""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater.launch.deployment_flows import Heartbeat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m headwater.engine", description=__doc__)
    parser.add_argument("flow_run_id", help="the flow run's id, or - to read it from stdin")
    parser.add_argument("--retry", action="store_true", help="re-run a Failed/Crashed run")
    parser.add_argument(
        "--force", action="store_true", help="with --retry: also a run left Running"
    )
    args = parser.parse_args(argv)
    from headwater.exceptions import TerminationSignal, UserInputError
    from headwater.launch.runs import retry_flow_run, run_flow_run

    raw = args.flow_run_id
    if raw == "-":
        _warm_up()
        raw = sys.stdin.readline().strip()
        if not raw:
            return 0
    try:
        run_id = uuid.UUID(raw)
    except ValueError:
        print(f"headwater: error: {raw!r} is not a flow run id", file=sys.stderr)
        return 2
    heartbeat = _start_heartbeat(run_id)
    try:
        state = retry_flow_run(run_id, force=args.force) if args.retry else run_flow_run(run_id)
    except UserInputError as exc:
        print(f"headwater: error: {exc}", file=sys.stderr)
        return 1
    except TerminationSignal as exc:  # stopped (cancelled): the run's state says so
        return 128 + exc.signum
    finally:
        heartbeat.stop()
    suspended = state.is_paused() and state.name == "Suspended"
    return 0 if state.is_completed() or suspended else 1


def _warm_up() -> None:
    """What every run needs before its own code: the client (store or server), the
    schemas it reads, the flow engine."""
    from headwater.client import shared_client
    from headwater.engine import flow_engine, task_engine  # noqa: F401
    from headwater.schemas import deployments, flow_runs  # noqa: F401

    shared_client()


def _start_heartbeat(run_id: uuid.UUID) -> Heartbeat:
    """Heartbeats for the run (so a killed process is noticed and the run Crashed)."""
    from headwater.client import shared_client
    from headwater.launch.deployment_flows import Heartbeat
    from headwater.settings import get_settings

    return Heartbeat(shared_client(), run_id, get_settings().heartbeat_seconds).start()


if __name__ == "__main__":
    sys.exit(main())
