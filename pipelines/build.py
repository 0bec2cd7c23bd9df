"""Building a run's networks and optimisers: what the loop trains, wrapped for where it runs.

``build_parts`` seeds and builds G and D from the config, applies spectral normalisation when asked,
moves them to the device (channels_last on CUDA), makes their optimisers and the EMA copy, and wraps
them for DistributedDataParallel and ``torch.compile`` when those are on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch.nn.parallel import DistributedDataParallel

from models import build_discriminator, build_generator

from .accel import Launch
from .ema import make_ema
from .presets import TrainConfig
from .step import Parts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How a run executes (not what it learns: that is the TrainConfig). See ``train``."""

    compile: bool | str = False
    cuda_graphs: bool | None = None
    channels_last: bool = True
    device_data_share: float = 1 / 3


def _optimizer(cfg: TrainConfig, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    cuda = device.type == "cuda"
    # fused: one kernel (CUDA) or one vectorised loop (CPU) for all parameters, not ~10 ops each
    return torch.optim.Adam(params, lr=lr, betas=cfg.betas, fused=True, capturable=cuda)


def _spectral_norm(D: torch.nn.Module) -> torch.nn.Module:
    """Spectral normalisation on every convolution and linear layer of ``D``."""
    for name, m in list(D.named_modules()):
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.utils.parametrizations.spectral_norm(m)
            log.debug("spectral norm on %s", name)
    return D


def build_parts(cfg: TrainConfig, dev: torch.device, launch: Launch, ro: RunOptions, fast: bool) -> Parts:
    """The networks (seeded by ``cfg.seed``), their wrappers and optimisers, on ``dev``."""
    torch.manual_seed(cfg.seed)
    G = build_generator(cfg.model).to(dev)
    D = build_discriminator(cfg.model).to(dev)
    if cfg.spectral_norm:
        D = _spectral_norm(D)
    if fast:  # NHWC convolutions on tensor cores
        D = D.to(memory_format=torch.channels_last)
        if not ro.compile:  # inductor (torch 2.11) mis-strides channels_last ConvTranspose2d weight gradients
            G = G.to(memory_format=torch.channels_last)
    parts = Parts(G, D, _optimizer(cfg, G.parameters(), cfg.lr_g, dev), _optimizer(cfg, D.parameters(), cfg.lr_d, dev))
    parts.G_ema = make_ema(G) if cfg.ema_kimg > 0 else None
    if launch.distributed:  # gradients averaged across ranks
        ids = [dev.index] if dev.type == "cuda" else None
        parts.g_net, parts.d_net = DistributedDataParallel(G, device_ids=ids), DistributedDataParallel(D, device_ids=ids)
        parts.d_ddp = parts.d_net
    if ro.compile:
        mode = ro.compile if isinstance(ro.compile, str) else None
        parts.g_net, parts.d_net = torch.compile(parts.g_net, mode=mode), torch.compile(parts.d_net, mode=mode)
    return parts
