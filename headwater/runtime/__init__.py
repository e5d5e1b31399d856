"""The current run's facts as module attributes, under Prefect's ``prefect.runtime``:
``from headwater.runtime import flow_run, task_run, deployment``, then
``flow_run.name``, ``task_run.tags``, ``deployment.id`` ...

Outside a run every attribute has an empty value (None, ``[]``, ``{}``, 0).  For tests,
``HEADWATER__RUNTIME__FLOW_RUN__NAME=...`` (``__TASK_RUN__``, ``__DEPLOYMENT__``)
overrides an attribute, converted to the type of its real value.
"""

from headwater.runtime import deployment, flow_run, task_run

__all__ = ["deployment", "flow_run", "task_run"]
