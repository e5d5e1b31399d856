"""Schedules: when a deployment's runs are due (``Cron``, ``Interval``, ``RRule``).

The maths lives in ``headwater.core.schedules`` (the server's scheduler uses it too);
this is the public path, as in Prefect (``prefect.client.schemas.schedules``' names).
"""

from headwater.core.schedules import (
    MAX_HORIZON,
    Cron,
    Interval,
    RRule,
    Schedule,
    schedule_from_dict,
)

__all__ = ["MAX_HORIZON", "Cron", "Interval", "RRule", "Schedule", "schedule_from_dict"]
