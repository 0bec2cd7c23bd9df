"""Projection: the latent whose image best reproduces a target image (GAN inversion by optimisation).

    loss(z) = mean((G(z) - target)^2) + prior * (|z| / sqrt(d) - 1)^2

The pixel term pulls G(z) toward the photo; the prior keeps z on the shell where N(0, I) latents
live (|z| ~ sqrt(d)), so the latent stays one the generator was trained on and the result can be
interpolated and combined like any sampled latent. Several restarts are optimised together as one
batch, each from its own seeded random start; the best one wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from models.latent import sample_latents


@dataclass
class Projection:
    """The result: the best latent, its image, and how the error went."""

    z: torch.Tensor  # (z_dim,)
    image: torch.Tensor  # (C, H, W) in the generator's range
    mse: float  # pixel mean squared error of the best restart, in the generator's range
    start_mse: float  # the same restart's error at its random start
    history: list[float]  # best pixel MSE after each step
    restart_mse: list[float]  # final pixel MSE of every restart


def image_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error over (C, H, W)."""
    return ((a - b) ** 2).flatten(1).mean(1)


def project(
    G: torch.nn.Module,
    target: torch.Tensor,
    steps: int = 200,
    restarts: int = 4,
    lr: float = 0.05,
    prior: float = 0.05,
    seed: int = 0,
    label: int | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> Projection:
    """Find z with G(z) close to ``target`` (C, H, W), in the generator's output range.

    Args:
        steps: Adam steps (the budget); restarts: random starts optimised together.
        prior: weight of the latent-norm prior; lr: Adam step size.
        progress: called as ``progress(step, steps, best_mse)`` after each step.
    """
    if steps < 1 or restarts < 1:
        raise ValueError("steps and restarts must be >= 1")
    if tuple(target.shape) != tuple(G.output.shape):
        raise ValueError(f"target has shape {tuple(target.shape)}, the generator makes {tuple(G.output.shape)}")
    # the generator may be a shared, cached one: its mode and gradient flags are put back afterwards
    was_training, flags = G.training, [p.requires_grad for p in G.parameters()]
    G.eval().requires_grad_(False)
    d = G.z_dim
    z = sample_latents(range(seed, seed + restarts), d, getattr(G, "latent_dist", "normal")).clone().requires_grad_(True)
    labels = torch.full((restarts,), int(label)) if G.num_classes and label is not None else None
    if G.num_classes and labels is None:
        labels = torch.zeros(restarts, dtype=torch.long)
    target = target.float()[None].expand(restarts, *target.shape)
    opt = torch.optim.Adam([z], lr=lr)
    with torch.no_grad():
        start = image_mse(G(z, labels).float(), target)
    history = []
    try:
        for i in range(steps):
            opt.zero_grad(set_to_none=True)
            pix = image_mse(G(z, labels).float(), target)
            norm = z.norm(dim=1) / d**0.5
            (pix + prior * (norm - 1) ** 2).sum().backward()
            opt.step()
            history.append(float(pix.detach().min()))
            if progress:
                progress(i + 1, steps, history[-1])
        with torch.no_grad():
            z = z.detach()
            out = G(z, labels).float()
            final = image_mse(out, target)
    finally:
        G.train(was_training)
        for p, flag in zip(G.parameters(), flags, strict=True):
            p.requires_grad_(flag)
    best = int(final.argmin())
    return Projection(z[best].clone(), out[best].clone(), float(final[best]), float(start[best]), history, final.tolist())


def to_generator_range(image01: torch.Tensor, G: torch.nn.Module) -> torch.Tensor:
    """A (C, H, W) image in [0, 1] mapped to the generator's output range."""
    lo, hi = G.output.value_range
    return image01 * (hi - lo) + lo
