"""What the Lab draws, as arrays: D's surface, G's manifold, the gradient arrows, and the metrics.

Histograms for KL/JS use ONE grid (``BINS`` cells per axis over the data set's fixed axes) for real and
fake samples; points outside the axes count in the edge cells, so each histogram sums to 1. A small
``EPS`` is added to every cell of both and each is renormalised (so both still sum to 1 and KL stays
finite where the fake histogram is empty). GAN Lab's real histogram summed to about 0.34, so its
divergences could never reach 0; ours are 0 for identical samples (tests/test_lab.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..diagnose import diagnose_window
from . import data, losses
from .data import Axes

BINS = 20  # histogram cells per axis (20×20 in 2-D, 20 in 1-D)
EPS = 1e-6  # added to every cell of both histograms before renormalising
SURFACE = 60  # D is evaluated on a SURFACE×SURFACE grid over the fixed axes (SURFACE*5 points in 1-D)
LATTICE = 21  # G's manifold: G on a LATTICE×LATTICE (2-D noise) or 10·LATTICE (1-D) lattice over noise space
VERDICT_WINDOW = 20  # log records in the latest window the diagnosis judges


def histogram(points: torch.Tensor, axes: Axes, bins: int = BINS) -> np.ndarray:
    """Normalised histogram (sums to 1) of (N, dim) points on the axes' grid, EPS added to each cell."""
    p = points.detach().double().cpu().numpy()
    idx = []
    for i, (lo, hi) in enumerate([axes.x] if axes.dim == 1 else [axes.x, axes.y]):
        idx.append(np.clip(((p[:, i] - lo) / (hi - lo) * bins).astype(np.int64), 0, bins - 1))
    flat = idx[0] if axes.dim == 1 else idx[0] * bins + idx[1]
    counts = np.bincount(flat, minlength=bins**axes.dim).astype(np.float64)
    h = counts / max(counts.sum(), 1.0) + EPS
    return h / h.sum()


def kl_js(p: np.ndarray, q: np.ndarray) -> tuple[float, float]:
    """(KL(p‖q), JS(p, q)) in nats for histograms that sum to 1 and have no zero cells."""
    m = 0.5 * (p + q)
    kl = float(np.sum(p * np.log(p / q)))
    js = float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
    return max(kl, 0.0), max(js, 0.0)


def divergences(real: torch.Tensor, fake: torch.Tensor, axes: Axes) -> tuple[float, float]:
    """(KL(real‖fake), JS) between the two histograms on one grid."""
    return kl_js(histogram(real, axes), histogram(fake, axes))


def _grid(axes: Axes) -> tuple[np.ndarray, np.ndarray | None, torch.Tensor]:
    xs = np.linspace(*axes.x, SURFACE if axes.dim == 2 else SURFACE * 5)
    if axes.dim == 1:
        return xs, None, torch.tensor(xs, dtype=torch.float32)[:, None]
    ys = np.linspace(*axes.y, SURFACE)
    gx, gy = np.meshgrid(xs, ys)  # rows follow y, as a heatmap's z
    return xs, ys, torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)


def surface(D: torch.nn.Module, loss: str, axes: Axes) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(xs, ys, values): D's score on the grid over the fixed axes — a probability (sigmoid of the
    logit) for the BCE losses, the raw output for the others; values (len(ys), len(xs)) in 2-D."""
    xs, ys, pts = _grid(axes)
    with torch.no_grad():
        out = D(pts)
    if loss in ("ns", "minimax"):
        out = torch.sigmoid(out)
    v = out.numpy()
    return xs, ys, v if ys is None else v.reshape(len(ys), len(xs))


def surface_midpoint(loss: str) -> float:
    """The score where D cannot tell real from fake: the heatmap's neutral colour."""
    return 0.5 if loss in ("ns", "minimax", "ls") else 0.0


def manifold(G: torch.nn.Module, noise: str, noise_dim: int) -> np.ndarray | None:
    """G on a lattice over noise space: (L, dim) for 1-D noise (a polyline), (L, L, dim) for 2-D (a
    deformed grid); uniform noise spans [0, 1], normal noise [-2, 2] (95% of its mass per axis)."""
    lo, hi = (0.0, 1.0) if noise == "uniform" else (-2.0, 2.0)
    if noise_dim == 1:
        z = torch.linspace(lo, hi, LATTICE * 10)[:, None]
    elif noise_dim == 2:
        t = torch.linspace(lo, hi, LATTICE)
        z = torch.cartesian_prod(t, t)
    else:
        return None
    with torch.no_grad():
        x = G(z).numpy()
    return x if noise_dim == 1 else x.reshape(LATTICE, LATTICE, -1)


