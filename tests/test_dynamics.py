"""The Dirac-GAN (Mescheder et al. 2018): its vector field by hand and from the losses, and which methods converge."""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import quad

from pipelines.dynamics import DIRAC_METHODS, dirac_field, dirac_trajectory, f_gan, f_gan_prime

TH, PS = 1.0, 0.5  # the point where the field is checked by hand
SIG = 1 / (1 + math.exp(0.5))  # f'(ψθ) = sigmoid(−0.5)
SIG_NEG = 1 / (1 + math.exp(-0.5))  # f'(−ψθ) = sigmoid(0.5)


@pytest.mark.parametrize(
    ("method", "param", "expected"),
    [
        ("gan", 0.0, (-PS * SIG, TH * SIG)),
        ("nsgan", 0.0, (-PS * SIG_NEG, TH * SIG)),
        ("wgan", 0.0, (-PS, TH)),
        ("wgan-gp", 2.0, (-PS, TH - 2.0 * (PS - 1.0))),  # γ (|ψ| − 1)·sign ψ with γ = 2
        ("r1", 2.0, (-PS * SIG, TH * SIG - 2.0 * PS)),
        ("instance-noise", 0.0, (-PS * SIG, TH * SIG)),  # σ = 0 is the unregularised GAN
    ],
)
def test_field_by_hand(method, param, expected):
    assert dirac_field(method, TH, PS, param) == pytest.approx(expected, abs=1e-9)


def test_f_is_the_papers():
    assert f_gan(np.array(0.0)) == pytest.approx(-math.log(2))
    assert f_gan(np.array(-800.0)) == pytest.approx(-800.0)  # no overflow
    assert f_gan_prime(0.0) == pytest.approx(0.5)


def test_instance_noise_matches_an_integral():
    """σ = 0.7: the expectations over the noise, by scipy's quad, against the quadrature in the field."""
    s = 0.7
    pdf = lambda e: math.exp(-(e**2) / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    fp = lambda t: 1 / (1 + math.exp(t))  # noqa: E731
    v_th = -quad(lambda e: PS * fp(PS * (TH + s * e)) * pdf(e), -12, 12)[0]
    v_ps = quad(lambda e: ((TH + s * e) * fp(PS * (TH + s * e)) - s * e * fp(-PS * s * e)) * pdf(e), -12, 12)[0]
    assert dirac_field("instance-noise", TH, PS, s) == pytest.approx((v_th, v_ps), abs=1e-6)


@pytest.mark.parametrize("method", ["gan", "nsgan", "wgan-gp", "r1"])
def test_field_is_the_gradient_of_the_losses(method):
    """Autograd of each player's loss, written out as the paper writes it, gives the same field."""
    th = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    ps = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    f = (lambda t: t) if method == "wgan-gp" else torch.nn.functional.logsigmoid
    g_loss = -f(-ps * th) if method == "nsgan" else f(ps * th)  # G descends g_loss
    d_obj = f(ps * th) + f(-ps * 0.0)  # D ascends d_obj
    if method == "wgan-gp":
        d_obj = d_obj - 0.5 * 1.5 * (ps.abs() - 1.0) ** 2
    if method == "r1":
        d_obj = d_obj - 0.5 * 1.5 * ps**2
    gt = torch.autograd.grad(g_loss, th)[0]
    gp = torch.autograd.grad(d_obj, ps)[0]
    assert dirac_field(method, 0.8, -1.3, 1.5) == pytest.approx((-gt.item(), gp.item()), abs=1e-9)


def test_field_on_a_grid_keeps_its_shape():
    t, p = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 4))
    for m, d in DIRAC_METHODS.items():
        vt, vp = dirac_field(m, t, p, d.default)
        assert vt.shape == vp.shape == (4, 5)
        assert dirac_field(m, 0.0, 0.0, 0.0 if m == "wgan-gp" else d.default) == pytest.approx((0, 0))  # (0, 0) is a rest point


@pytest.mark.parametrize("alternating", [False, True])
def test_r1_converges(alternating):
    p = dirac_trajectory("r1", 1.0, 1.0, 0.1, 500, alternating, param=1.0)
    assert len(p) == 501 and np.hypot(*p[-1]) < 1e-3


def test_unregularised_simultaneous_spirals_out():
    r = np.hypot(*dirac_trajectory("gan", 1.0, 1.0, 0.1, 500).T)
    assert r.min() >= r[0] - 1e-9 and r[-1] > 1.5 * r[0]


def test_unregularised_alternating_cycles():
    p = dirac_trajectory("gan", 1.0, 1.0, 0.1, 2000, alternating=True)
    r = np.hypot(*p.T)
    assert r[-500:].min() > 0.95 * r[0]  # never closer than it started (within the orbit's wobble)
    angle = np.unwrap(np.arctan2(p[:, 1], p[:, 0]))
    assert abs(angle[-1] - angle[0]) > 4 * math.pi  # it goes round, more than twice


def test_wgan_clips_and_does_not_converge():
    p = dirac_trajectory("wgan", 1.0, 1.0, 0.1, 500)
    assert np.abs(p[:, 1]).max() <= 1.0 and np.hypot(*p[-1]) > 0.5


def test_instance_noise_converges_and_a_blowup_stops():
    assert np.hypot(*dirac_trajectory("instance-noise", 1.0, 1.0, 0.1, 500, param=0.7)[-1]) < 0.05
    p = dirac_trajectory("r1", 1.0, 1.0, 3.0, 10_000, param=10.0)  # far too large a step for γ = 10: it blows up
    assert len(p) < 100 and np.isfinite(p).all()


def test_unknown_method_says_so():
    with pytest.raises(ValueError, match="unknown Dirac-GAN method"):
        dirac_field("lsgan", 0, 0)
