"""The differential configuration matrix: every combination of shuffle, workers (persistent or not), collate path,
batch size, drop_last, world size, resume and dataset kind reads every sample exactly once per epoch (union over
ranks) in the order the real LitData 0.2.76 reads it, or differs from it as README "Where we differ" says.

CI checks a seeded pairwise subset (every pair of axis values occurs); ``make test-matrix`` checks every combination.
"""

from __future__ import annotations

import os
import sys

import pytest

import matrix
from matrix import COUNTS, DIFFERENCES

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))
from reference_run import run_ours, run_reference

COMBOS, CI_KEYS = matrix.selected_combos()

pytestmark = pytest.mark.reference


def _param(combo: dict) -> object:
    marks = [] if matrix.cache_key(combo) in CI_KEYS else [pytest.mark.matrix_full]
    return pytest.param(combo, id=matrix.combo_id(combo), marks=marks)


@pytest.mark.parametrize("combo", [_param(combo) for combo in COMBOS])
def test_every_epoch_holds_every_sample_once_in_the_order_of_0_2_76(matrix_outcomes, combo):
    outcomes, _, _ = matrix_outcomes
    ours, reference = outcomes[matrix.cache_key(combo)]
    COUNTS["combos"] += 1
    problems = matrix.exactly_once_problems(combo, ours)
    assert not problems, f"not exactly once: {problems}"
    COUNTS["exact"] += 1
    if ours == reference:
        COUNTS["same order"] += 1
        return
    difference = matrix.documented_difference(combo, ours, reference)
    assert difference is not None, (
        f"the order differs from LitData 0.2.76 (reference problems: "
        f"{matrix.exactly_once_problems(combo, reference) or 'none'})"
    )
    COUNTS["documented differences"] += 1
    DIFFERENCES[difference] = DIFFERENCES.get(difference, 0) + 1


GLOO_COMBOS = [
    {
        "dataset": "plain",
        "shuffle": True,
        "collate": "custom",
        "batch_size": 7,
        "drop_last": True,
        "world_size": 2,
        "resume": True,
        "num_workers": 2,
        "persistent": True,
    },
]


def test_real_gloo_ranks_read_what_the_rank_override_reads_and_0_2_76_reads(matrix_outcomes):
    _, datasets, root = matrix_outcomes
    gloo = [{**combo, "ranks": "gloo"} for combo in GLOO_COMBOS]
    ours = matrix.run_ours(datasets, GLOO_COMBOS + gloo, root + "/gloo")
    reference = matrix.run_reference(datasets, GLOO_COMBOS, root + "/gloo")
    for combo, real in zip(GLOO_COMBOS, gloo):
        overridden = ours[matrix.cache_key(combo)]
        assert not matrix.exactly_once_problems(combo, overridden)
        assert ours[matrix.cache_key(real)] == overridden
        assert overridden == reference[matrix.cache_key(combo)]


PARALLEL_PERSISTENT_COMBO = {
    "dataset": "parallel",
    "shuffle": True,
    "collate": "custom",
    "batch_size": 1,
    "drop_last": True,
    "world_size": 1,
    "resume": False,
    "num_workers": 1,
    "persistent": True,
}


def test_parallel_datasets_reshuffle_every_epoch_with_persistent_workers_unlike_0_2_76(matrix_outcomes):
    """README "Where we differ": ours reads what fresh workers read, epoch after epoch; 0.2.76's persistent worker
    repeats the first epoch's order of the dataset it did not read to its end."""
    _, datasets, root = matrix_outcomes
    fresh = {**PARALLEL_PERSISTENT_COMBO, "persistent": False}
    ours = matrix.run_ours(datasets, [PARALLEL_PERSISTENT_COMBO, fresh], root + "/parallel")
    reference = matrix.run_reference(datasets, [PARALLEL_PERSISTENT_COMBO, fresh], root + "/parallel")
    key, fresh_key = matrix.cache_key(PARALLEL_PERSISTENT_COMBO), matrix.cache_key(fresh)
    assert ours[key] == ours[fresh_key] == reference[fresh_key]
    second_dataset = [[i % 10000 for i in epoch[0]] for epoch in reference[key]["epochs"]]
    assert second_dataset[0] == second_dataset[1] == second_dataset[2]
    assert [[i % 10000 for i in epoch[0]] for epoch in ours[key]["epochs"]][1] != second_dataset[0]
    assert (
        matrix.documented_difference(PARALLEL_PERSISTENT_COMBO, ours[key], reference[key]) == matrix.PARALLEL_PERSISTENT
    )


BREAK_OFF = """
import json, os, sys, warnings
warnings.filterwarnings("ignore")
os.environ["LITDATA_POSIX_FAST"] = "0"
from litdata import StreamingDataLoader, StreamingDataset

def ids(samples):
    return [int(sample["i"]) for sample in samples]

if __name__ == "__main__":
    runs = {}
    for persistent in (True, False):
        dataset = StreamingDataset(sys.argv[1], shuffle=True, seed=3)
        loader = StreamingDataLoader(dataset, batch_size=4, num_workers=2, persistent_workers=persistent, collate_fn=ids)
        for step, _ in enumerate(loader):
            if step == 2:
                break
        runs[str(persistent)] = [[i for batch in loader for i in batch] for _ in range(2)]
    print(json.dumps(runs))
"""


def test_persistent_workers_broken_off_mid_epoch_read_the_next_epochs_as_fresh_workers_unlike_0_2_76(
    matrix_outcomes,
):
    """README "Where we differ": after an epoch broken off mid-way, persistent workers read what fresh workers read
    (0.2.76's persistent workers do not: their copy of the dataset missed the end of the epoch)."""
    _, datasets, _ = matrix_outcomes
    ours, reference = run_ours(BREAK_OFF, datasets["plain"]), run_reference(BREAK_OFF, datasets["plain"])
    assert ours["True"] == ours["False"] == reference["False"]
    assert reference["True"] != reference["False"]
    for epoch in ours["True"] + reference["True"]:
        assert sorted(epoch) == list(range(matrix.NUM_ITEMS))
