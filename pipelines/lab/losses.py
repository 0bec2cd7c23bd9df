"""The Lab's five GAN objectives on D's raw outputs (logits), and the R1 and gradient penalties.

``pipelines.loss.GANLoss`` serves the trainer (BCE, hinge, least squares on sigmoid or raw outputs);
the Lab needs two it lacks (minimax BCE and WGAN-GP) and a per-point G loss for the gradient arrows,
so the few lines live here. With l = D(x):

* ``ns``       D: softplus(-l_real) + softplus(l_fake); G: softplus(-l_fake)  (non-saturating, Goodfellow 2014 §3)
* ``minimax``  D: the same; G: -softplus(l_fake), i.e. G minimises log(1 - D(G(z))) (saturates early on)
* ``ls``       D: (l_real - 1)² + l_fake²; G: (l_fake - 1)²  (LSGAN, Mao et al. 2017, a=0, b=c=1)
* ``hinge``    D: relu(1 - l_real) + relu(1 + l_fake); G: -l_fake  (Miyato et al. 2018)
* ``wgan-gp``  D: l_fake - l_real + λ(‖∇D(x̂)‖ - 1)² on x̂ between real and fake; G: -l_fake
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def d_parts(kind: str, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(what D minimises on real, on fake), each a per-sample tensor."""
    if kind in ("ns", "minimax"):
        return F.softplus(-real), F.softplus(fake)
    if kind == "ls":
        return (real - 1) ** 2, fake**2
    if kind == "hinge":
        return F.relu(1 - real), F.relu(1 + fake)
    return -real, fake  # wgan-gp (the penalty is added by the caller)


def g_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    """What G minimises, per fake sample."""
    if kind == "ns":
        return F.softplus(-fake)
    if kind == "minimax":
        return -F.softplus(fake)
    if kind == "ls":
        return (fake - 1) ** 2
    return -fake  # hinge, wgan-gp


def threshold(kind: str) -> float:
    """D says "real" above this raw output (logit 0 = probability 0.5; least squares' midpoint 0.5)."""
    return 0.5 if kind == "ls" else 0.0


def input_grad_sq(D: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """‖∇ₓD(x)‖² per sample, differentiable (for R1 and the gradient penalty)."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return grad.pow(2).sum(1)


def r1(D: torch.nn.Module, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """(γ/2)·E‖∇D(x)‖² on real samples (Mescheder et al. 2018)."""
    return 0.5 * gamma * input_grad_sq(D, real).mean()


def gradient_penalty(
    D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, lam: float, gen: torch.Generator
) -> torch.Tensor:
    """λ·E(‖∇D(x̂)‖ - 1)² on x̂ = εx + (1-ε)G(z), ε ~ U(0, 1) (Gulrajani et al. 2017)."""
    eps = torch.rand(len(real), 1, generator=gen)
    mix = eps * real + (1 - eps) * fake.detach()
    return lam * ((input_grad_sq(D, mix) + 1e-12).sqrt() - 1).pow(2).mean()
