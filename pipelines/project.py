"""Projection: the latent whose image best reproduces a target image (GAN inversion by optimisation).

    loss(z) = mean((G(z) - target)^2) + prior * (|z| / sqrt(d) - 1)^2

The pixel term pulls G(z) toward the photo; the prior keeps z on the shell where N(0, I) latents
live (|z| ~ sqrt(d)), so the latent stays one the generator was trained on and the result can be
interpolated and combined like any sampled latent.

How it stays fast on a CPU (32 s -> a few seconds for an ORL photo on 2 cores, same PSNR):
  1. candidates: many seeded random latents are scored with one forward pass (no gradients) and the
     ``restarts`` closest to the photo become the starting points, so no step is spent on a poor start;
  2. the restarts are optimised together as one batch by Adam, with a step size that starts large
     and decays on a cosine to 5% of it (large early steps cross the latent space, small late ones
     settle), so a small step budget reaches what a long constant-step run reaches;
  3. successive halving: after 20% and 40% of the budget the worse half of the restarts is dropped,
     so most steps run on the one or two restarts that will win;
  4. early stop: the run ends when the best error has improved by less than ``tol`` (relative) over
     the last ``window`` steps;
  5. one thread: a batch of one to four small images is too little work to split, and a second
     thread that must wait for a busy core made every step 2-15x slower on a shared 2-core machine, so
     the search runs on one intra-op thread (and puts the process's thread count back afterwards).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from models.latent import seed_latents

HALVE_AT = (0.2, 0.4)  # fractions of the step budget after which the worse half of the restarts is dropped
FINAL_LR = 0.05  # the cosine schedule ends at this fraction of lr


@dataclass
class Projection:
    """The result: the best latent, its image, and how the error went."""

    z: torch.Tensor  # (z_dim,)
    image: torch.Tensor  # (C, H, W) in the generator's range
    mse: float  # pixel mean squared error of the best restart, in the generator's range
    start_mse: float  # the same restart's error at its start
    history: list[float]  # best pixel MSE after each step
    restart_mse: list[float]  # every restart's pixel MSE when it ended (when it was dropped, or at the end)
    steps_run: int = 0  # steps taken (fewer than the budget when the error stopped improving)


def image_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error over (C, H, W)."""
    return ((a - b) ** 2).flatten(1).mean(1)


def _labels(G: torch.nn.Module, n: int, label: int | None) -> torch.Tensor | None:
    if not G.num_classes:
        return None
    return torch.full((n,), int(label) if label is not None else 0, dtype=torch.long)


@torch.no_grad()
def best_starts(G: torch.nn.Module, target: torch.Tensor, restarts: int, candidates: int, seed: int, label: int | None):
    """The ``restarts`` latents among seeds seed … seed + candidates − 1 whose images are closest to ``target``."""
    n = max(candidates, restarts)
    z = seed_latents(G, range(seed, seed + n))
    err = torch.cat([image_mse(G(zb, _labels(G, len(zb), label)).float(), target) for zb in z.split(64)])
    return z[err.argsort()[:restarts]]


def _keep(opt: torch.optim.Adam, z: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.optim.Adam]:
    """A new leaf z holding the rows ``keep``, with an Adam that carries their moments on."""
    state = opt.state[z]
    z2 = z.detach()[keep].clone().requires_grad_(True)
    opt2 = torch.optim.Adam([z2], lr=opt.param_groups[0]["lr"])
    opt2.state[z2] = {k: (v[keep].clone() if k != "step" else v) for k, v in state.items()}
    return z2, opt2


def project(
    G: torch.nn.Module,
    target: torch.Tensor,
    steps: int = 130,
    restarts: int = 4,
    lr: float = 0.2,
    prior: float = 0.05,
    seed: int = 0,
    label: int | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    candidates: int = 64,
    tol: float = 1e-3,
    window: int = 10,
    threads: int | None = 1,
) -> Projection:
    """Find z with G(z) close to ``target`` (C, H, W), in the generator's output range.

    Args:
        steps: the Adam step budget; restarts: starting points optimised together (halved twice).
        prior: weight of the latent-norm prior; lr: Adam's first step size (cosine-decayed).
        candidates: random latents scored to pick the starts (``restarts`` or fewer: random starts).
        tol, window: stop when the best error improved by less than ``tol`` (relative) in ``window``
            steps (``tol`` 0: always use the whole budget).
        threads: torch intra-op threads during the search (None: as the process has them).
        progress: called as ``progress(step, steps, best_mse)`` after each step.
    """
    if steps < 1 or restarts < 1:
        raise ValueError("steps and restarts must be >= 1")
    if tuple(target.shape) != tuple(G.output.shape):
        raise ValueError(f"target has shape {tuple(target.shape)}, the generator makes {tuple(G.output.shape)}")
    # the generator may be a shared, cached one: its mode and gradient flags are put back afterwards
    was_training, flags = G.training, [p.requires_grad for p in G.parameters()]
    G.eval().requires_grad_(False)
    d = G.z_dim
    target = target.float()[None]
    threads_before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads or threads_before)
        z = best_starts(G, target, restarts, candidates, seed, label).requires_grad_(True)
        ids = torch.arange(restarts)  # which start each row of z is
        ended = [math.nan] * restarts
        with torch.no_grad():
            start = image_mse(G(z, _labels(G, restarts, label)).float(), target)
        opt = torch.optim.Adam([z], lr=lr)
        halve = {max(1, round(f * steps)) for f in HALVE_AT}
        history: list[float] = []
        for i in range(steps):
            opt.param_groups[0]["lr"] = lr * (FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * i / steps)))
            opt.zero_grad(set_to_none=True)
            pix = image_mse(G(z, _labels(G, len(z), label)).float(), target)
            norm = z.norm(dim=1) / d**0.5
            (pix + prior * (norm - 1) ** 2).sum().backward()
            opt.step()
            history.append(float(pix.detach().min()))
            if progress:
                progress(i + 1, steps, history[-1])
            if i + 1 in halve and len(z) > 1:
                order = pix.detach().argsort()
                for j in order[(len(z) + 1) // 2 :]:
                    ended[int(ids[j])] = float(pix[j].detach())
                keep = order[: (len(z) + 1) // 2]
                z, opt = _keep(opt, z, keep)
                ids = ids[keep]
            if tol > 0 and i >= window and history[-window - 1] - history[-1] < tol * history[-1]:
                break
        with torch.no_grad():
            z = z.detach()
            out = G(z, _labels(G, len(z), label)).float()
            final = image_mse(out, target)
    finally:
        torch.set_num_threads(threads_before)
        G.train(was_training)
        for p, flag in zip(G.parameters(), flags, strict=True):
            p.requires_grad_(flag)
    for j, f in enumerate(final.tolist()):
        ended[int(ids[j])] = f
    if progress and len(history) < steps:
        progress(steps, steps, history[-1])
    best = int(final.argmin())
    return Projection(
        z[best].clone(), out[best].clone(), float(final[best]), float(start[ids[best]]), history, ended, len(history)
    )
