from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from headwater.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CompoundCachePolicy,
    Inputs,
)
from headwater.tasks import task
from headwater.utilities.hashing import UnhashableError


class Ctx:
    def __init__(self, fn: Any, flow_run_id: uuid.UUID | None = None) -> None:
        self.task = task(fn)
        self.flow_run_id = flow_run_id
        self.task_run_id = uuid.uuid4()


def f(x: Any, y: Any = 1) -> Any:
    return x


def g(x: Any, y: Any = 1) -> Any:
    return (x, y)


def test_default_is_inputs_source_and_run_id() -> None:
    assert isinstance(DEFAULT, CompoundCachePolicy)
    assert DEFAULT.policies == [INPUTS, TASK_SOURCE, RUN_ID]
    assert repr(DEFAULT) == "INPUTS + TASK_SOURCE + RUN_ID"


def test_inputs_key_depends_on_values_only() -> None:
    ctx = Ctx(f)
    key = INPUTS.compute_key(ctx, {"x": 1, "y": [1, 2]}, {})
    assert key == INPUTS.compute_key(ctx, {"y": [1, 2], "x": 1}, {})
    assert key != INPUTS.compute_key(ctx, {"x": 2, "y": [1, 2]}, {})
    assert INPUTS.compute_key(ctx, {"s": {"b", "a"}}, {}) == INPUTS.compute_key(
        ctx, {"s": {"a", "b"}}, {}
    )


def test_subtracting_an_argument_ignores_it() -> None:
    ctx = Ctx(f)
    policy = INPUTS - "y"
    assert isinstance(policy, Inputs) and policy.exclude == ("y",)
    assert policy.compute_key(ctx, {"x": 1, "y": 1}, {}) == policy.compute_key(
        ctx, {"x": 1, "y": 2}, {}
    )
    compound = DEFAULT - "y"
    assert compound.compute_key(ctx, {"x": 1, "y": 1}, {}) == compound.compute_key(
        ctx, {"x": 1, "y": 2}, {}
    )
    with pytest.raises(TypeError):
        INPUTS - 3  # type: ignore[operator]


def test_task_source_run_id_and_flow_parameters() -> None:
    run = uuid.uuid4()
    assert TASK_SOURCE.compute_key(Ctx(f), {}, {}) != TASK_SOURCE.compute_key(Ctx(g), {}, {})
    assert RUN_ID.compute_key(Ctx(f, run), {}, {}) == str(run)
    orphan = Ctx(f)
    assert RUN_ID.compute_key(orphan, {}, {}) == str(orphan.task_run_id)
    assert FLOW_PARAMETERS.compute_key(Ctx(f), {}, {"a": 1}) != FLOW_PARAMETERS.compute_key(
        Ctx(f), {}, {"a": 2}
    )


def test_composition() -> None:
    assert NO_CACHE + INPUTS is INPUTS
    assert INPUTS + NO_CACHE is INPUTS
    assert NO_CACHE.compute_key(Ctx(f), {"x": 1}, {}) is None
    combined = INPUTS + TASK_SOURCE + INPUTS
    assert isinstance(combined, CompoundCachePolicy) and combined.policies == [INPUTS, TASK_SOURCE]
    none_key = CacheKeyFnPolicy(lambda ctx, args: None)
    assert (none_key + CacheKeyFnPolicy(lambda c, a: None)).compute_key(Ctx(f), {}, {}) is None


def test_unhashable_input_names_the_argument() -> None:
    with pytest.raises(UnhashableError) as info:
        INPUTS.compute_key(Ctx(f), {"x": 1, "lock": threading.Lock()}, {})
    assert info.value.name == "lock"
