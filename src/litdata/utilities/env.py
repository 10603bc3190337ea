"""Where this process sits: distributed rank and world, DataLoader worker, optimize worker."""

from __future__ import annotations

from dataclasses import dataclass

import litdata.settings as settings


@dataclass
class _DistributedEnv:
    """The distributed topology: world size, this process's global rank and the number of nodes."""

    world_size: int
    global_rank: int
    num_nodes: int

    @classmethod
    def detect(cls) -> _DistributedEnv:
        """Read the topology from an optimize worker's env, torch.distributed, then env overrides."""
        if settings.GLOBAL_RANK_OPTIMIZE.is_set():
            num_workers = settings.NUM_WORKERS_OPTIMIZE.get()
            num_nodes = settings.NUM_NODES_OPTIMIZE.get()
            return cls(num_workers * num_nodes, settings.GLOBAL_RANK_OPTIMIZE.get(), num_nodes)
        import torch

        world_size, global_rank, num_nodes = 1, 0, 1
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            world_size = torch.distributed.get_world_size()
            global_rank = torch.distributed.get_rank()
            gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
            num_nodes = max(1, world_size // gpus) if gpus else 1
        world_size = settings.WORLD_SIZE.get(world_size)
        global_rank = settings.GLOBAL_RANK.get(global_rank)
        num_nodes = settings.NNODES.get(num_nodes)
        return cls(world_size, global_rank, num_nodes)

    def __repr__(self) -> str:
        return f"_DistributedEnv(world_size={self.world_size}, global_rank={self.global_rank}, nodes={self.num_nodes})"


@dataclass
class _WorkerEnv:
    """The DataLoader worker this code runs in (1 worker, rank 0 in the main process)."""

    world_size: int
    rank: int

    @classmethod
    def detect(cls) -> _WorkerEnv:
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        if info is None:
            return cls(1, 0)
        return cls(info.num_workers, info.id)


@dataclass
class Environment:
    """Distributed and worker environment together."""

    dist_env: _DistributedEnv
    worker_env: _WorkerEnv

    @classmethod
    def from_args(
        cls, dist_world_size: int, global_rank: int, num_workers: int, current_worker_rank: int
    ) -> Environment:
        return cls(_DistributedEnv(dist_world_size, global_rank, 1), _WorkerEnv(num_workers, current_worker_rank))

    @property
    def num_shards(self) -> int:
        return self.dist_env.world_size * self.worker_env.world_size

    @property
    def shard_rank(self) -> int:
        return self.dist_env.global_rank * self.worker_env.world_size + self.worker_env.rank
