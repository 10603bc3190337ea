"""The matrix's shared runs (both releases, once per session) and its counts in the terminal summary."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix
from matrix import COUNTS, DIFFERENCES


@pytest.fixture(scope="session")
def matrix_outcomes(tmp_path_factory):
    """``{cache key: (ours, reference)}`` for every selected combination: ours and the reference run side by side,
    each in one subprocess; the reference's outcomes come from `.cache/matrix-reference/` when cached."""
    root = str(tmp_path_factory.mktemp("matrix"))
    datasets = matrix.build_datasets(os.path.join(root, "data"))
    combos, _ = matrix.selected_combos()
    with ThreadPoolExecutor(2) as pool:
        ours = pool.submit(matrix.run_ours, datasets, combos, root)
        reference = pool.submit(matrix.run_reference, datasets, combos, root)
        ours_outcomes, reference_outcomes = ours.result(), reference.result()
    return {key: (ours_outcomes[key], reference_outcomes[key]) for key in ours_outcomes}, datasets, root


def pytest_collection_modifyitems(config, items):
    """Combinations outside the CI subset carry `matrix_full` and run only with LITDATA_MATRIX set."""
    if os.environ.get("LITDATA_MATRIX"):
        return
    kept = [item for item in items if item.get_closest_marker("matrix_full") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    if COUNTS["combos"]:
        line = ", ".join(f"{name}: {count}" for name, count in COUNTS.items())
        terminalreporter.write_line(f"configuration matrix: {line}")
        for name, count in sorted(DIFFERENCES.items()):
            terminalreporter.write_line(f"  documented difference {name!r}: {count} combinations")
