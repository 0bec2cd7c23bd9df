"""Interpretable latent directions: GANSpace-style PCA of a generator layer, PCA of latents,
and user-labelled directions (mean of a "with" set minus mean of a "without" set).

GANSpace (Härkönen et al. 2020): sample many z, record an intermediate layer's activations,
take their principal components, then map each component back to z by least squares, so
moving z along the mapped direction moves the layer along that component.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.latent import cycled_labels, seed_latents


@dataclass
class Directions:
    """Unit directions in z (k, z_dim), the share of variance each explains, and the spread (std)
    of the sampled latents along each, so sliders can move in units of that spread."""

    vectors: torch.Tensor
    explained: torch.Tensor
    sigma: torch.Tensor


def probe_layers(G: nn.Module) -> list[str]:
    """Names of the generator's hidden activation layers (where GANSpace looks)."""
    acts = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.LayerNorm, nn.BatchNorm2d)
    named = [(n, m) for n, m in G.named_modules() if isinstance(m, acts)]
    return [n for n, _ in named[:-1]] if len(named) > 1 else [n for n, _ in named]


class _Captured(Exception):  # noqa: N818 - control flow, not an error: the layer has been seen
    """Raised to stop the forward pass once the probed layer's output is captured."""


def _stop_after(G: nn.Module, module: nn.Module) -> nn.Module | None:
    """The first leaf module after ``module`` that does not change its input in place: the forward can
    stop before it. In-place activations right after the layer still run, as they always did, since
    they rewrite the captured output (a BatchNorm followed by ReLU(inplace=True) is probed after the ReLU)."""
    leaves = [m for m in G.modules() if not any(True for _ in m.children())]
    if module not in leaves:
        return None
    after = leaves[leaves.index(module) + 1 :]
    return next((m for m in after if not getattr(m, "inplace", False)), None)


@torch.inference_mode()
def layer_activations(G: nn.Module, z: torch.Tensor, layer: str, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Flattened activations (N, D) of ``layer`` for latents ``z``; the layers after it are not run."""
    module = dict(G.named_modules())[layer]
    out: list[torch.Tensor] = []

    def capture(_m, _i, o):
        out.append(o.reshape(o.shape[0], -1).float())

    def stop(_m, _i):
        if out:  # modules registered out of execution order: only stop once the layer has run
            raise _Captured

    handles = [module.register_forward_hook(capture)]
    nxt = _stop_after(G, module)
    if nxt is not None:
        handles.append(nxt.register_forward_pre_hook(stop))
    try:
        G(z, labels)
    except _Captured:
        pass
    finally:
        for h in handles:
            h.remove()
    return out[0]


EXACT_BELOW = 512  # data with fewer samples or features than this get the exact SVD: it is cheap there
OVERSAMPLE, POWER_ITERATIONS = 10, 4  # randomized SVD (Halko et al. 2011): extra columns and power steps


def _pca(x: torch.Tensor, k: int, exact: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(components (k, D), explained variance ratio (k,), centred data).

    Only the top ``k`` components are wanted, so large data get a randomized truncated SVD
    (``torch.svd_lowrank``, seeded, so the same data give the same directions); the ratio divides by
    the total variance, the squared Frobenius norm of the centred data, as the full SVD would.
    """
    xc = x - x.mean(0)
    total = xc.square().sum()
    if exact or min(xc.shape) < EXACT_BELOW:
        _, s, vh = torch.linalg.svd(xc, full_matrices=False)
        v = vh[:k]
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            _, s, vq = torch.svd_lowrank(xc, q=min(k + OVERSAMPLE, min(xc.shape)), niter=POWER_ITERATIONS)
        v = vq[:, :k].T
    return v, (s[:k] ** 2 / total), xc


def ganspace(G: nn.Module, layer: str, n: int = 2000, k: int = 8, seed: int = 0, exact: bool = False) -> Directions:
    """Principal directions of ``layer``'s activations, mapped back to z (``exact``: full SVD)."""
    z = seed_latents(G, range(seed, seed + n))
    labels = cycled_labels(G, n)
    acts = layer_activations(G, z, layer, labels)
    k = min(k, acts.shape[1], n - 1)
    comps, explained, centred = _pca(acts, k, exact)
    coords = centred @ comps.T  # (n, k)
    zc = z - z.mean(0)
    u = torch.linalg.lstsq(coords, zc).solution  # (k, z_dim): z offset per unit of each coordinate
    vectors = u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)
    sigma = (zc @ vectors.T).std(0)
    return Directions(vectors, explained, sigma)


def latent_pca(G: nn.Module, n: int = 2000, k: int = 8, seed: int = 0) -> Directions:
    """PCA of sampled latents themselves: for an isotropic N(0, I) prior every direction explains
    about the same share, which is exactly why GANSpace looks inside the generator instead."""
    z = seed_latents(G, range(seed, seed + n))
    comps, explained, zc = _pca(z, min(k, G.z_dim))
    return Directions(comps, explained, (zc @ comps.T).std(0))


def labelled_direction(with_set: torch.Tensor, without_set: torch.Tensor) -> torch.Tensor:
    """mean(with) − mean(without): the direction that adds the labelled attribute."""
    if with_set.ndim != 2 or without_set.ndim != 2 or not len(with_set) or not len(without_set):
        raise ValueError("both sets need at least one latent")
    return with_set.mean(0) - without_set.mean(0)


def move(z: torch.Tensor, vectors: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
    """z + Σ amounts[i] · vectors[i]."""
    return z + (amounts[:, None] * vectors).sum(0)
