"""Differentiable augmentation (DiffAugment; Zhao et al. 2020, "Differentiable Augmentation for
Data-Efficient GAN Training").

With few training images the discriminator memorises them and stops giving the generator useful
gradients. DiffAugment applies the same random, differentiable transformations to every batch the
discriminator sees, real and fake alike, in both the discriminator's and the generator's update, so
D never sees an un-augmented image and G's gradient flows back through the augmentation.

Policies (comma-separated in ``TrainConfig.augment``), each applied with fresh random parameters per
image:

* ``color``        brightness + U(-0.5, 0.5), saturation × U(0, 2), contrast × U(0.5, 1.5)
* ``translation``  shift by up to 1/8 of the image size, zero padded
* ``cutout``       a zero square of half the image size at a random place

All ops are tensor ops on the batch's device with no host synchronisation, so they also run inside
a captured CUDA graph (pass ``gen=None`` there: the default CUDA generator then draws).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .train_config import POLICIES, parse_policy  # noqa: F401 - the names live with the config that holds them


def _uniform(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, generator=gen, device=x.device, dtype=x.dtype)


def color(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """Random brightness, saturation and contrast per image."""
    x = x + (_uniform(x, gen) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_uniform(x, gen) * 2) + mean  # a no-op on one channel, as in the paper
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x, gen) + 0.5) + mean


def translation(x: torch.Tensor, gen: torch.Generator | None = None, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size in x and y; the uncovered border is zero."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (n, 1, 1), generator=gen, device=x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=gen, device=x.device)
    b, gy, gx = torch.meshgrid(
        torch.arange(n, device=x.device), torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij"
    )
    gy = torch.clamp(gy + dy + 1, 0, h + 1)  # +1: index into the one-pixel zero padding
    gx = torch.clamp(gx + dx + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)
    return padded[b, gy, gx].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, gen: torch.Generator | None = None, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ``ratio`` of the image size per image, centred anywhere in the image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=gen, device=x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=gen, device=x.device)
    b, gy, gx = torch.meshgrid(
        torch.arange(n, device=x.device), torch.arange(ch, device=x.device), torch.arange(cw, device=x.device), indexing="ij"
    )
    gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
    gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w, dtype=x.dtype, device=x.device)
    mask[b, gy, gx] = torch.zeros((), dtype=x.dtype, device=x.device)  # a device zero: capturable in a CUDA graph
    return x * mask.unsqueeze(1)


OPS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], gen: torch.Generator | None = None) -> torch.Tensor:
    """``x`` (N, C, H, W) through each op of ``policy`` in order; no policy returns ``x`` itself."""
    for name in policy:
        x = OPS[name](x, gen)
    return x
