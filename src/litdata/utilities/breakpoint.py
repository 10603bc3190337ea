"""A `breakpoint()` that works inside worker processes (stdin is reopened from the terminal)."""

from __future__ import annotations

import pdb
import sys
from typing import Any


class _ProcessSafePdb(pdb.Pdb):
    def interaction(self, *args: Any, **kwargs: Any) -> None:
        saved = sys.stdin
        try:
            with open("/dev/stdin") as stdin:
                sys.stdin = stdin
                super().interaction(*args, **kwargs)
        finally:
            sys.stdin = saved


def breakpoint() -> None:
    """Stop in the debugger here, also inside `optimize`/`map` workers and DataLoader workers."""
    _ProcessSafePdb().set_trace(sys._getframe(1))
