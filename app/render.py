"""Pure rendering: (generator, latents or seeds, options) -> uint8 pixels. No Streamlit here.

Pages call these through the cached wrappers in ``app.state``; benchmarks and tests call them
directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from models.latent import sample_latents, truncate


def to_unit(x: torch.Tensor, value_range: Sequence[float], clamp: bool = True) -> torch.Tensor:
    """Map generator output in ``value_range`` to [0, 1] (clamped unless ``clamp`` is False)."""
    lo, hi = value_range
    u = (x.float() - lo) / (hi - lo)
    return u.clamp_(0, 1) if clamp else u


def generate(G: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None, batch: int = 256) -> torch.Tensor:
    """Run ``G`` on latents in batches under inference mode; returns float samples on the CPU, mapped from
    the declared value range to [0, 1]: clamped for images (pixels), not for points, vectors and curves,
    whose values are drawn as the generator gives them, even outside the range it declares."""
    out = []
    with torch.inference_mode():
        for i in range(0, z.shape[0], batch):
            lab = None if labels is None else labels[i : i + batch]
            x = G(z[i : i + batch].to(torch.float32), lab)
            out.append(to_unit(x, G.output.value_range, clamp=G.output.kind == "image"))
    return torch.cat(out) if out else torch.empty(0, *G.output.shape)


def seed_latents(G: torch.nn.Module, seeds: Sequence[int], psi: float = 1.0) -> torch.Tensor:
    """Latents for seeds, truncated toward the mean by ``psi`` (1 = no truncation)."""
    z = sample_latents(seeds, G.z_dim, getattr(G, "latent_dist", "normal"))
    if psi != 1.0:
        mean = torch.full((G.z_dim,), 0.5) if getattr(G, "latent_dist", "normal") == "uniform" else None
        z = truncate(z, psi, mean)
    return z


def images_u8(samples: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> (N, H, W, C) uint8 (C is 1 or 3)."""
    return samples.mul(255).round_().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def enlarge(images: np.ndarray, size: int | None = None, smooth: bool = False, scale: int = 1) -> np.ndarray:
    """Enlarge (N, H, W, C) uint8 images for the screen: the one place images are scaled up.

    Args:
        size: on-screen pixels wanted for the longer side (None: use ``scale``). Pixel-exact scaling
            repeats every pixel ceil(size / side) times, so each stays a sharp square and the image is
            at least ``size``; smooth scaling resamples (bicubic) to exactly ``size``. Images already
            that large are left alone.
        smooth: resample smoothly instead of repeating pixels.
        scale: a fixed integer factor, used when ``size`` is None.
    """
    h, w = images.shape[1:3]
    if size is not None:
        if max(h, w) >= size:
            return images
        scale = math.ceil(size / max(h, w))
        out_hw = (round(h * size / max(h, w)), round(w * size / max(h, w)))
    else:
        out_hw = (h * scale, w * scale)
    if scale <= 1:
        return images
    if not smooth:
        return images.repeat(scale, axis=1).repeat(scale, axis=2)
    from PIL import Image

    mode_c = images.shape[3]
    out = np.empty((len(images), *out_hw, mode_c), np.uint8)
    for i, im in enumerate(images):
        pil = Image.fromarray(im[:, :, 0] if mode_c == 1 else im)
        out[i] = np.asarray(pil.resize(out_hw[::-1], Image.Resampling.BICUBIC)).reshape(*out_hw, mode_c)
    return out


def tile(images: np.ndarray, nrow: int, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """(N, H, W, C) uint8 -> one (H', W', 3) grid, ``nrow`` images a row with ``padding`` between and
    around them (torchvision's make_grid layout, without importing torchvision, which costs 1.5 s at
    start-up). A single image comes back unpadded; one channel is repeated to three."""
    if images.shape[3] == 1:
        images = np.broadcast_to(images, (*images.shape[:3], 3))
    n, h, w, c = images.shape
    if n == 1:
        return np.ascontiguousarray(images[0])
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value, np.uint8)
    for i in range(n):
        y, x = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def grid_u8(
    samples: torch.Tensor, nrow: int, padding: int = 2, scale: int = 1, size: int | None = None, smooth: bool = False
) -> np.ndarray:
    """Tile (N, C, H, W) samples in [0, 1] into one (H', W', 3) uint8 grid, ``nrow`` images per row.

    Each image is first enlarged (see ``enlarge``: to ``size`` pixels, or by ``scale``), so small
    images stay readable on screen.
    """
    return tile(enlarge(images_u8(samples), size=size, smooth=smooth, scale=scale), nrow=nrow, padding=padding)


def sample_grid(
    G: torch.nn.Module, seeds: Sequence[int], nrow: int, psi: float = 1.0, labels: Sequence[int] | None = None, scale: int = 1
) -> np.ndarray:
    """The grid a user sees: one cell per seed, optional class labels, as uint8 RGB."""
    z = seed_latents(G, seeds, psi)
    lab = None if labels is None else torch.as_tensor(list(labels), dtype=torch.int64)
    return grid_u8(generate(G, z, lab), nrow=nrow, scale=scale)
