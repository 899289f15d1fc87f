"""A child's progress lines (core.common.child_lines.ProgressFeedback): throttled, but the
last value given is sent before the child asks its caller anything (send_latest), so the
caller decides on where the work really stands (webmap_child's commit question)."""

from __future__ import annotations

import io
import json

from crime_mapper.core.common.child_lines import LineProtocol, ProgressFeedback


def _sent(stream: io.StringIO) -> list[float]:
    return [json.loads(line)["value"] for line in stream.getvalue().splitlines()]


def test_progress_is_throttled_and_the_latest_is_sent_when_asked():
    stream = io.StringIO()
    feedback = ProgressFeedback(LineProtocol(stream), lambda: False)
    for value in (5, 40, 95):  # (within one throttle interval: only the first goes)
        feedback.set_progress(value)
    assert _sent(stream) == [5.0]
    feedback.send_latest()
    feedback.send_latest()  # (once only)
    assert _sent(stream) == [5.0, 95.0]


def test_nothing_is_sent_when_the_latest_went_already_or_none_was_given():
    stream = io.StringIO()
    feedback = ProgressFeedback(LineProtocol(stream), lambda: False)
    feedback.send_latest()
    assert _sent(stream) == []
    feedback.set_progress(100)
    feedback.send_latest()
    assert _sent(stream) == [100.0]
