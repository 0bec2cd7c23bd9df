"""The small classic GAN datasets, sampled fresh from their definitions (no files).

* ``scalar``       -- single numbers U(0.9, 1.1) (the one-parameter GAN).
* ``pattern-1010`` -- 4-vectors [U(0.8,1), U(0,0.2), U(0.8,1), U(0,0.2)] ("Make Your Own GAN").
* ``sine``         -- curves sin(b·x + c) at 64 points on [-5, 5], b ~ U(0.5, 2), c ~ U(0, π).
* ``quadratic``    -- points (x, x²), x ~ U(-0.5, 0.5) (the 1-D function GAN).
* ``ring-8``       -- 8 Gaussians (std 0.02) evenly on a circle of radius 2 (Metz et al.'s mode-collapse test).

Each has a distance from its real distribution here, registered as a toy metric in ``pipelines/metrics.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

from .train_config import TOY_DATASETS  # noqa: F401 - the names a config may use, kept with it

RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.02
SINE_X = torch.linspace(-5, 5, 64)
SINE_B, SINE_C = (0.5, 2.0), (0.0, math.pi)  # the real curves' frequency and phase ranges
PATTERN_TARGET = torch.tensor([1.0, 0.0, 1.0, 0.0])  # the 1010 pattern the real 4-vectors scatter around


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


@lru_cache(maxsize=1)
def _sine_grid(nb: int = 31, nc: int = 33) -> tuple[torch.Tensor, torch.Tensor]:
    """A coarse grid over the real curves' (b, c): (params (nb·nc, 2), curves (nb·nc, 64))."""
    b = torch.linspace(*SINE_B, nb)
    c = torch.linspace(*SINE_C, nc)
    params = torch.cartesian_prod(b, c)
    return params, _sines(params)


def _sines(params: torch.Tensor) -> torch.Tensor:
    """sin(b·x + c) at SINE_X for params (..., 2) -> (..., 64), in the params' dtype."""
    return torch.sin(params[..., :1] * SINE_X.to(params.dtype) + params[..., 1:])


def sine_fit(curves: torch.Tensor, rounds: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """(RMS distance, Pearson correlation) of each curve (N, 64) to its nearest real curve sin(b·x + c),
    b in [0.5, 2], c in [0, π]: the nearest on a coarse grid, then ``rounds`` of a 5×5 local search with
    the step halved each round (real curves score under 0.005 and 1.0). The search runs in float32."""
    y = curves.float()
    params, grid = _sine_grid()
    step = torch.stack([params[:, 0].unique().diff()[0], params[:, 1].unique().diff()[0]])
    best = torch.cat([params[torch.cdist(part, grid).argmin(dim=1)] for part in y.split(512)])
    lo, hi = torch.tensor([SINE_B[0], SINE_C[0]]), torch.tensor([SINE_B[1], SINE_C[1]])
    offsets = torch.cartesian_prod(torch.arange(-2, 3.0), torch.arange(-2, 3.0))  # (25, 2)
    for _ in range(rounds):
        step = step / 2
        cand = torch.minimum(torch.maximum(best[:, None] + offsets * step, lo), hi)  # (N, 25, 2)
        err = ((_sines(cand) - y[:, None]) ** 2).mean(dim=2)
        best = cand[torch.arange(len(y)), err.argmin(dim=1)]
    y, fit = y.double(), _sines(best.double())
    rms = ((fit - y) ** 2).mean(dim=1).sqrt()
    a, b = y - y.mean(1, keepdim=True), fit - fit.mean(1, keepdim=True)
    corr = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)
    return rms, corr


def uniform_w1(values: torch.Tensor, lo: float, hi: float) -> float:
    """Wasserstein-1 distance between the empirical distribution of ``values`` (N,) and U(lo, hi):
    the mean gap between the sorted values and the uniform's quantiles at (i + 0.5) / N."""
    v = values.double().sort().values
    q = lo + (hi - lo) * (torch.arange(len(v), dtype=torch.float64) + 0.5) / max(len(v), 1)
    return float((v - q).abs().mean())


@dataclass(frozen=True)
class ToyView:
    """Where a toy dataset's samples are drawn and what marks its real distribution on every plot.

    Args:
        x_range, y_range: fixed axes for 2-D points (y_range None for 1-D values and curves' x).
        modes: (k, 2) centres of the real distribution's modes (ring-8), drawn as outlines.
        curve: (x, y) of the line the real points lie on (quadratic's y = x²).
        band: (low, high) of the real values of a 1-D dataset (scalar's U(0.9, 1.1)).
    """

    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    modes: tuple[tuple[float, float], ...] = ()
    curve: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    band: tuple[float, float] | None = None


def toy_view(dataset: str) -> ToyView | None:
    """The fixed view of a toy dataset's plots (None for datasets that are not toys)."""
    if dataset == "ring-8":
        r = RING_RADIUS + 1.0  # room for samples a little off the ring (the range is ±2.5)
        return ToyView((-r, r), (-r, r), modes=tuple(tuple(round(float(v), 6) for v in c) for c in ring_centres()))
    if dataset == "quadratic":
        x = torch.linspace(-0.5, 0.5, 41)
        return ToyView(
            (-0.6, 0.6), (-0.1, 0.4), curve=(tuple(round(v, 6) for v in x.tolist()), tuple(round(v * v, 6) for v in x.tolist()))
        )
    if dataset == "scalar":
        return ToyView(band=(0.9, 1.1))
    if dataset == "sine":
        return ToyView(y_range=(-1.2, 1.2))
    if dataset == "pattern-1010":
        return ToyView()
    return None
