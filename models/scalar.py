"""The one-parameter GAN: a generator node and a discriminator node with one weight each.

The generator node scales its noise input: G(z) = q · (0.9 + 0.2 z) with z ~ U(0, 1), so it
matches the real data U(0.9, 1.1) exactly when q = 1. The discriminator node outputs p · x
(trained with MSE against 1 for real and 0 for fake). Small enough to watch both parameters
chase each other step by step.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ScalarConfig  # noqa: F401 - re-exported
from .generator import Generator


class ScalarGenerator(Generator):
    """z (N, 1) in [0, 1] -> q · (0.9 + 0.2 z), shape (N, 1)."""

    def __init__(self, cfg: ScalarConfig):
        super().__init__(cfg)
        self.q = nn.Parameter(torch.tensor(float(cfg.q0)))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise ValueError("this generator is unconditional: pass labels=None")
        return self.q * (0.9 + 0.2 * z)

    def log_values(self) -> dict[str, float]:
        return {"q": float(self.q.detach())}


class ScalarDiscriminator(nn.Module):
    """x (N, 1) -> p · x, shape (N,): a raw score, trained with MSE toward 1 (real) and 0 (fake)."""

    def __init__(self, cfg: ScalarConfig):
        super().__init__()
        self.cfg = cfg
        self.p = nn.Parameter(torch.tensor(float(cfg.p0)))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.p * x.reshape(x.shape[0])

    def log_values(self) -> dict[str, float]:
        return {"p": float(self.p.detach())}
