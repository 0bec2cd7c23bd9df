"""Generator EMA (Karras et al. 2018; StyleGAN3 ``training_loop.py``): an exponential moving average of
the generator's weights, which is what people explore when it is on.

The half-life is given in thousands of images (``ema_kimg``): after ``ema_kimg * 1000`` images a
weight's old value counts half. ``ema_rampup`` caps the half-life at ``rampup × images seen so far``,
so early in training (or in a short run) the average is not dragged back to the initial weights.
Per step of ``batch`` images the average moves by ``1 - beta`` towards the live weights, with

    beta = 0.5 ** (batch / min(ema_kimg * 1000, rampup * images_seen))

BatchNorm running statistics (buffers) are copied from the live generator, as StyleGAN3 does.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_beta(images_seen: int, batch: int, ema_kimg: float, rampup: float) -> float:
    """How much of the old average a step keeps (0: a plain copy of the live weights)."""
    nimg = ema_kimg * 1000.0
    if rampup > 0:
        nimg = min(nimg, images_seen * rampup)
    return 0.5 ** (batch / max(nimg, 1e-8))


def make_ema(G: nn.Module) -> nn.Module:
    """A frozen copy of ``G`` to average into (same device, dtype and memory format)."""
    ema = copy.deepcopy(G)
    ema.requires_grad_(False)
    return ema


@torch.no_grad()
def update_ema(ema: nn.Module, G: nn.Module, weight: torch.Tensor) -> None:
    """ema ← ema + weight·(G − ema) for every parameter (``weight`` = 1 − beta, a 0-d tensor on
    the device, so the update can live inside a captured CUDA graph); buffers are copied."""
    for p_ema, p in zip(ema.parameters(), G.parameters(), strict=True):
        p_ema.lerp_(p, weight)
    for b_ema, b in zip(ema.buffers(), G.buffers(), strict=True):
        b_ema.copy_(b)
