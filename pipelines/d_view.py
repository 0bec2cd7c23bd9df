"""The discriminator's view: what a run's D says of real data and of samples, and where it looks.

A run keeps its D beside each generator snapshot (``<run>/discriminators/``, see ``runs.find_discriminator``
and ``models.load_discriminator``). From it:

* ``scores``: D's verdict on each input, as a probability of "real" for the losses that put a sigmoid
  on D (BCE, least squares on sigmoid) and as D's raw score otherwise (hinge: above 0 says real; the
  one-parameter GAN's linear score: above 0.5);
* ``separation``: how well those scores tell real from generated, as the area under the ROC curve
  (0.5: D cannot tell them apart, as at equilibrium; 1: it tells every pair apart), from SciPy's
  Mann-Whitney U;
* ``saliency``: where D looks, the magnitude of the gradient of D's output with respect to each input
  pixel (largest over channels), scaled to [0, 1] per image.

Inputs are in the generator's own value range (what D was trained on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ScoreScale:
    """How D's output is read for a loss: ``name`` on the page, ``threshold`` above which D says real."""

    name: str
    threshold: float
    sigmoid: bool


def score_scale(loss: str) -> ScoreScale:
    """The reading of D's output under ``loss`` (``TrainConfig.loss``)."""
    if loss in ("bce", "mse"):
        return ScoreScale("D's probability of real", 0.5, True)
    if loss == "mse_linear":
        return ScoreScale("D's score (real above 0.5)", 0.5, False)
    return ScoreScale("D's score (real above 0)", 0.0, False)


@torch.no_grad()
def scores(D: torch.nn.Module, x: torch.Tensor, loss: str, labels: torch.Tensor | None = None, batch: int = 256) -> np.ndarray:
    """D's reading (``score_scale(loss)``) of each of ``x`` (N, ...) in the generator's value range."""
    scale = score_scale(loss)
    out = []
    for i in range(0, len(x), batch):
        logits = D(x[i : i + batch].float(), None if labels is None else labels[i : i + batch]).float().reshape(-1)
        out.append(torch.sigmoid(logits) if scale.sigmoid else logits)
    return torch.cat(out).numpy() if out else np.zeros(0, np.float32)


def separation(real: np.ndarray, fake: np.ndarray) -> float:
    """P(D scores a random real input above a random generated one): the ROC AUC of D as a classifier."""
    from scipy.stats import mannwhitneyu

    if not len(real) or not len(fake):
        raise ValueError("separation needs real and generated scores")
    return float(mannwhitneyu(real, fake).statistic / (len(real) * len(fake)))


def saliency(D: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor | None = None) -> np.ndarray:
    """|∂D(x)/∂x| per pixel (N, H, W), the largest over channels, each image scaled to [0, 1]."""
    x = x.detach().float().clone().requires_grad_(True)
    with torch.enable_grad():
        D(x, labels).float().sum().backward()
    g = x.grad.abs().amax(dim=1)  # (N, H, W)
    top = g.flatten(1).amax(1).clamp_min(1e-12)[:, None, None]
    return (g / top).numpy()


def heat_overlay(images_u8: np.ndarray, heat: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """Images (N, C, H, W) uint8 with ``heat`` (N, H, W) in [0, 1] laid over them in red: (N, 3, H, W) uint8."""
    rgb = images_u8 if images_u8.shape[1] == 3 else np.repeat(images_u8, 3, axis=1)
    base = rgb.astype(np.float32) * (1 - alpha * heat[:, None])
    red = np.zeros_like(base)
    red[:, 0] = 255.0 * alpha * heat
    return np.clip(base + red, 0, 255).astype(np.uint8)
