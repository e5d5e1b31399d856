"""``from prefect._experimental.sla.objects import ...`` with ``headwater`` for
``prefect``: the classes of ``headwater.slas``."""

from headwater.slas import (
    FrequencySla,
    LatenessSla,
    ServiceLevelAgreement,
    TimeToCompletionSla,
)

__all__ = ["FrequencySla", "LatenessSla", "ServiceLevelAgreement", "TimeToCompletionSla"]
