"""The small classic GAN datasets, sampled fresh from their definitions (no files).

* ``scalar``       -- single numbers U(0.9, 1.1) (the one-parameter GAN).
* ``pattern-1010`` -- 4-vectors [U(0.8,1), U(0,0.2), U(0.8,1), U(0,0.2)] ("Make Your Own GAN").
* ``sine``         -- curves sin(b·x + c) at 64 points on [-5, 5], b ~ U(0.5, 2), c ~ U(0, π).
* ``quadratic``    -- points (x, x²), x ~ U(-0.5, 0.5) (the 1-D function GAN).
* ``ring-8``       -- 8 Gaussians (std 0.02) evenly on a circle of radius 2 (Metz et al.'s mode-collapse test).
"""

from __future__ import annotations

import math

import torch

TOY_DATASETS = ("scalar", "pattern-1010", "sine", "quadratic", "ring-8")
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.02
SINE_X = torch.linspace(-5, 5, 64)


def ring_centres() -> torch.Tensor:
    """(8, 2) centres of the ring's Gaussians."""
    a = torch.arange(RING_MODES) * (2 * math.pi / RING_MODES)
    return torch.stack([RING_RADIUS * torch.cos(a), RING_RADIUS * torch.sin(a)], dim=1)


def make_toy(name: str, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(samples (n, ...), labels (n,)) of a toy dataset; labels are the ring's mode (0 elsewhere)."""
    g = torch.Generator().manual_seed(seed)
    u = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    labels = torch.zeros(n, dtype=torch.int64)
    if name == "scalar":
        x = (0.9 + 0.2 * u(n))[:, None]
    elif name == "pattern-1010":
        x = torch.stack([0.8 + 0.2 * u(n), 0.2 * u(n), 0.8 + 0.2 * u(n), 0.2 * u(n)], dim=1)
    elif name == "sine":
        b, c = 0.5 + 1.5 * u(n, 1), math.pi * u(n, 1)
        x = torch.sin(b * SINE_X[None] + c)
    elif name == "quadratic":
        t = u(n) - 0.5
        x = torch.stack([t, t**2], dim=1)
    elif name == "ring-8":
        labels = torch.randint(RING_MODES, (n,), generator=g)
        x = ring_centres()[labels] + RING_STD * torch.randn(n, 2, generator=g)
    else:
        raise ValueError(f"unknown toy dataset {name!r}; choose from {TOY_DATASETS}")
    return x.float(), labels


def ring_coverage(points: torch.Tensor) -> tuple[int, float]:
    """(modes covered, share of high-quality samples) for ring-8 samples (N, 2).

    A sample is high quality when it lies within 3 standard deviations of its nearest mode; a
    mode is covered when at least one high-quality sample lies near it (Srivastava et al., VEEGAN).
    """
    d = torch.cdist(points.double(), ring_centres().double())
    nearest_d, nearest = d.min(dim=1)
    good = nearest_d < 3 * RING_STD
    return int(torch.unique(nearest[good]).numel()), float(good.double().mean())
