"""Per-snapshot metrics, registered by name so the trainer, evaluator and dashboard list the same set.

A metric is a function ``(samples) -> float`` on a batch of generated samples (float tensor in
[0, 1], shape (N, ...)). The ones here need no trained model: they measure how varied the
samples are, which is the first thing mode collapse destroys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[torch.Tensor], float]
    description: str
    higher_is_better: bool
    datasets: tuple[str, ...] = ()  # only for these datasets (empty: all)
    raw: bool = False  # gets samples in the generator's own value range instead of [0, 1]


METRICS: dict[str, Metric] = {}


def register_metric(name: str, description: str, higher_is_better: bool, datasets: tuple[str, ...] = (), raw: bool = False):
    """Decorator adding a metric to ``METRICS`` under ``name``."""

    def wrap(fn: Callable[[torch.Tensor], float]) -> Callable[[torch.Tensor], float]:
        METRICS[name] = Metric(name, fn, description, higher_is_better, datasets, raw)
        return fn

    return wrap


def _rms_distances(samples: torch.Tensor) -> torch.Tensor:
    flat = samples.reshape(samples.shape[0], -1).double()
    d = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    return d


NEAR_DUPLICATE_RMS = 0.03  # two [0, 1] images closer than this RMS difference look identical


@register_metric("diversity", "mean RMS pixel distance between pairs of samples", True)
def diversity(samples: torch.Tensor) -> float:
    n = samples.shape[0]
    if n < 2:
        return 0.0
    d = _rms_distances(samples)
    return float(d.sum() / (n * (n - 1)))


@register_metric("near_duplicates", f"share of samples with another within RMS {NEAR_DUPLICATE_RMS}", False)
def near_duplicates(samples: torch.Tensor) -> float:
    n = samples.shape[0]
    if n < 2:
        return 0.0
    d = _rms_distances(samples)
    d.fill_diagonal_(float("inf"))
    return float((d.min(dim=1).values < NEAR_DUPLICATE_RMS).double().mean())


@register_metric("ring_modes", "modes of the 8-Gaussian ring with a high-quality sample", True, ("ring-8",), raw=True)
def ring_modes(points: torch.Tensor) -> float:
    from .toydata import ring_coverage

    return float(ring_coverage(points)[0])


@register_metric("ring_quality", "share of samples within 3 std of a ring mode", True, ("ring-8",), raw=True)
def ring_quality(points: torch.Tensor) -> float:
    from .toydata import ring_coverage

    return ring_coverage(points)[1]


# --- toy metrics: how far a classic toy GAN's samples are from its real distribution (pipelines/toydata.py) ---
# Registered with ``datasets``, so the trainer records them per snapshot and ``ganscope-evaluate`` on a toy
# run computes exactly these (``toy_scores``) at ``--samples``.


@register_metric("pattern_error", "mean |x − 1010| of the generated 4-vectors (real data: about 0.1)", False,
                 datasets=("pattern-1010",), raw=True)  # fmt: skip
def pattern_error(values: torch.Tensor) -> float:
    from .toydata import PATTERN_TARGET

    return float((values.double() - PATTERN_TARGET.double()).abs().mean())


@register_metric("pattern_w1", "mean over the 4 entries of the Wasserstein-1 distance to their real uniform ranges", False,
                 datasets=("pattern-1010",), raw=True)  # fmt: skip
def pattern_w1(values: torch.Tensor) -> float:
    from .toydata import PATTERN_TARGET, uniform_w1

    lows = (PATTERN_TARGET * 0.8).tolist()  # [0.8, 0, 0.8, 0]: each entry is U(low, low + 0.2)
    return sum(uniform_w1(values[:, i], lo, lo + 0.2) for i, lo in enumerate(lows)) / len(lows)


@register_metric("sine_fit_error", "mean RMS distance of a generated curve to the nearest real sine curve", False,
                 datasets=("sine",), raw=True)  # fmt: skip
def sine_fit_error(curves: torch.Tensor) -> float:
    from .toydata import sine_fit

    return float(sine_fit(curves)[0].mean())


@register_metric("sine_corr", "mean correlation of a generated curve with the nearest real sine curve", True,
                 datasets=("sine",), raw=True)  # fmt: skip
def sine_corr(curves: torch.Tensor) -> float:
    from .toydata import sine_fit

    return float(sine_fit(curves)[1].mean())


@register_metric("sine_coverage", "share of real sine curves with a generated curve within RMS 0.1", True,
                 datasets=("sine",), raw=True)  # fmt: skip
def sine_coverage(curves: torch.Tensor) -> float:
    from .toydata import make_toy

    real = make_toy("sine", 1000, seed=12345)[0].double()
    d = torch.cdist(real, curves.double()) / real.shape[1] ** 0.5
    return float((d.min(dim=1).values < 0.1).double().mean())


@register_metric("quadratic_error", "mean |y − x²| of the generated points (x, y)", False,
                 datasets=("quadratic",), raw=True)  # fmt: skip
def quadratic_error(points: torch.Tensor) -> float:
    p = points.double()
    return float((p[:, 1] - p[:, 0] ** 2).abs().mean())


@register_metric("quadratic_x_w1", "Wasserstein-1 distance of the generated x to U(−0.5, 0.5)", False,
                 datasets=("quadratic",), raw=True)  # fmt: skip
def quadratic_x_w1(points: torch.Tensor) -> float:
    from .toydata import uniform_w1

    return uniform_w1(points[:, 0], -0.5, 0.5)


@register_metric("scalar_w1", "Wasserstein-1 distance of the generated numbers to U(0.9, 1.1)", False,
                 datasets=("scalar",), raw=True)  # fmt: skip
def scalar_w1(values: torch.Tensor) -> float:
    from .toydata import uniform_w1

    return uniform_w1(values.reshape(-1), 0.9, 1.1)


def toy_scores(values: torch.Tensor, dataset: str) -> dict[str, float]:
    """The metrics registered for ``dataset`` alone (ring-8, pattern-1010, sine, quadratic, scalar), on
    samples in the generator's own value range: what ``ganscope-evaluate`` records for a toy run."""
    return {name: m.fn(values) for name, m in METRICS.items() if dataset in m.datasets}


def compute_all(samples: torch.Tensor, raw: torch.Tensor | None = None, dataset: str = "") -> dict[str, float]:
    """Every registered metric that applies to ``dataset``: on ``samples`` in [0, 1], or on ``raw``
    (the generator's own values) for metrics that ask for them."""
    out = {}
    for name, m in METRICS.items():
        if m.datasets and dataset not in m.datasets:
            continue
        out[name] = m.fn(raw if m.raw and raw is not None else samples)
    return out
