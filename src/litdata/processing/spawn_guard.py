"""Detect a script that calls `optimize`/`map` without ``if __name__ == "__main__":`` under the spawn start method.

A spawned worker imports the user's main script again before it runs. If the script calls `optimize` at import
time, that call runs inside the worker's bootstrap: the worker then exits at once with `BOOTSTRAP_EXIT_CODE` (before
touching the output), and the main process turns that exit code into `bootstrap_error`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

BOOTSTRAP_EXIT_CODE = 87
preloading = False  # True while a forkserver imports a job's modules (`litdata.processing.preload`)


class PreloadAborted(BaseException):
    """Raised instead of exiting when a module the forkserver preloads calls `optimize`/`map` at import time: the
    server skips that module, and each worker that imports it exits through the guard as usual."""


def in_spawn_bootstrap() -> bool:
    """Whether this process is a spawned (or forkserver) child still importing the parent's main script."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def exit_if_spawn_bootstrap() -> None:
    """Called first by `optimize` and `map`: end a worker whose bootstrap reached them (see the module docstring)."""
    if preloading:
        raise PreloadAborted
    if in_spawn_bootstrap():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(BOOTSTRAP_EXIT_CODE)  # not SystemExit: a forkserver's child turns any exception into exit status 1


def bootstrap_error() -> RuntimeError:
    """The error the main process raises when a worker exited with `BOOTSTRAP_EXIT_CODE`."""
    return RuntimeError(
        "The worker processes could not start: your script calls litdata's optimize() or map() when it is imported, "
        "and every worker started with the 'spawn' or 'forkserver' method imports your script again. Put the call "
        'under a main guard:\n\n    if __name__ == "__main__":\n        optimize(fn=..., inputs=..., output_dir=...)\n\n'
        "(the functions and classes that fn uses stay at module level)."
    )