def arrows(D: torch.nn.Module, loss: str, fake: torch.Tensor) -> np.ndarray:
    """-∂L_G/∂x at each fake point (N, dim): where the generator's loss pushes it (per point, not averaged)."""
    x = fake.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        was = [p.requires_grad for p in D.parameters()]
        D.requires_grad_(False)
        (grad,) = torch.autograd.grad(losses.g_loss(loss, D(x)).sum(), x)
        for p, w in zip(D.parameters(), was, strict=True):
            p.requires_grad_(w)
    return (-grad).numpy()


@dataclass
class Frame:
    """Everything one redraw of the plane and its metrics needs, as plain arrays and numbers."""

    step: int
    axes: Axes
    real: np.ndarray  # (N, dim)
    fake: np.ndarray  # (N, dim)
    surface: tuple[np.ndarray, np.ndarray | None, np.ndarray] | None  # None: no D (a run that kept none)
    midpoint: float
    manifold: np.ndarray | None  # None for noise of more than 2 dimensions
    arrows: np.ndarray | None  # (N, dim), on the fake points; None without D
    z: np.ndarray  # (N, noise_dim): the fixed noise behind ``fake`` (1-D lab: lines z -> G(z))
    kl: float
    js: float
    coverage: tuple[int, int, float] | None  # (modes covered, modes, high-quality share)
    verdict: str | None


def frame(
    G: torch.nn.Module,
    D: torch.nn.Module | None,
    *,
    step: int,
    dataset: str,
    loss: str,
    noise: str,
    real: torch.Tensor,
    z: torch.Tensor,
    log: list[dict] | None = None,
    shown: int = 256,
) -> Frame:
    """The views of networks G and D (live or from history) on fixed real samples and noise."""
    axes = data.AXES[dataset]
    if axes.dim == 1:
        shown = len(z)  # densities need every sample; 1-D points are cheap to send
    with torch.no_grad():
        fake = G(z)
    kl, js = divergences(real, fake, axes)
    verdict = None
    if log:
        window = log[-VERDICT_WINDOW:]
        if all("g_loss" in r and "d_loss_real" in r for r in window):
            verdict = diagnose_window(window).verdict
    return Frame(
        step=step,
        axes=axes,
        real=real[:shown].numpy(),
        fake=fake[:shown].numpy(),
        surface=None if D is None else surface(D, loss, axes),
        midpoint=surface_midpoint(loss),
        manifold=manifold(G, noise, z.shape[1]),
        arrows=None if D is None else arrows(D, loss, fake[:shown]),
        z=z[:shown].numpy(),
        kl=kl,
        js=js,
        coverage=data.coverage(dataset, fake),
        verdict=verdict,
    )


def verdict_windows(log: list[dict], size: int = VERDICT_WINDOW) -> list:
    """The diagnosis of each span of ``size`` log records (``pipelines.diagnose.Window``), oldest first."""
    return VerdictWindows(size)(log)


class VerdictWindows:
    """``verdict_windows`` for a log that grows while a lab plays: each full span is diagnosed once and kept with
    its records, and used again while the log holds those very records (a reset or a fork makes new ones, and a
    span read before it was full is diagnosed again). Recomputed every chart redraw, 600 windows (120,000
    iterations) took 117 ms of the server's time."""

    def __init__(self, size: int = VERDICT_WINDOW) -> None:
        self.size = size
        self._kept: dict[int, tuple[list[dict], object]] = {}  # span index → (its records, its Window)

    def __call__(self, log: list[dict]) -> list:
        out = []
        for k, i in enumerate(range(0, len(log), self.size)):
            span = log[i : i + self.size]
            kept = self._kept.get(k)
            if kept is not None and len(kept[0]) == len(span) and all(a is b for a, b in zip(kept[0], span, strict=True)):
                out.append(kept[1])
                continue
            if not all("g_loss" in r and "d_loss_real" in r for r in span):
                continue
            window = diagnose_window(span)
            if len(span) == self.size:
                self._kept[k] = (span, window)
            out.append(window)
        return out
