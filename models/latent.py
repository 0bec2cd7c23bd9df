"""Latent-space math: pure functions on tensors and the one way from seeds to samples.

Latents are addressed by seed: ``sample_latents([seed], z_dim)`` always gives the same vector,
on any machine, because each seed gets its own ``torch.Generator`` on the CPU. ``sample(G, seeds)``
is "seeds -> samples" for any generator that follows the contract (``models.generator``): the
records, the evaluator, the classifier check, the directions, the shipped grids and the pages use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

_EPS = 1e-7


def sample_latents(seeds: Sequence[int], z_dim: int, dist: str = "normal") -> torch.Tensor:
    """One latent per seed, shape (len(seeds), z_dim), float32 on the CPU.

    Args:
        seeds: non-negative integers; seed s always gives the same row.
        z_dim: latent size.
        dist: "normal" for N(0, 1) or "uniform" for U(0, 1).
    """
    rows = []
    for s in seeds:
        g = torch.Generator().manual_seed(int(s))
        if dist == "normal":
            rows.append(torch.randn(z_dim, generator=g))
        elif dist == "uniform":
            rows.append(torch.rand(z_dim, generator=g))
        else:
            raise ValueError(f"latent dist {dist!r} is not 'normal' or 'uniform'")
    if not rows:
        return torch.empty(0, z_dim)
    return torch.stack(rows)


def lerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Linear interpolation ``(1 - t) a + t b``; ``t`` may be a 1-D tensor of steps (-> (T, d))."""
    t = torch.as_tensor(t, dtype=a.dtype)
    if t.ndim == 1:
        return (1 - t)[:, None] * a[None] + t[:, None] * b[None]
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Spherical interpolation along the great circle from ``a`` to ``b``.

    The norm moves linearly from |a| to |b|, so between equal-norm endpoints it stays constant,
    while the midpoint of a lerp between two random Gaussian latents shrinks by about 1/sqrt(2),
    into a region the generator never saw in training. When a and b are (anti)parallel the angle
    is undefined and lerp is used instead. ``t`` may be a 1-D tensor of steps (-> (T, d)).
    """
    t = torch.as_tensor(t, dtype=a.dtype)
    if t.ndim == 1:
        return torch.stack([slerp(a, b, ti) for ti in t])
    na, nb = a.norm(), b.norm()
    if na < _EPS or nb < _EPS:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    dot = torch.clamp((ua * ub).sum(), -1.0, 1.0)
    omega = torch.arccos(dot)
    so = torch.sin(omega)
    if so.abs() < 1e-6:  # parallel or anti-parallel: no unique great circle
        return lerp(a, b, t)
    direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so
    return direction * ((1 - t) * na + t * nb)


def path(keyframes: torch.Tensor, steps_per_segment: int, mode: str = "slerp", loop: bool = False) -> torch.Tensor:
    """Frames through keyframes A -> B -> C ... (optionally back to A), shape (F, d).

    Each segment has ``steps_per_segment`` frames; the last keyframe closes the path.
    """
    if keyframes.shape[0] < 2:
        raise ValueError("a path needs at least two keyframes")
    if steps_per_segment < 1:
        raise ValueError("steps_per_segment must be >= 1")
    keys = torch.cat([keyframes, keyframes[:1]]) if loop else keyframes
    fn = slerp if mode == "slerp" else lerp
    ts = torch.arange(steps_per_segment, dtype=keys.dtype) / steps_per_segment
    frames = [fn(keys[i], keys[i + 1], ts) for i in range(keys.shape[0] - 1)]
    if not loop:
        frames.append(keys[-1:])
    return torch.cat(frames)


def average(latents: torch.Tensor) -> torch.Tensor:
    """Mean of a concept set, shape (k, d) -> (d,)."""
    if latents.ndim != 2 or latents.shape[0] == 0:
        raise ValueError(f"a concept set must be a non-empty (k, d) tensor, got shape {tuple(latents.shape)}")
    return latents.mean(dim=0)


def combine(terms: Sequence[tuple[float, torch.Tensor]]) -> torch.Tensor:
    """Weighted sum of latents: ``combine([(1, a), (-1, b), (1, c)])`` is ``a - b + c``."""
    if not terms:
        raise ValueError("an expression needs at least one term")
    out = torch.zeros_like(terms[0][1])
    for w, v in terms:
        out = out + float(w) * v
    return out


def arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """``a - b + c``, each either a latent (d,) or a concept set (k, d) that is averaged first."""
    mean = lambda x: average(x) if x.ndim == 2 else x  # noqa: E731
    return combine([(1.0, mean(a)), (-1.0, mean(b)), (1.0, mean(c))])


def truncate(z: torch.Tensor, psi: float, mean: torch.Tensor | None = None) -> torch.Tensor:
    """Truncation trick: pull latents toward ``mean`` (0 for N(0, 1)) by ``psi`` in [0, 1].

    psi = 1 leaves z unchanged; psi = 0 collapses every latent onto the mean.
    """
    m = torch.zeros_like(z) if mean is None else mean.expand_as(z)
    return m + psi * (z - m)


def variations(z: torch.Tensor, n: int, scale: float, seed: int = 0) -> torch.Tensor:
    """``n`` latents near ``z``: z + scale * N(0, 1) noise from ``seed``, shape (n, d)."""
    g = torch.Generator().manual_seed(int(seed))
    return z[None] + scale * torch.randn(n, z.shape[-1], generator=g, dtype=z.dtype)


def seed_latents(G: torch.nn.Module, seeds: Sequence[int], psi: float = 1.0) -> torch.Tensor:
    """Latents of ``G`` for seeds (drawn from ``G.latent_dist``), truncated toward the prior's mean by ``psi``
    (1 = no truncation; the mean is 0 for N(0, 1) and 0.5 for U(0, 1)). Shape (len(seeds), z_dim), on the CPU."""
    z = sample_latents(seeds, G.z_dim, G.latent_dist)
    if psi != 1.0:
        mean = torch.full((G.z_dim,), 0.5) if G.latent_dist == "uniform" else None
        z = truncate(z, psi, mean)
    return z


def cycled_labels(G: torch.nn.Module, n: int) -> torch.Tensor | None:
    """The class of each of ``n`` samples when none is chosen: sample i gets class i % num_classes (None when
    ``G`` is unconditional)."""
    return torch.arange(n) % G.num_classes if G.num_classes else None


@torch.inference_mode()
def generate(G: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None, batch: int | None = None) -> torch.Tensor:
    """``G(z, labels)`` as float32 in ``G``'s own value range, ``batch`` latents a call (None: all at once); z and
    labels are moved to the device of ``G``'s first parameter or buffer."""
    if z.shape[0] == 0:
        return torch.empty(0, *G.output.shape)
    device = next(iter(G.parameters()), next(iter(G.buffers()), z)).device
    step = batch or z.shape[0]
    out = []
    for i in range(0, z.shape[0], step):
        lab = None if labels is None else labels[i : i + step].to(device)
        out.append(G(z[i : i + step].to(device, torch.float32), lab).float())
    return torch.cat(out) if len(out) > 1 else out[0]


def sample(
    G: torch.nn.Module,
    seeds: Sequence[int],
    psi: float = 1.0,
    labels: Sequence[int] | torch.Tensor | None = None,
    batch: int | None = None,
) -> torch.Tensor:
    """Samples of ``G`` for ``seeds``: float32 in ``G.output.value_range``, shape (len(seeds), *output.shape),
    on ``G``'s device, computed under inference mode.

    Args:
        psi: truncation toward the prior's mean (1 = none).
        labels: the class of each sample for a conditional ``G``; None cycles through the classes (see
            ``cycled_labels``).
        batch: latents per forward call (None: all at once; the dashboard's render path uses 256).
    """
    seeds = list(seeds)
    lab = cycled_labels(G, len(seeds)) if labels is None else torch.as_tensor(labels, dtype=torch.int64)
    return generate(G, seed_latents(G, seeds, psi), lab, batch)
