"""One client contract, tested once: ``TestClientConformance`` runs every method of
the ``Client`` protocol against ``LocalClient`` (embedded SQLite and PostgreSQL) and
``HttpClient`` (a real server on SQLite and on PostgreSQL), with the same assertions.

The contracts are split by area (``contract_*.py``) to keep files small; this class is
the only one that runs them.  A method exists in both transports or in neither.
"""

from __future__ import annotations

import inspect

from headwater.client.http import HttpClient
from headwater.client.local import LocalClient
from headwater.client.protocol import Client
from tests.client.conformance.contract_artifacts import ArtifactsContract
from tests.client.conformance.contract_automations import AutomationsContract
from tests.client.conformance.contract_catalogue import CatalogueContract
from tests.client.conformance.contract_concurrency import ConcurrencyContract
from tests.client.conformance.contract_deployments import DeploymentsContract
from tests.client.conformance.contract_events import EventsContract
from tests.client.conformance.contract_hooks import HooksContract
from tests.client.conformance.contract_inputs import InputsContract
from tests.client.conformance.contract_records import RecordsContract
from tests.client.conformance.contract_runs import FlowRunsContract
from tests.client.conformance.contract_task_queue import TaskQueueContract
from tests.client.conformance.contract_transactions import TransactionsContract
from tests.client.conformance.contract_work_pools import WorkPoolsContract


class TestClientConformance(
    ArtifactsContract,
    TransactionsContract,
    InputsContract,
    FlowRunsContract,
    RecordsContract,
    CatalogueContract,
    DeploymentsContract,
    WorkPoolsContract,
    ConcurrencyContract,
    EventsContract,
    AutomationsContract,
    HooksContract,
    TaskQueueContract,
):
    def test_is_a_client(self, client: Client) -> None:
        assert isinstance(client, Client)

    def test_close_may_be_repeated(self, client: Client) -> None:
        client.close()
        client.close()


def _protocol_methods() -> set[str]:
    return {
        name
        for name, value in vars(Client).items()
        if callable(value) and (not name.startswith("_") or name in ("__enter__", "__exit__"))
    }


def _public_methods(cls: type) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(cls, callable)
        if not name.startswith("_") and not inspect.isclass(value)
    } | {"__enter__", "__exit__"} & set(dir(cls))


#: Methods one transport has on purpose, and why.  Every other public method is in the
#: protocol and in both transports.
ONE_TRANSPORT_ONLY = {
    LocalClient: {
        "start_services": "runs the server's services on the embedded store (serve() "
        "without a server); a server runs its own",
        "write_batch_and_transactions": "one store transaction for a flush's records and "
        "transaction rows (the writer uses it when its client has it; over HTTP the two "
        "go as two requests)",
    },
    HttpClient: {},
}


def test_a_method_exists_in_both_transports_or_in_neither() -> None:
    protocol = _protocol_methods()
    for cls in (LocalClient, HttpClient):
        methods = _public_methods(cls)
        assert methods - protocol == set(ONE_TRANSPORT_ONLY[cls]), f"{cls.__name__} extras"
        assert protocol - methods == set(), f"protocol methods {cls.__name__} lacks"


def test_both_transports_take_the_protocols_arguments() -> None:
    """Same parameter names, kinds and defaults as the protocol, method by method."""
    for name in sorted(_protocol_methods() - {"__enter__", "__exit__"}):
        expected = _shape(getattr(Client, name))
        for cls in (LocalClient, HttpClient):
            assert _shape(getattr(cls, name)) == expected, f"{cls.__name__}.{name}"


def _shape(method: object) -> list[tuple[str, object, object]]:
    signature = inspect.signature(method)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_the_contract_covers_every_protocol_method() -> None:
    """Every protocol method is called by at least one contract test."""
    sources = "\n".join(
        inspect.getsource(contract) for contract in TestClientConformance.__mro__[1:-1]
    )
    sources += inspect.getsource(TestClientConformance)
    from tests.client.conformance import conftest

    sources += inspect.getsource(conftest)
    uncovered = {
        name
        for name in _protocol_methods() - {"__enter__", "__exit__"}
        if f".{name}(" not in sources
    }
    assert uncovered == set()
