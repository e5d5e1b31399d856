"""The porting corpus: Prefect 3 flows run unchanged after rewriting their imports.

Each file in ``flows/`` is a small flow written against Prefect 3 (and run there, see
``benchmarks/porting.py --prefect``).  The check rewrites ``prefect`` to ``headwater``
and runs each one in its own process with its own HEADWATER_HOME, as a user would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from porting import FLOWS_DIR, needs_issue, rewrite, run_corpus  # noqa: E402


def test_rewrite_is_what_a_person_porting_does() -> None:
    source = (
        "import prefect\nfrom prefect.runtime import flow_run\n"
        "os.environ['PREFECT__RUNTIME__FLOW_RUN__ID']\nPrefectFuture\n"
    )
    assert rewrite(source) == (
        "import headwater\nfrom headwater.runtime import flow_run\n"
        "os.environ['HEADWATER__RUNTIME__FLOW_RUN__ID']\nPrefectFuture\n"
    )


def test_the_corpus_is_large_enough_and_mostly_in_scope() -> None:
    flows = sorted(FLOWS_DIR.glob("*.py"))
    needing = [p.stem for p in flows if needs_issue(p.read_text())]
    assert len(flows) >= 50
    assert len(needing) <= 6, needing


@pytest.mark.timeout(600)
def test_every_flow_of_the_corpus_runs_unchanged() -> None:
    report = run_corpus(jobs=2, timeout=120)
    assert report["failed"] == {}, report["failed"]
    assert report["percent"] == 100.0 and report["counted"] >= 50
    assert set(report["excluded"].values()) <= {"issue 13", "issue 14", "issue 17"}
