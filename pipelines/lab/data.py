"""The Lab's data sets, sampled from their definitions, each with fixed axes that never move.

2-D: ``ring`` (the ``ring-8`` preset's 8 Gaussians, from ``pipelines.toydata``), ``two-gaussians``,
``line``, ``three-blobs``, ``grid`` (5×5 Gaussians), ``spiral``, ``quadratic`` (the ``quadratic-1d``
preset's points (x, x²), from ``pipelines.toydata``) and ``drawn`` (each drawn point becomes a small
cloud N(point, 0.02²), as GAN Lab jitters its drawings). 1-D (the Goodfellow et al. 2014 figure):
``gaussian-1d`` and ``bimodal-1d``.

Real batches are drawn from a fixed pool (``POOL`` samples made once from the seed), as GAN Lab draws
from its atlas; the pool keeps a batch to one index operation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..toydata import RING_STD, make_toy, ring_centres, ring_coverage

POOL = 20_000  # real samples made once per lab; batches are drawn from them
DRAWN_STD = 0.02  # the cloud around each drawn point (GAN Lab's jitter)
GRID_STD = 0.05  # the 5×5 grid's Gaussians
DATASETS_2D = ("ring", "two-gaussians", "line", "three-blobs", "grid", "spiral", "quadratic", "drawn")
DATASETS_1D = ("gaussian-1d", "bimodal-1d")
DATASETS = DATASETS_2D + DATASETS_1D
TRAIN_DATASET = {"ring": "ring-8", "quadratic": "quadratic"}  # lab names that are also trainer data sets


class EmptyDrawing(ValueError):
    """The drawn data set has no points yet."""

    def __init__(self) -> None:
        super().__init__("Draw some points first: click or drag on the plane (or type x, y lines), then press Reset.")


@dataclass(frozen=True)
class Axes:
    """The fixed view of a data set: x range, and y range (None for 1-D data)."""

    x: tuple[float, float]
    y: tuple[float, float] | None = None

    @property
    def dim(self) -> int:
        return 1 if self.y is None else 2


AXES = {
    **{name: Axes((-2.5, 2.5), (-2.5, 2.5)) for name in DATASETS_2D},
    "quadratic": Axes((-0.75, 0.75), (-0.25, 0.5)),
    "gaussian-1d": Axes((-4.0, 4.0)),
    "bimodal-1d": Axes((-4.0, 4.0)),
}


def data_dim(name: str) -> int:
    return AXES[name].dim


def mode_centres(name: str) -> tuple[torch.Tensor, float] | None:
    """(centres (M, 2), std) of the mode data sets (ring, grid); None for the others."""
    if name == "ring":
        return ring_centres(), RING_STD
    if name == "grid":
        v = torch.linspace(-2.0, 2.0, 5)
        return torch.cartesian_prod(v, v), GRID_STD
    return None


def coverage(name: str, points: torch.Tensor) -> tuple[int, int, float] | None:
    """(modes covered, modes, high-quality share) for ring and grid, by the rule of
    ``pipelines.toydata.ring_coverage`` (within 3 std of the nearest mode); None for other data sets."""
    if name == "ring":
        covered, quality = ring_coverage(points)
        return covered, 8, quality
    modes = mode_centres(name)
    if modes is None:
        return None
    centres, std = modes
    d, nearest = torch.cdist(points.double(), centres.double()).min(dim=1)
    good = d < 3 * std
    return int(torch.unique(nearest[good]).numel()), len(centres), float(good.double().mean())


def sample(name: str, n: int, seed: int, drawn: tuple[tuple[float, float], ...] = ()) -> torch.Tensor:
    """(n, dim) real samples of a data set, float32, reproducible from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    randn = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    rand = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
    if name == "ring":
        return make_toy("ring-8", n, seed)[0]
    if name == "quadratic":
        return make_toy("quadratic", n, seed)[0]
    if name == "two-gaussians":
        centres = torch.tensor([[-1.2, -0.6], [1.0, 1.2]])
        return centres[torch.randint(2, (n,), generator=g)] + 0.25 * randn(n, 2)
    if name == "line":
        t = 3.0 * rand(n) - 1.5
        return torch.stack([t, 0.6 * t + 0.3], 1) + 0.03 * randn(n, 2)
    if name == "three-blobs":
        centres = torch.tensor([[-1.5, -1.0], [1.5, -1.0], [0.0, 1.5]])
        return centres[torch.randint(3, (n,), generator=g)] + 0.2 * randn(n, 2)
    if name == "grid":
        centres, std = mode_centres("grid")
        return centres[torch.randint(25, (n,), generator=g)] + std * randn(n, 2)
    if name == "spiral":
        t = rand(n).sqrt() * 3 * math.pi  # more samples on the outer turns, as arc length grows
        r = 0.2 + 0.6 * t / math.pi
        return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1) * 0.7 + 0.04 * randn(n, 2)
    if name == "drawn":
        if not drawn:
            raise EmptyDrawing()
        pts = torch.tensor(drawn, dtype=torch.float32).reshape(-1, 2)
        return pts[torch.randint(len(pts), (n,), generator=g)] + DRAWN_STD * randn(n, 2)
    if name == "gaussian-1d":
        return 1.0 + 0.6 * randn(n, 1)
    if name == "bimodal-1d":
        sign = torch.where(rand(n, 1) < 0.5, -1.0, 1.0)
        return 1.8 * sign + 0.4 * randn(n, 1)
    raise ValueError(f"unknown lab data set {name!r}; choose from {DATASETS}")
