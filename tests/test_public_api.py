"""The public names exist, import lazily, and keep ``import headwater`` light."""

from __future__ import annotations

import subprocess
import sys


def test_import_headwater_pulls_in_no_heavy_dependencies() -> None:
    code = (
        "import sys, headwater; "
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'pydantic', 'fastapi', 'starlette', "
        "'uvicorn', 'jinja2', 'rich', 'typer', 'httpx', 'cloudpickle', 'fsspec', 'dask', "
        "'distributed', 'ray', 's3fs', 'boto3') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_importing_a_scale_out_runner_loads_its_engine_only_when_it_starts() -> None:
    code = (
        "import sys\n"
        "from headwater.task_runners.dask import DaskTaskRunner\n"
        "from headwater.task_runners.ray import RayTaskRunner\n"
        "DaskTaskRunner(); RayTaskRunner()\n"
        "print('distributed' in sys.modules, 'ray' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False False", result.stderr


def test_decorating_a_flow_does_not_import_the_store() -> None:
    code = (
        "import sys\n"
        "from headwater import flow, task\n"
        "@task\ndef t(): return 1\n"
        "@flow\ndef f(x: int = 1): return t()\n"
        "print('sqlalchemy' in sys.modules, 'pydantic' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False False", result.stderr


def test_public_names() -> None:
    import headwater
    from headwater import (  # noqa: F401
        ProcessPoolTaskRunner,
        State,
        ThreadPoolTaskRunner,
        allow_failure,
        flow,
        get_client,
        get_run_logger,
        tags,
        task,
        unmapped,
    )
    from headwater.futures import PrefectFuture, as_completed, wait  # noqa: F401
    from headwater.states import Cancelled, Completed, Failed, StateType  # noqa: F401
    from headwater.task_runners import ProcessPoolTaskRunner as P  # noqa: F401

    assert headwater.__version__
    assert set(dir(headwater)) >= {"flow", "task", "get_run_logger"}
