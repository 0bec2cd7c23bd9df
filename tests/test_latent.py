"""Latent math: the properties the interpolation and arithmetic pages rely on."""

import math

import pytest
import torch

from models import latent


def test_seeded_latents_are_reproducible_and_distinct():
    a = latent.sample_latents([3, 4, 3], 64)
    assert a.shape == (3, 64)
    assert torch.equal(a[0], a[2])
    assert not torch.allclose(a[0], a[1])
    assert torch.equal(latent.sample_latents([4], 64)[0], a[1])  # a seed's vector does not depend on its batch
    u = latent.sample_latents([1], 1000, "uniform")
    assert 0 <= u.min() and u.max() < 1
    with pytest.raises(ValueError):
        latent.sample_latents([1], 8, "cauchy")


def test_slerp_endpoints_exact_and_norm_kept():
    a, b = latent.sample_latents([1, 2], 128)
    b = b / b.norm() * a.norm()  # equal-norm endpoints
    assert torch.allclose(latent.slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(latent.slerp(a, b, 1.0), b, atol=1e-5)
    frames = latent.slerp(a, b, torch.linspace(0, 1, 11))
    assert frames.shape == (11, 128)
    assert torch.allclose(frames.norm(dim=1), torch.full((11,), float(a.norm())), rtol=1e-4)


def test_lerp_midpoint_shrinks_slerp_does_not():
    a, b = latent.sample_latents([10, 11], 512)
    mid_l = latent.lerp(a, b, 0.5).norm()
    mid_s = latent.slerp(a, b, 0.5).norm()
    ends = (a.norm() + b.norm()) / 2
    # two random Gaussian latents are nearly orthogonal: the lerp midpoint is ~1/sqrt(2) as long
    assert abs(float(mid_l / ends) - 1 / math.sqrt(2)) < 0.06
    assert abs(float(mid_s / ends) - 1) < 1e-4


def test_slerp_parallel_fallback_is_finite():
    a = latent.sample_latents([5], 32)[0]
    for b in (2 * a, a.clone(), -a, torch.zeros(32)):
        out = latent.slerp(a, b, torch.linspace(0, 1, 5))
        assert torch.isfinite(out).all()
        assert torch.allclose(out[0], a, atol=1e-5) and torch.allclose(out[-1], b, atol=1e-5)
    assert torch.allclose(latent.slerp(a, 2 * a, 0.5), latent.lerp(a, 2 * a, 0.5))


def test_arithmetic_matches_by_hand():
    sets = [latent.sample_latents(range(s, s + 3), 16) for s in (0, 10, 20)]
    by_hand = sets[0].mean(0) - sets[1].mean(0) + sets[2].mean(0)
    assert torch.allclose(latent.arithmetic(*sets), by_hand)
    assert torch.allclose(latent.combine([(0.5, sets[0][0]), (-2, sets[1][0])]), 0.5 * sets[0][0] - 2 * sets[1][0])
    with pytest.raises(ValueError):
        latent.average(torch.empty(0, 16))


def test_truncation_pulls_toward_mean():
    z = latent.sample_latents(range(100), 64)
    assert torch.equal(latent.truncate(z, 1.0), z)
    assert torch.allclose(latent.truncate(z, 0.0), torch.zeros_like(z))
    half = latent.truncate(z, 0.5)
    assert torch.allclose(half.norm(dim=1), 0.5 * z.norm(dim=1))
    m = torch.ones(64)
    assert torch.allclose(latent.truncate(z, 0.0, m), m.expand_as(z))


def test_path_through_keyframes_and_loop():
    keys = latent.sample_latents([1, 2, 3], 8)
    p = latent.path(keys, 4, "slerp")
    assert p.shape == (9, 8)
    assert torch.allclose(p[0], keys[0], atol=1e-5) and torch.allclose(p[4], keys[1], atol=1e-5)
    assert torch.allclose(p[-1], keys[2], atol=1e-5)
    loop = latent.path(keys, 4, "lerp", loop=True)
    assert loop.shape == (12, 8) and torch.allclose(loop[8], keys[2])


def test_variations_are_near_and_seeded():
    z = latent.sample_latents([0], 32)[0]
    v = latent.variations(z, 5, 0.1, seed=1)
    assert v.shape == (5, 32)
    assert torch.equal(v, latent.variations(z, 5, 0.1, seed=1))
    assert ((v - z).norm(dim=1) < 0.1 * 32**0.5 * 2).all()
