"""Cron expressions in words (the deployment page's schedule descriptions)."""

from __future__ import annotations

import pytest

from headwater.utilities.cron_text import describe_cron


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 6 * * 1-5", "At 06:00, on Monday to Friday"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("* * * * *", "Every minute"),
        ("30 * * * *", "At minute 30 of every hour"),
        ("0 */2 * * *", "At minute 0 of every 2nd hour"),
        ("0 0 1 * *", "At 00:00, on day 1 of the month"),
        ("0 9 * jan,jul mon", "At 09:00, in January and July, on Monday"),
        ("5 4 * * sun", "At 04:05, on Sunday"),
        ("0 0 1,15 * 1", "At 00:00, on day 1 and 15 of the month, or on Monday"),
        ("0,30 8-17 * * 1-5", "At minute 0 and 30 of hour 8 to 17, on Monday to Friday"),
        ("0 12 * * 7", "At 12:00, on Sunday"),
        ("0 6 *", "cron 0 6 *"),
    ],
)
def test_cron_in_words(expression: str, words: str) -> None:
    assert describe_cron(expression) == words
