"""How a `StreamingDataLoader` tells whoever iterates its dataset which epoch to stream and from where.

At the start of every epoch the loader takes an `EpochPlan` of its dataset in the training process: the epoch, the
loaded state still to resume (if any) and, for Combined and Parallel datasets, where every worker stands in each
child. Whatever iterates the dataset applies the plan first, on every path: the training process's own iteration
copy (``num_workers=0``), freshly started workers (the plan travels with the pickled batch stream) and persistent
workers, which keep their dataset copy across epochs: the plan reaches them with torch's message that starts their
next epoch. A worker therefore never relies on its own copy's idea of the epoch (which it may have advanced, or not,
depending on how the last epoch ended).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from litdata.streaming.loading.torch_internals import is_resume_message, resume_message


@dataclass(frozen=True)
class EpochPlan:
    """The attributes of a dataset (and of its children) that decide what its next iteration streams."""

    fields: dict[str, Any]
    children: list[EpochPlan] = field(default_factory=list)


def take_plan(dataset: Any) -> EpochPlan:
    """A deep copy of what decides ``dataset``'s next iteration (its class lists the attributes in
    ``_epoch_fields``)."""
    fields = {name: copy.deepcopy(getattr(dataset, name, None)) for name in dataset._epoch_fields}
    children = [take_plan(child) for child in getattr(dataset, "_datasets", ())]
    return EpochPlan(fields, children)


def apply_plan(dataset: Any, plan: EpochPlan) -> None:
    """Set ``dataset`` (and its children) to the plan's values; each gets its own copy of the values."""
    for name, value in plan.fields.items():
        setattr(dataset, name, copy.deepcopy(value))
    for child, child_plan in zip(getattr(dataset, "_datasets", ()), plan.children):
        apply_plan(child, child_plan)


@dataclass(frozen=True)
class PlannedResume:
    """torch's "start your next epoch" message to a persistent worker, carrying the loader's plan. Unpickled in the
    worker, it leaves the plan for the batch stream's next iteration and becomes torch's plain message again."""

    seed: int | None
    plan: EpochPlan | None = None

    def __reduce__(self) -> tuple:
        return _receive_plan, (self.seed, self.plan)


_received: list[EpochPlan] = []  # in a worker: the plan that came with the last "start your next epoch" message


def _receive_plan(seed: Any, plan: EpochPlan | None) -> Any:
    _received.clear()
    if plan is not None:
        _received.append(plan)
    return resume_message(seed)


def received_plan() -> EpochPlan | None:
    """The plan a persistent worker received for this epoch, once (None when none came)."""
    return _received.pop() if _received else None


class PlanningIndexQueue:
    """A worker's index queue that attaches the loader's current plan to torch's "start your next epoch" message."""

    def __init__(self, queue: Any, stream: Any) -> None:
        self._queue = queue
        self._stream = stream

    def put(self, obj: Any, *args: Any, **kwargs: Any) -> None:
        if is_resume_message(obj):
            obj = PlannedResume(obj.seed, self._stream.plan)
        self._queue.put(obj, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)
