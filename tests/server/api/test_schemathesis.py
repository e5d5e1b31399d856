"""Property-based: schemathesis generates valid and invalid requests for every
operation in a live server's OpenAPI document; none may be answered with a 5xx.

(Schemathesis' own pytest loader for fixture-provided schemas does not run under
this pytest, so the operations are driven through its Hypothesis strategies.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests._servers import ServerProcess
from tests.conftest import server_store

#: Examples per operation and mode: bounded so the run stays well under two minutes
#: (raise it for a deeper search, e.g. HEADWATER_TEST_SCHEMATHESIS_EXAMPLES=500).
EXAMPLES = int(os.environ.get("HEADWATER_TEST_SCHEMATHESIS_EXAMPLES", "8"))
#: The operations are fuzzed in this many tests, so xdist workers share the work
#: (one long test per mode kept a single worker busy long after the others were done).
PARTS = 3


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[ServerProcess]:
    """A server of its own: the fuzzer leaves arbitrary deployments, schedules and
    cancellations behind, which tests on the shared servers must not see."""
    with server_store(request.param, worker_id) as url:
        home = tmp_path_factory.mktemp("fuzzed-server")
        with ServerProcess(home, database_url=url) as server:
            yield server


@pytest.fixture(scope="module")
def operations(fuzzed_server: ServerProcess) -> list[Any]:
    # Fetched here with a patient timeout: a loaded machine can take longer than the
    # loader's own default to render the document the first time.
    document = requests.get(f"{fuzzed_server.api_url}/openapi.json", timeout=120)
    document.raise_for_status()
    schema = schemathesis.openapi.from_dict(document.json())
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 15
    # Long-polls wait up to wait_seconds by design (tested in test_deployments_api and,
    # for concurrency slots, tests/concurrency, for task workers, the client contract);
    # the event stream never ends by design (tested in tests/server/api/test_events_api.py).
    endless = (
        "/get_scheduled_flow_runs",
        "/concurrency_limits/acquire",
        "/events/stream",
        "/task_runs/claim",
    )
    return [op for op in found if not op.path.endswith(endless)]


@pytest.mark.slow
@pytest.mark.timeout(900)  # room for a deeper search; 20 examples take ~20 s
@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_5xx(
    operations: list[Any], fuzzed_server: ServerProcess, mode: GenerationMode, part: int
) -> None:
    session = requests.Session()
    failures: list[str] = []
    for operation in operations[part::PARTS]:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case: Any) -> None:
            response = case.call(base_url=fuzzed_server.url, session=session, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]} (body {str(case.body)[:300]})"
                )

        try:
            call()
        except Unsatisfiable:  # no invalid request exists (e.g. GET /api/health)
            assert mode is GenerationMode.NEGATIVE
    session.close()
    assert not failures, "\n".join(failures[:20]) + "\n" + fuzzed_server.log()[-3000:]
