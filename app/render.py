"""Pure rendering: (generator, latents or seeds, options) -> uint8 pixels. No Streamlit here.

Pages call these through the cached wrappers in ``app.state``; benchmarks and tests call them
directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from models import latent
from models.latent import seed_latents  # noqa: F401 - re-exported: the pages' latents for seeds
from pipelines.images import enlarge, images_u8, tile  # noqa: F401 - re-exported: the render path's pixel steps


def generate(G: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None, batch: int = 256) -> torch.Tensor:
    """Run ``G`` on latents in batches under inference mode; returns float samples on the CPU, mapped from
    the declared value range to [0, 1]: clamped for images (pixels), not for points, vectors and curves,
    whose values are drawn as the generator gives them, even outside the range it declares."""
    return G.output.to_unit(latent.generate(G, z, labels, batch), clamp=G.output.kind == "image")


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
    lab = None if labels is None else torch.as_tensor(list(labels), dtype=torch.int64)
    return grid_u8(generate(G, seed_latents(G, seeds, psi), lab), nrow=nrow, scale=scale)
