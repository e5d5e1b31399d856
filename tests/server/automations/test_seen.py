"""The automation service's memory of judged events: an id is kept while it can come
back (judged recently, or still in the tail's window) and forgotten after, in order."""

from __future__ import annotations

from headwater.server.automations.seen import SeenEvents


def test_an_id_is_kept_while_recent_or_in_the_window() -> None:
    seen = SeenEvents(keep_seconds=10)
    assert seen.add("a", received=100.0, judged=100.0)
    assert not seen.add("a", received=100.0, judged=101.0)
    assert seen.add("b", received=103.0, judged=100.5)
    # judged long ago, but the window still covers both
    assert seen.forget(now=200.0, window_start=99.0) == 0
    assert "a" in seen and "b" in seen
    # the window passed "a" only
    assert seen.forget(now=200.0, window_start=101.0) == 1
    assert "a" not in seen and "b" in seen and len(seen) == 1


def test_a_recently_judged_id_is_kept_after_the_window_passed_it() -> None:
    seen = SeenEvents(keep_seconds=10)
    seen.add("late", received=50.0, judged=100.0)  # a long transaction's event
    assert seen.forget(now=105.0, window_start=95.0) == 0
    assert "late" in seen
    assert seen.forget(now=111.0, window_start=95.0) == 1
    assert len(seen) == 0
