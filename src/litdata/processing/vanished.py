"""The error raised when a worker of a local `optimize`/`map` ended without reporting its share as done.

A worker reports its end (done, or the exception it caught) on the events queue. One that ends otherwise, whatever
its exit code (``os._exit(0)`` in ``fn``, ``SystemExit`` while a spawned worker imports the main script, a signal
such as the out-of-memory killer's SIGKILL), did not finish its share: the run stops, and this error says which
worker, where in its share it was (from `ShareStatus`) and what likely ended it.
"""

from __future__ import annotations

import signal
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from litdata.processing.workers import BETWEEN_INPUTS, NO_INPUT, PROCESSING, STARTING, ShareStatus

_REPR_LIMIT = 300


class RecentInputs:
    """The inputs a lazy stream handed out, by input index, kept while a worker may still have to name one.

    The queue hands inputs out in index order, so a worker's next input comes after the last one it marked in its
    status slot; an input below every unfinished worker's mark (`ShareStatus.oldest_input_needed`) can no longer be
    one a vanished worker held, and is forgotten. How long a worker sits between taking an input and marking it
    depends on the scheduler, which is why no fixed window is used. At most ``limit`` inputs are kept (a worker
    stalled on one slow input must not make the stream pile up): past it, the oldest input no worker holds goes.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._items: OrderedDict[int, Any] = OrderedDict()
        self._status: ShareStatus | None = None

    def keep_needed(self, status: ShareStatus) -> None:
        """Keep the inputs the workers of ``status`` may still have to name."""
        self._status = status

    def record(self, pairs: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        for index, item in pairs:
            self._items[index] = item
            self._forget_settled()
            yield index, item

    def _forget_settled(self) -> None:
        oldest_needed = self._status.oldest_input_needed() if self._status is not None else NO_INPUT
        while self._items and next(iter(self._items)) < oldest_needed:
            self._items.popitem(last=False)
        if len(self._items) > self._limit:
            in_use = self._status.inputs_in_use() if self._status is not None else set()
            for index in self._items:
                if index not in in_use:
                    del self._items[index]
                    return

    def __getitem__(self, index: int) -> Any:
        return self._items[index]


def describe_input(inputs: Any, index: int) -> str:
    """``the input <repr>`` when ``inputs`` still knows input ``index``, else ``input #index``."""
    try:
        text = repr(inputs[index])
    except Exception:  # no inputs kept (a dataloader), forgotten by RecentInputs, or a failing repr
        return f"input #{index}"
    if len(text) > _REPR_LIMIT:
        text = text[:_REPR_LIMIT] + "..."
    return f"the input {text}"


def _how_it_ended(exitcode: int) -> str:
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with code {exitcode}"


def _likely_cause(exitcode: int, phase: int) -> str:
    if exitcode == -signal.SIGKILL:
        return (
            "SIGKILL usually comes from the kernel's out-of-memory killer: lower num_workers or the memory used "
            "per input (or someone ran `kill -9`)."
        )
    if exitcode < 0:
        return "another process (or the system) sent it that signal."
    if phase == STARTING:
        return (
            "the worker could not start: with the 'spawn' start method every worker imports your main script "
            "again, and something in it ends the process at import (sys.exit(), raise SystemExit, os._exit). "
            'Put that code under `if __name__ == "__main__":`. If a traceback is printed above, loading the job '
            "(fn, reader, encryption) in the worker failed."
        )
    if phase == PROCESSING:
        return (
            "fn (or a library it calls) ended the process, e.g. os._exit() or a crash in native code; an exception "
            "would have been reported with its traceback. Return or raise from fn instead of exiting."
        )
    return "the process was ended outside of fn (os._exit() in another thread, or a crash in native code)."


def vanished_worker_error(rank: int, exitcode: int, phase: int, input_index: int, inputs: Any) -> RuntimeError:
    """The error for worker ``rank`` that ended with ``exitcode`` in ``phase`` of its share (see `ShareStatus`)."""
    if phase == STARTING or input_index == NO_INPUT:
        where = "before it processed any input"
    elif phase == PROCESSING:
        where = f"while processing {describe_input(inputs, input_index)}"
    elif phase == BETWEEN_INPUTS:
        where = f"after processing {describe_input(inputs, input_index)}, while waiting for its next input"
    else:
        where = f"after its last input ({describe_input(inputs, input_index)}), while writing its last output"
    return RuntimeError(
        f"Worker {rank} {_how_it_ended(exitcode)} {where}, without reporting its share as done, so the run stopped "
        f"before finishing its output. Likely cause: {_likely_cause(exitcode, phase)}"
    )
