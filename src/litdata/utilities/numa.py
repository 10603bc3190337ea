"""Pin a training rank and its DataLoader workers to the CPUs (and optionally the memory) of one NUMA node.

`get_gpu_affinity` finds the node of a CUDA device from its PCI address, `get_numa_affinity` takes the node
directly; both return a picklable `NumaAffinity` plan that ``bind()``s the calling process and also serves as a
DataLoader ``worker_init_fn``. Linux only: topology comes from ``/sys``, memory binding from ``libnuma.so.1``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_NODES = Path("/sys/devices/system/node")
_PCI_DEVICES = Path("/sys/bus/pci/devices")
_MPOL_BIND = 2


def _require_linux() -> None:
    if not sys.platform.startswith("linux") or not hasattr(os, "sched_setaffinity"):
        raise RuntimeError("NUMA affinity requires Linux with sched_setaffinity support.")


def parse_cpu_list(text: str) -> set[int]:
    """``"0-3,8,10-11"`` -> ``{0, 1, 2, 3, 8, 10, 11}`` (the kernel's list format)."""
    values: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f"Invalid CPU or NUMA node range: {part!r}")
        start, stop = int(low), int(high or low)
        if stop < start:
            raise ValueError(f"Invalid CPU or NUMA node range: {part!r}")
        values.update(range(start, stop + 1))
    return values


def _check_node(numa_node: Any) -> None:
    if isinstance(numa_node, bool) or not isinstance(numa_node, int) or numa_node < 0:
        raise ValueError("numa_node must be a nonnegative integer.")


def node_cpus(numa_node: int) -> set[int]:
    """The CPUs of ``numa_node`` as the kernel lists them."""
    _check_node(numa_node)
    try:
        return parse_cpu_list((_NODES / f"node{numa_node}" / "cpulist").read_text())
    except OSError as err:
        raise RuntimeError(f"CPU topology is unavailable for NUMA node {numa_node}.") from err


def _allowed_memory_nodes() -> set[int]:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Mems_allowed_list:"):
            return parse_cpu_list(line.split(":", 1)[1])
    raise RuntimeError("Cannot determine the allowed NUMA memory nodes from /proc/self/status.")


@lru_cache(maxsize=1)
def _libnuma() -> Any:
    try:
        library = ctypes.CDLL(ctypes.util.find_library("numa") or "libnuma.so.1", use_errno=True)
        library.set_mempolicy, library.get_mempolicy  # noqa: B018 - both must exist
    except (OSError, AttributeError) as err:
        raise RuntimeError("NUMA memory binding requires libnuma.so.1 (the libnuma1 system package).") from err
    return library


