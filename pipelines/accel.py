"""Where and how a training step runs: the device, the torchrun launch, and the captured CUDA graph."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass(frozen=True)
class Launch:
    """Where this process sits in a (possibly distributed) run. One process: rank 0 of 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""
    owns_group: bool = False  # this run created the process group and tears it down

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def writer(self) -> bool:
        """Only rank 0 writes the run folder."""
        return self.rank == 0


def shard_start(step_in_epoch: int, world: int, rank: int, batch: int) -> int:
    """Where rank ``rank``'s batch starts in the epoch's shared order: global batch k is the
    ``world * batch`` items from ``k * world * batch``, and each rank takes its own slice of it."""
    return (step_in_epoch * world + rank) * batch


def launch_from_env(device: torch.device) -> Launch:
    """A Launch from torchrun's environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR/PORT).

    Joins the process group (NCCL on CUDA, gloo on the CPU) unless one is already up.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Launch()
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Launch(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), dist.get_backend(), owns)


GRAPH_WARMUP_STEPS = 3  # eager steps before the step is captured (cuDNN picks its kernels there)


def capture_step(step_fn: Callable[[], None], *opts: torch.optim.Optimizer) -> torch.cuda.CUDAGraph | None:
    """The step captured as one CUDA graph (None, with a warning, if capture fails)."""
    for opt in opts:
        opt.zero_grad(set_to_none=True)
    graph = torch.cuda.CUDAGraph()
    try:
        with torch.cuda.graph(graph):
            step_fn()
    except RuntimeError as e:  # an op that cannot be captured: train eagerly instead
        log.warning("CUDA graph capture failed, training eagerly: %s", e)
        return None
    return graph
