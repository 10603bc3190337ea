"""Ctrl-C while the main process waits (on its workers, or on Ray tasks): a press is never lost, wherever the main
thread is when it lands."""

from __future__ import annotations

import os
import signal
import time

import pytest

from litdata.processing.interrupts import catch_ctrl_c


def _press_ctrl_c_inside_a_library_that_swallows_everything() -> None:
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the handler runs here, inside the library's call
    except BaseException:  # what some libraries (and every __del__) do with an exception
        pass


def test_without_the_guard_a_swallowed_press_is_lost():
    """The failure the guard exists for: the loop goes on as if nothing was pressed."""
    went_on = False
    _press_ctrl_c_inside_a_library_that_swallows_everything()
    went_on = True
    assert went_on and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_press_swallowed_where_it_landed_is_raised_by_the_loop():
    with pytest.raises(KeyboardInterrupt), catch_ctrl_c() as ctrl_c:
        _press_ctrl_c_inside_a_library_that_swallows_everything()
        ctrl_c.raise_if_pressed()
        pytest.fail("the loop went on after Ctrl-C")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_press_after_the_loops_last_look_is_raised_on_leaving():
    with pytest.raises(KeyboardInterrupt), catch_ctrl_c():
        _press_ctrl_c_inside_a_library_that_swallows_everything()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_press_nothing_is_raised_and_the_handler_is_restored():
    with catch_ctrl_c() as ctrl_c:
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        ctrl_c.raise_if_pressed()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_handler_of_the_users_is_left_in_place_and_called():
    calls = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with catch_ctrl_c() as ctrl_c:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            ctrl_c.raise_if_pressed()
        assert calls == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)