def _mask_words(nodes: set[int]) -> Any:
    bits = ctypes.sizeof(ctypes.c_ulong) * 8
    words = (ctypes.c_ulong * (max(nodes, default=0) // bits + 1))()
    for node in nodes:
        words[node // bits] |= 1 << (node % bits)
    return words


def _get_policy() -> tuple[int, tuple[int, ...]]:
    library = _libnuma()
    mode = ctypes.c_int()
    mask = (ctypes.c_ulong * 16)()
    if library.get_mempolicy(ctypes.byref(mode), mask, ctypes.sizeof(mask) * 8, None, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"Cannot read NUMA memory policy: {os.strerror(error)}")
    return mode.value, tuple(mask)


def _set_policy(mode: int, words: Any) -> None:
    pointer = words if any(words) else None
    if _libnuma().set_mempolicy(mode, pointer, ctypes.sizeof(words) * 8 + 1) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"Cannot set NUMA memory policy: {os.strerror(error)}")


@dataclass(frozen=True)
class NumaAffinity:
    """A picklable plan: run on ``cpus`` of ``numa_node`` and, with ``bind_memory``, allocate memory only there.

    `bind` applies it to the calling process (and the threads and processes it starts afterwards); calling the
    plan with a worker id does the same, so it can be a DataLoader's ``worker_init_fn``.
    """

    numa_node: int
    cpus: tuple[int, ...]
    bind_memory: bool = True

    def bind(self) -> None:
        """Apply the plan and check that the kernel applied all of it; on failure nothing is changed."""
        _require_linux()
        local = node_cpus(self.numa_node)
        if not self.cpus or any(isinstance(cpu, bool) or not isinstance(cpu, int) for cpu in self.cpus):
            raise ValueError("cpus must contain integer CPU identifiers.")
        if not set(self.cpus) <= local:
            raise ValueError("Every selected CPU must belong to the selected NUMA node.")
        previous_cpus = os.sched_getaffinity(0)
        previous_policy = None
        try:
            if self.bind_memory:
                if self.numa_node not in _allowed_memory_nodes():
                    raise RuntimeError(f"NUMA node {self.numa_node} is outside the allowed memory nodes.")
                previous_policy = _get_policy()
                _set_policy(_MPOL_BIND, _mask_words({self.numa_node}))
                mode, words = _get_policy()
                if mode != _MPOL_BIND or tuple(words[: len(_mask_words({self.numa_node}))]) != tuple(
                    _mask_words({self.numa_node})
                ):
                    raise RuntimeError("The effective NUMA memory policy does not match the requested node.")
            os.sched_setaffinity(0, self.cpus)
            if os.sched_getaffinity(0) != set(self.cpus):
                raise RuntimeError("The kernel could not apply the complete CPU affinity mask.")
        except BaseException:
            os.sched_setaffinity(0, previous_cpus)
            if previous_policy is not None:
                mode, words = previous_policy
                _set_policy(mode, (ctypes.c_ulong * len(words))(*words))
            raise

    def __call__(self, worker_id: int) -> None:
        self.bind()


def get_numa_affinity(numa_node: int, *, bind_memory: bool = True) -> NumaAffinity:
    """A plan for ``numa_node``: its CPUs that the calling process may use now."""
    _require_linux()
    cpus = node_cpus(numa_node) & os.sched_getaffinity(0)
    if not cpus:
        raise RuntimeError(f"NUMA node {numa_node} has no CPUs in the current affinity mask.")
    return NumaAffinity(numa_node, tuple(sorted(cpus)), bind_memory)


def get_gpu_affinity(device: Any = None, *, bind_memory: bool = True) -> NumaAffinity:
    """A plan for the NUMA node of a CUDA device (a logical index, ``"cuda:N"`` or a `torch.device`).

    Call it in the rank process (it initializes CUDA) and pass the plan to the workers.
    """
    _require_linux()
    import torch

    if torch.utils.data.get_worker_info() is not None:
        raise RuntimeError("Resolve GPU affinity in the rank process and pass the resulting plan to workers.")
    if not torch.cuda.is_available():
        raise RuntimeError(
            "get_gpu_affinity needs a CUDA device, and CUDA is not available here. "
            "Use get_numa_affinity(numa_node) with an explicit node instead."
        )
    properties = torch.cuda.get_device_properties(device if device is not None else torch.cuda.current_device())
    try:
        pci = f"{properties.pci_domain_id:04x}:{properties.pci_bus_id:02x}:{properties.pci_device_id:02x}.0"  # type: ignore[attr-defined]  # not in torch stubs
    except AttributeError as err:
        raise RuntimeError(
            "This PyTorch build does not expose GPU PCI identifiers. "
            "Use get_numa_affinity(numa_node) with an explicit node or upgrade PyTorch."
        ) from err
    try:
        node = int((_PCI_DEVICES / pci / "numa_node").read_text().strip())
    except (OSError, ValueError) as err:
        raise RuntimeError(f"NUMA topology is unavailable for GPU PCI device {pci}.") from err
    if node < 0:
        raise RuntimeError(f"GPU PCI device {pci} has no NUMA node exposed by the kernel.")
    return get_numa_affinity(node, bind_memory=bind_memory)
