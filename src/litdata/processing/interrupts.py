"""Ctrl-C while the main process waits on its workers (or a driver on its Ray tasks): noted by a signal handler,
raised by the wait loop.

Python raises `KeyboardInterrupt` wherever the main thread happens to be when the signal is handled: inside a
library's call, a finalizer or an ``except`` clause, any of which may swallow it (an exception raised in a ``__del__``
is only printed). A press lost that way lets the job run to its end. Inside `catch_ctrl_c` the handler only notes the
press and the loop raises at a point of its choosing (`CtrlC.raise_if_pressed`), so none is lost.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class CtrlC:
    """Whether Ctrl-C was pressed since `catch_ctrl_c` started."""

    def __init__(self) -> None:
        self.pressed = False

    def note(self, signum: int, frame: FrameType | None) -> None:
        self.pressed = True

    def raise_if_pressed(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt


@contextmanager
def catch_ctrl_c() -> Iterator[CtrlC]:
    """Note Ctrl-C presses instead of raising at once, while the default handler is installed (a handler of the
    user's is left alone, and so is any thread but the main one, which cannot install handlers); restored on exit."""
    ctrl_c = CtrlC()
    installed = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if installed:
        signal.signal(signal.SIGINT, ctrl_c.note)
    try:
        yield ctrl_c
    finally:
        if installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    ctrl_c.raise_if_pressed()  # pressed after the loop's last look
