"""Training from a Ray Train job on the dataset that Ray optimized: ranks and world size come from torch.distributed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_two_ray_train_workers_each_stream_their_own_half_of_the_dataset(run_driver, tmp_path):
    pytest.importorskip("ray.train.torch", reason="Ray Train is not installed (pip install 'ray[train]')")
    reports = run_driver(tmp_path, "train")["train"].result["reports"]
    assert [(report["rank"], report["world_size"]) for report in reports] == [(0, 2), (1, 2)]
    first, second = (report["seen"] for report in reports)
    assert [report["len"] for report in reports] == [len(first), len(second)]  # len() is the rank's share
    assert first and second and not set(first) & set(second)
    assert sorted(first + second) == list(range(200))
