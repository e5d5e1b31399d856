import logging
import os
import signal
import threading

import pytest

from headwater.utilities.stop_signals import stop_on_signals

logger = logging.getLogger("test.stop_signals")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_calls_stop_and_the_old_handler_comes_back(
    sig: signal.Signals, caplog: pytest.LogCaptureFixture
) -> None:
    before = signal.getsignal(sig)
    stopped = threading.Event()
    with (
        caplog.at_level(logging.INFO, logger.name),
        stop_on_signals(stopped.set, logger, "finishing up"),
    ):
        os.kill(os.getpid(), sig)
        assert stopped.wait(5)
    assert signal.getsignal(sig) is before
    assert f"received signal {int(sig)}: finishing up" in caplog.text


def test_outside_the_main_thread_it_sets_no_handler() -> None:
    seen: list[object] = []

    def body() -> None:
        with stop_on_signals(lambda: None, logger, "never"):
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=body)
    thread.start()
    thread.join(5)
    assert seen == [before]
