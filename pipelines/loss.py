"""The GAN maths of one training step: the discriminator and generator objectives.

Kept apart from the loop (as StyleGAN3's ``training/loss.py``): the loop hands a ``GANLoss`` the
networks' outputs, and the loss says what each network minimises. Four objectives, picked by
``TrainConfig.loss``:

* ``bce``         the original non-saturating GAN: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0),
                  G minimises BCE(D(G(z)), 1). Computed on logits (safe under autocast).
* ``hinge``       D minimises E[relu(1 - D(x))] + E[relu(1 + D(G(z)))], G minimises -E[D(G(z))]
                  (Miyato et al. 2018; usually paired with spectral normalisation).
* ``mse``         least squares on sigmoid(D) (the early tutorials).
* ``mse_linear``  least squares on D's raw output (the one-parameter GAN).

plus an optional R1 penalty, (γ/2)·E[‖∇ₓD(x)‖²] on real images (Mescheder et al. 2018), which keeps
the discriminator flat around the data so it cannot run away from the generator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .presets import TrainConfig


class GANLoss:
    """The objectives of a config: ``d_real``/``d_fake`` for the discriminator, ``g`` for the generator."""

    def __init__(self, cfg: TrainConfig):
        self.kind = cfg.loss
        self.real_label = cfg.real_label
        self.label_flip = cfg.label_flip
        self.r1_gamma = cfg.r1_gamma
        # D says "real" above this (logit 0 = probability 0.5; the linear GAN's score 0.5)
        self.threshold = 0.5 if cfg.loss == "mse_linear" else 0.0

    def targets(self, n: int, real: bool, gen: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """Discriminator targets: real_label (smoothed) for real, 0 for fake; label_flip of them swapped."""
        t = torch.full((n,), self.real_label if real else 0.0, device=device)
        if self.label_flip > 0:
            flip = torch.rand(n, generator=gen, device=device) < self.label_flip
            t = torch.where(flip, (0.0 if real else self.real_label) * torch.ones_like(t), t)
        return t

    def _regress(self, logits: torch.Tensor, target: torch.Tensor | float) -> torch.Tensor:
        t = target if isinstance(target, torch.Tensor) else torch.full_like(logits, target)
        if self.kind == "mse":
            return F.mse_loss(torch.sigmoid(logits), t)
        if self.kind == "mse_linear":  # the discriminator's raw output is its score
            return F.mse_loss(logits, t)
        return F.binary_cross_entropy_with_logits(logits, t)

    def d_real(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """What D minimises on real images (hinge ignores the targets: it has no labels to smooth)."""
        logits = logits.float()
        if self.kind == "hinge":
            return F.relu(1.0 - logits).mean()
        return self._regress(logits, target)

    def d_fake(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """What D minimises on generated images."""
        logits = logits.float()
        if self.kind == "hinge":
            return F.relu(1.0 + logits).mean()
        return self._regress(logits, target)

    def g(self, logits: torch.Tensor) -> torch.Tensor:
        """What G minimises: make D call the fakes real (non-saturating for BCE)."""
        logits = logits.float()
        if self.kind == "hinge":
            return -logits.mean()
        return self._regress(logits, 1.0)

    def r1(self, logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """(γ/2)·E‖∇ₓD(x)‖² on the real batch ``real`` (which must require grad); 0 when γ is 0."""
        if self.r1_gamma <= 0:
            return logits.new_zeros(())
        (grad,) = torch.autograd.grad(logits.float().sum(), real, create_graph=True)
        return 0.5 * self.r1_gamma * grad.float().pow(2).flatten(1).sum(1).mean()
