"""Greedy bin packing: spread weighted items over bins so that bin weights stay close."""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any


def _pack_greedily(items: list[Any], weights: list[int], num_bins: int) -> tuple[dict[int, list[Any]], dict[int, int]]:
    """Put items, heaviest first, into the currently lightest bin (lowest bin index on ties).

    Returns the items per bin and the total weight per bin (bins that received nothing are absent).
    """
    if len(items) != len(weights):
        raise ValueError(f"Items and weights must have the same length, got {len(items)} and {len(weights)}.")
    if any(weight <= 0 for weight in weights):
        raise ValueError(f"All weights must be positive. Found: {weights}")
    if num_bins < 1:
        raise ValueError(f"num_bins must be at least 1, got {num_bins}.")
    order = sorted(range(len(items)), key=lambda i: weights[i], reverse=True)
    bin_items: dict[int, list[Any]] = defaultdict(list)
    bin_weights: dict[int, int] = defaultdict(int)
    lightest_first = [(0, bin_index) for bin_index in range(num_bins)]
    for i in order:
        load, target = heapq.heappop(lightest_first)
        bin_items[target].append(items[i])
        bin_weights[target] += weights[i]
        heapq.heappush(lightest_first, (load + weights[i], target))
    return bin_items, bin_weights
