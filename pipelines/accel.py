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
        log.warning("CUDA graph capture failed, training eagerly: %s", e, exc_info=log.isEnabledFor(logging.DEBUG))
        return None
    return graph


class StepRunner:
    """Runs a training step: eagerly, or as one captured CUDA graph replayed every step.

    Under CUDA graphs the first ``GRAPH_WARMUP_STEPS`` steps run eagerly on a side stream (as capture
    wants), the next is captured, and from then on each step copies its batch indices into a static
    tensor and replays the graph: one launch instead of hundreds. Noise is then drawn from the default
    CUDA generator (captured graphs advance it by offset), which starts from ``noise_gen``'s state;
    if capture fails, training goes on eagerly from the same RNG state.

    Args:
        step_fn: ``step_fn(idx, gen)`` runs one step on the batch indices ``idx`` with noise from ``gen``.
        noise_gen: the run's noise generator (its state is restored on resume).
        graphs: capture and replay (needs one CUDA device and the data on it).
        opts: the optimisers (their gradients are cleared before capture).
        batch: indices per step; ``home`` the device the indices live on.
    """

    def __init__(self, step_fn, noise_gen: torch.Generator, graphs: bool, opts, batch: int, home: torch.device):
        self.step_fn = step_fn
        self.noise_gen = noise_gen
        self.graphs = graphs
        self.opts = opts
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_idx = torch.zeros(batch, dtype=torch.long, device=home)
        self.device = noise_gen.device
        if graphs:
            torch.cuda.set_rng_state(noise_gen.get_state().cpu(), self.device)

    def __call__(self, idx: torch.Tensor, step: int) -> None:
        """Run step number ``step`` (0-based) on the batch indices ``idx``."""
        if not self.graphs:
            self.step_fn(idx, self.noise_gen)
            return
        self.static_idx.copy_(idx)
        if self.graph is None and step >= GRAPH_WARMUP_STEPS:
            self.graph = capture_step(lambda: self.step_fn(self.static_idx, None), *self.opts)
            if self.graph is None:  # capture failed: go on eagerly from the same noise
                self.noise_gen.set_state(torch.cuda.get_rng_state(self.device))
                self.graphs = False
                self.step_fn(idx, self.noise_gen)
                return
        if self.graph is None:  # warm-up steps run eagerly, on a side stream as capture wants
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self.step_fn(self.static_idx, None)
            torch.cuda.current_stream(self.device).wait_stream(side)
        else:
            self.graph.replay()

    def noise_state(self) -> torch.Tensor:
        """The noise RNG state to save for resuming (the CUDA generator's under graphs)."""
        return torch.cuda.get_rng_state(self.device) if self.graphs else self.noise_gen.get_state()
