"""SLAs of a deployment (Prefect 3's ``prefect._experimental.sla.objects`` names):

```python
from headwater.slas import TimeToCompletionSla, LatenessSla, FrequencySla

my_flow.serve(
    "nightly",
    cron="0 2 * * *",
    sla=[
        TimeToCompletionSla(name="done-in-10-min", duration=600, severity="high"),
        LatenessSla(name="starts-on-time", within=timedelta(minutes=5)),
        FrequencySla(name="daily", stale_after=timedelta(hours=25)),
    ],
)
```

A breach emits ``headwater.sla.violation`` (once per breach) about the SLA, related to
the deployment, its flow and (except for frequency) the flow run; an automation
reacts to it like to any event.  Every SLA takes ``name``, ``severity`` (``minor``,
``low``, ``moderate`` (default), ``high``, ``critical``), ``labels`` and ``enabled``;
the allowed time is ``duration`` seconds (a number or a ``timedelta``), also
spelled ``within`` (lateness) and ``stale_after`` (frequency) as in Prefect.
"""

from __future__ import annotations

from typing import Literal

from headwater.schemas.slas import SlaCreate


class ServiceLevelAgreement(SlaCreate):
    """An SLA of any ``type`` (the classes below fix it)."""


class TimeToCompletionSla(ServiceLevelAgreement):
    """Breached by a run not in a final state ``duration`` seconds after it started."""

    type: Literal["time-to-completion"] = "time-to-completion"


class LatenessSla(ServiceLevelAgreement):
    """Breached by a run not started ``duration`` (``within``) seconds after its
    scheduled start time."""

    type: Literal["lateness"] = "lateness"


class FrequencySla(ServiceLevelAgreement):
    """Breached when no run completed for ``duration`` (``stale_after``) seconds."""

    type: Literal["frequency"] = "frequency"


__all__ = ["FrequencySla", "LatenessSla", "ServiceLevelAgreement", "TimeToCompletionSla"]
