"""Which machine am I? Node count and rank from launcher environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

import litdata.settings as settings

# (variable holding the node count, variables holding the node rank), first match wins.
_LAUNCHER_VARIABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (settings.NUM_NODES_OPTIMIZE.name, (settings.NODE_RANK_OPTIMIZE.name,)),
    (settings.SLURM_NNODES.name, (settings.SLURM_NODEID.name,)),
    (settings.NNODES.name, (settings.GROUP_RANK.name, settings.NODE_RANK.name)),
)


@dataclass(frozen=True)
class NodeInfo:
    """The machine running this process: ``rank`` in ``[0, num_nodes)``."""

    num_nodes: int
    rank: int

    @property
    def is_last(self) -> bool:
        return self.rank == self.num_nodes - 1


def _read_int(env: Mapping[str, str], name: str) -> int:
    value = env[name]
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"The environment variable {name}={value!r} must be an integer.") from None


def detect_node(env: Mapping[str, str] | None = None) -> NodeInfo:
    """Read the node count and rank set by `DATA_OPTIMIZER_*` variables, SLURM or torchrun (default: one node)."""
    env = settings.environ() if env is None else env
    for count_name, rank_names in _LAUNCHER_VARIABLES:
        if count_name not in env:
            continue
        num_nodes = _read_int(env, count_name)
        rank_name = next((name for name in rank_names if name in env), None)
        rank = _read_int(env, rank_name) if rank_name else 0
        if num_nodes < 1 or not 0 <= rank < num_nodes:
            raise ValueError(
                f"Invalid node setup from the environment: {count_name}={num_nodes}, "
                f"{rank_name or 'node rank'}={rank}. The rank must be in [0, {count_name})."
            )
        return NodeInfo(num_nodes=num_nodes, rank=rank)
    return NodeInfo(num_nodes=1, rank=0)


def get_num_nodes() -> int:
    """Number of machines taking part in the current `optimize`/`map` run."""
    return detect_node().num_nodes


def get_node_rank() -> int:
    """Rank of this machine in the current `optimize`/`map` run."""
    return detect_node().rank


class Machine(str, Enum):
    """Machine names of the Lightning platform, accepted for compatibility.

    Selecting a machine needs the Lightning platform; elsewhere `optimize(machine=...)` raises a ValueError.
    """

    CPU = "CPU"
    DATA_PREP = "DATA_PREP"
    T4 = "T4"
    L4 = "L4"
    A10G = "A10G"
    L40S = "L40S"
    A100 = "A100"
    H100 = "H100"
    H200 = "H200"
