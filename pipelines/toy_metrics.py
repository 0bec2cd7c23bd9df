"""The classic toy GANs' own metrics: how far a run's samples are from its real distribution
(``pipelines/toydata.py``), registered in the one metric registry (``pipelines.metrics``) with
``needs="raw"`` and their dataset, so the trainer records them at every snapshot and
``ganscope-evaluate`` computes them on a toy run (``toy_scores``). ``ring_modes`` and ``ring_quality``
are registered beside the sample metrics in ``pipelines.metrics``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .metrics import METRICS, register_metric

if TYPE_CHECKING:  # imported where a metric computes on tensors
    import torch


@register_metric("pattern_error", "mean |x − 1010| of the generated 4-vectors (real data: about 0.1)", False,
                 datasets=("pattern-1010",), needs="raw")  # fmt: skip
def pattern_error(values: torch.Tensor) -> float:
    from .toydata import PATTERN_TARGET

    return float((values.double() - PATTERN_TARGET.double()).abs().mean())


@register_metric("pattern_w1", "mean over the 4 entries of the Wasserstein-1 distance to their real uniform ranges", False,
                 datasets=("pattern-1010",), needs="raw")  # fmt: skip
def pattern_w1(values: torch.Tensor) -> float:
    from .toydata import PATTERN_TARGET, uniform_w1

    lows = (PATTERN_TARGET * 0.8).tolist()  # [0.8, 0, 0.8, 0]: each entry is U(low, low + 0.2)
    return sum(uniform_w1(values[:, i], lo, lo + 0.2) for i, lo in enumerate(lows)) / len(lows)


@register_metric("sine_fit_error", "mean RMS distance of a generated curve to the nearest real sine curve", False,
                 datasets=("sine",), needs="raw")  # fmt: skip
def sine_fit_error(curves: torch.Tensor) -> float:
    from .toydata import sine_fit

    return float(sine_fit(curves)[0].mean())


@register_metric("sine_corr", "mean correlation of a generated curve with the nearest real sine curve", True,
                 datasets=("sine",), needs="raw")  # fmt: skip
def sine_corr(curves: torch.Tensor) -> float:
    from .toydata import sine_fit

    return float(sine_fit(curves)[1].mean())


@register_metric("sine_coverage", "share of real sine curves with a generated curve within RMS 0.1", True,
                 datasets=("sine",), needs="raw")  # fmt: skip
def sine_coverage(curves: torch.Tensor) -> float:
    import torch

    from .toydata import make_toy

    real = make_toy("sine", 1000, seed=12345)[0].double()
    d = torch.cdist(real, curves.double()) / real.shape[1] ** 0.5
    return float((d.min(dim=1).values < 0.1).double().mean())


@register_metric("quadratic_error", "mean |y − x²| of the generated points (x, y)", False,
                 datasets=("quadratic",), needs="raw")  # fmt: skip
def quadratic_error(points: torch.Tensor) -> float:
    p = points.double()
    return float((p[:, 1] - p[:, 0] ** 2).abs().mean())


@register_metric("quadratic_x_w1", "Wasserstein-1 distance of the generated x to U(−0.5, 0.5)", False,
                 datasets=("quadratic",), needs="raw")  # fmt: skip
def quadratic_x_w1(points: torch.Tensor) -> float:
    from .toydata import uniform_w1

    return uniform_w1(points[:, 0], -0.5, 0.5)


@register_metric("scalar_w1", "Wasserstein-1 distance of the generated numbers to U(0.9, 1.1)", False,
                 datasets=("scalar",), needs="raw")  # fmt: skip
def scalar_w1(values: torch.Tensor) -> float:
    from .toydata import uniform_w1

    return uniform_w1(values.reshape(-1), 0.9, 1.1)


def toy_scores(values: torch.Tensor, dataset: str) -> dict[str, float]:
    """The metrics registered for ``dataset`` alone (ring-8, pattern-1010, sine, quadratic, scalar), on
    samples in the generator's own value range: what ``ganscope-evaluate`` records for a toy run."""
    return {name: m.fn(values) for name, m in METRICS.items() if dataset in m.datasets}
