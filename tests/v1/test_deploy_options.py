"""How v1 schedules, storage and run configs become deployment settings, and
``flow.register()`` from Python (embedded store)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import pytest

from headwater.client import get_client
from headwater.schemas.work_pools import WorkPoolCreate
from headwater.v1 import Flow, task
from headwater.v1.exceptions import V1GraphError, V1NotSupported
from headwater.v1.run_configs import KubernetesRun, LocalRun
from headwater.v1.schedules import IntervalSchedule, Schedule
from headwater.v1.schedules.clocks import CronClock, IntervalClock
from headwater.v1.storage import S3, GitHub


@task
def hello(name: str = "world") -> str:
    return f"hello {name}"


with Flow(
    "v1-module-flow",
    schedule=Schedule(
        clocks=[
            IntervalClock(
                dt.timedelta(hours=6),
                start_date=dt.datetime(2024, 1, 1, 3, tzinfo=ZoneInfo("Europe/Paris")),
            ),
            CronClock("0 7 29 2 *", parameter_defaults={"who": "cron"}),
        ]
    ),
    run_config=LocalRun(env={"A": "1"}, working_dir="/tmp", labels=["eu", "batch"]),
) as module_flow:
    hello()


def test_flow_register_from_python_maps_every_option() -> None:
    pool = f"v1-{uuid.uuid4().hex[:6]}"
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name=pool))
    module_flow.register(project_name="proj", labels=["extra"], work_pool_name=pool)
    with get_client() as client:
        deployment = client.read_deployment_by_name("v1-module-flow/proj")
    assert deployment.tags == ["proj", "batch", "eu", "extra"]
    assert deployment.work_queue_name == "batch-eu-extra"
    assert deployment.job_variables == {"env": {"A": "1"}, "working_dir": "/tmp"}
    assert deployment.pull_steps == [{"set_working_directory": {"directory": "/tmp"}}]
    assert deployment.entrypoint.endswith("tests/v1/test_deploy_options.py:module_flow")
    by_kind = {"cron" if "cron" in s.schedule else "interval": s for s in deployment.schedules}
    interval, cron = by_kind["interval"], by_kind["cron"]
    assert interval.schedule["interval"] == 6 * 3600
    assert interval.schedule["timezone"] == "Europe/Paris"
    assert cron.schedule["cron"] == "0 7 29 2 *"
    assert (interval.parameters, cron.parameters) == ({}, {"who": "cron"})


def test_schedules_storage_and_run_configs_errors() -> None:
    assert len(IntervalSchedule(dt.timedelta(minutes=5)).headwater_schedules()) == 1
    assert GitHub("acme/flows", path="etl.py").url == "https://github.com/acme/flows.git"
    assert GitHub("/srv/git/flows.git", path="etl.py").url == "/srv/git/flows.git"
    with pytest.raises(V1NotSupported, match="S3 storage is not supported"):
        S3(bucket="b")
    with pytest.raises(V1NotSupported, match="process work pools only"):
        KubernetesRun()
    with pytest.raises(V1NotSupported, match="filters and adjustments"):
        Schedule(clocks=[], filters=[lambda d: True])
    with pytest.raises(V1GraphError, match="needs a project"):
        module_flow.register(work_pool_name="x")
    with Flow("v1-local-only") as local_flow:
        hello()
    with pytest.raises(V1GraphError, match="not a top-level variable"):
        local_flow.register(project_name="p", work_pool_name="x")


def test_a_task_over_its_timeout_is_timed_out() -> None:
    from headwater.v1.engine import state as v1

    @task(timeout=1)
    def slow() -> None:
        time.sleep(3)

    with Flow("v1-timeout") as flow:
        ran = slow()
    state = flow.run()
    assert isinstance(state.result[ran], v1.TimedOut)
    assert state.is_failed()
