"""Each `optimize` run stages its files under a run id of its own, so an interrupted run never leaks into the next.

Workers write chunk files and their ``{rank}.index.json`` into ``{output}/.litdata-staging/node{rank}/{run id}``
(a local folder for remote outputs). A finished chunk is moved (or uploaded) into the output at once under a name
that no chunk of the current dataset has; ``index.json`` is written last and is the switch from the old dataset to
the new one. So whenever a run is killed:

- the dataset that was there stays readable and unchanged (its index and chunks are never touched before the switch);
- the killed run's files are orphans: chunks that no index names, and a staging folder. The next run removes them
  (or resumes from them with ``use_checkpoint=True``), and never merges an index file of another run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

from litdata.processing.locking import output_lock
from litdata.utilities.processes import pid_alive

STAGING_DIR = ".litdata-staging"


def new_run_id() -> str:
    """Sortable and unique: ``{unix time}-{pid}-{random}``."""
    return f"{int(time.time())}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def node_staging_root(output: Any, node_rank: int) -> str:
    """The folder that holds this node's run folders."""
    return os.path.join(output.staging_root, f"node{node_rank}")


def _remove_dead_runs(root: str) -> None:
    """Delete the run folders under ``root`` whose process is gone (runs that were killed)."""
    if not os.path.isdir(root):
        return
    for entry in os.listdir(root):
        pid = entry.split("-")[1] if entry.count("-") == 2 else ""
        if not pid.isdigit() or not pid_alive(int(pid)):
            shutil.rmtree(os.path.join(root, entry), ignore_errors=True)


def _remove_if_empty(*folders: str) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)


@contextlib.contextmanager
def exclusive_run(output: Any, node_rank: int) -> Iterator[str]:
    """Lock ``output`` for this node, clear what killed runs left in its staging area, and stage this run's files
    in a folder of its own (removed at the end, also on failure). Yields the run id."""
    with output_lock(output, node_rank):
        root = node_staging_root(output, node_rank)
        run_id = new_run_id()
        _remove_dead_runs(root)
        output.begin_run(os.path.join(root, run_id))
        try:
            yield run_id
        finally:
            output.end_run()
            _remove_if_empty(root, output.staging_root)


def chunk_names(index: dict[str, Any] | None) -> set[str]:
    return {chunk["filename"] for chunk in (index or {}).get("chunks", [])}


def remove_replaced_chunks(output: Any, old_index: dict[str, Any] | None, new_index: dict[str, Any]) -> None:
    """After ``index.json`` switched to ``new_index``: delete the chunks only the old dataset used."""
    for name in sorted(chunk_names(old_index) - chunk_names(new_index)):
        output.remove(name)
