"""core.common.background.beside: the loaders' one way of overlapping work with a thread."""

from __future__ import annotations

import threading

import pytest

from crime_mapper.core.common import background


def test_the_work_runs_beside_the_caller_and_its_value_comes_back():
    started = threading.Event()
    release = threading.Event()
    callers = []

    def work() -> str:
        callers.append(threading.current_thread())
        started.set()
        assert release.wait(10)
        return "value"

    result = background.beside(work, "test-beside")
    assert started.wait(10)  # running before anyone asked for it
    assert callers[0] is not threading.current_thread()
    assert callers[0].name == "test-beside" and callers[0].daemon
    release.set()
    assert result() == "value"
    assert result() == "value"  # asking twice joins once more, same value


def test_an_error_in_the_thread_is_raised_on_the_callers_thread():
    error = ValueError("bad row 7")

    def work() -> None:
        raise error

    result = background.beside(work)
    with pytest.raises(ValueError) as caught:
        result()
    assert caught.value is error  # the same object, with its traceback: nothing swallowed


def test_a_value_of_none_is_a_value():
    assert background.beside(lambda: None)() is None
