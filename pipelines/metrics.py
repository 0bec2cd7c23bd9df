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


def compute_all(samples: torch.Tensor, raw: torch.Tensor | None = None, dataset: str = "") -> dict[str, float]:
    """Every registered metric that applies to ``dataset``: on ``samples`` in [0, 1], or on ``raw``
    (the generator's own values) for metrics that ask for them."""
    out = {}
    for name, m in METRICS.items():
        if m.datasets and dataset not in m.datasets:
            continue
        out[name] = m.fn(raw if m.raw and raw is not None else samples)
    return out
