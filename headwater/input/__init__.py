"""Input a paused flow run waits for (Prefect's ``prefect.input``).

    from headwater.input import RunInput

    class Approval(RunInput):
        approved: bool
        reviewer: str = "ops"

    answer = pause_flow_run(wait_for_input=Approval.with_initial_data(
        description="**Approve** tonight's load?", reviewer="me"))

Importing this module imports pydantic (``RunInput`` is a pydantic model); ``import
headwater`` does not import it.
"""

from __future__ import annotations

from headwater.input.run_input import (
    AutomaticRunInput,
    RunInput,
    input_model,
    receive_input,
    send_input,
)

__all__ = ["AutomaticRunInput", "RunInput", "input_model", "receive_input", "send_input"]
