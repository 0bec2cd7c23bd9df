"""The smallest adversarial game, f(x, y) = x·y: x minimises, y maximises, equilibrium at (0, 0).

Gradient steps on it show why GAN training is hard: simultaneous updates spiral outward (each
step multiplies the distance to the equilibrium by sqrt(1 + lr²)), alternating updates circle
forever, and methods that look one step ahead (extragradient, optimistic gradient) converge.

The Dirac-GAN below is the same lesson on a real GAN objective, with the regularisers that fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = {
    "simultaneous": "both players step on the current point at once",
    "alternating": "x steps, then y steps against the new x (as GAN loops alternate D and G)",
    "extragradient": "step to a look-ahead point, then step from the start with the look-ahead's gradients",
    "optimistic": "step with 2× the current gradient minus the previous one (optimistic mirror descent)",
}


def simulate(method: str, x0: float, y0: float, lr: float, steps: int) -> np.ndarray:
    """Positions (steps + 1, 2) of (x, y) under ``method`` on f = x·y (∂f/∂x = y, ∂f/∂y = x)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {list(METHODS)}")
    p = np.empty((steps + 1, 2))
    x, y = float(x0), float(y0)
    p[0] = x, y
    gx_prev, gy_prev = y, x
    for t in range(1, steps + 1):
        if method == "simultaneous":
            x, y = x - lr * y, y + lr * x
        elif method == "alternating":
            x = x - lr * y
            y = y + lr * x
        elif method == "extragradient":
            xh, yh = x - lr * y, y + lr * x
            x, y = x - lr * yh, y + lr * xh
        else:  # optimistic
            gx, gy = y, x
            x, y = x - lr * (2 * gx - gx_prev), y + lr * (2 * gy - gy_prev)
            gx_prev, gy_prev = gx, gy
        p[t] = x, y
    return p


# The Dirac-GAN (Mescheder, Geiger and Nowozin 2018, "Which training methods for GANs do actually converge?").
# The data is a single point at 0, the generator G(z) = θ puts all its mass at θ, the discriminator is linear,
# D(x) = ψ·x. With the paper's sign convention the objective is L(θ, ψ) = f(ψθ) + f(-ψ·0) = f(ψθ) + f(0): D
# ascends it in ψ, G descends it in θ. The unique equilibrium is (θ, ψ) = (0, 0).


@dataclass(frozen=True)
class DiracMethod:
    """One training method on the Dirac-GAN.

    Args:
        label: its name on screen.
        meaning: one sentence on what it changes and what the learner should see.
        param: the name of its one hyperparameter ("γ", "σ"), or "" when it has none.
        default: that hyperparameter's default.
    """

    label: str
    meaning: str
    param: str = ""
    default: float = 0.0


DIRAC_METHODS = {
    "gan": DiracMethod(
        "unregularised GAN",
        "f(t) = −log(1 + exp(−t)); G descends f(ψθ), D ascends it. The field circles the equilibrium: simultaneous "
        "steps spiral out, alternating steps go round and round.",
    ),
    "nsgan": DiracMethod(
        "non-saturating GAN",
        "G ascends f(−ψθ) instead of descending f(ψθ). Near (0, 0) the field is the same pure rotation, so it does "
        "not converge: simultaneous steps settle on a cycle, alternating ones creep inward ever more slowly.",
    ),
    "wgan": DiracMethod(
        "WGAN (weight clipping)",
        "f(t) = t; D's weight is clipped to [−1, 1] after each step. G overshoots, D saturates at the clip: it cycles.",
    ),
    "wgan-gp": DiracMethod(
        "WGAN-GP",
        "f(t) = t with the gradient penalty γ/2·(|ψ| − 1)², which for a linear D pulls |ψ| to 1, never to 0: "
        "D cannot settle at the equilibrium, so the pair keeps oscillating near it.",
        "γ",
        1.0,
    ),
    "instance-noise": DiracMethod(
        "instance noise",
        "Gaussian noise N(0, σ²) added to real and generated points; the expectation over the noise damps the "
        "rotation, so with σ large enough it converges (slowly).",
        "σ",
        0.7,
    ),
    "r1": DiracMethod(
        "R1 regularisation",
        "D pays γ/2·‖∇D(x)‖² on the real data, γ/2·ψ² here: the field turns inward and both update rules converge "
        "to (0, 0). The same R1 makes our MNIST presets sharp.",
        "γ",
        1.0,
    ),
}
WGAN_CLIP = 1.0  # weight clipping's bound on |ψ|
GP_TARGET = 1.0  # WGAN-GP's target gradient norm g0
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)  # E over ε ~ N(0, 1) by Gauss–Hermite quadrature
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def f_gan(t: np.ndarray) -> np.ndarray:
    """The paper's f(t) = −log(1 + exp(−t)) (log-sigmoid), computed without overflow."""
    return -np.logaddexp(0.0, -t)


def f_gan_prime(t: np.ndarray) -> np.ndarray:
    """f'(t) = 1 / (1 + exp(t)) = sigmoid(−t); f'(0) = 1/2."""
    return 0.5 * (1.0 - np.tanh(np.asarray(t, dtype=float) / 2.0))


def dirac_field(method: str, theta, psi, param: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The gradient vector field v = (−∂L_G/∂θ, ∂L_D/∂ψ): the direction a gradient step moves (θ, ψ).

    Args:
        method: a key of ``DIRAC_METHODS``.
        theta, psi: scalars or arrays of the same shape (a grid for a quiver plot).
        param: γ for WGAN-GP and R1, σ for instance noise; ignored by the others.

    Returns:
        (v_theta, v_psi), arrays of the inputs' shape.
    """
    if method not in DIRAC_METHODS:
        raise ValueError(f"unknown Dirac-GAN method {method!r}; choose from {list(DIRAC_METHODS)}")
    th, ps = np.asarray(theta, dtype=float), np.asarray(psi, dtype=float)
    if method == "gan":  # L = f(ψθ): G descends it, D ascends it
        return -ps * f_gan_prime(ps * th), th * f_gan_prime(ps * th)
    if method == "nsgan":  # G ascends f(−ψθ) instead
        return -ps * f_gan_prime(-ps * th), th * f_gan_prime(ps * th)
    if method == "wgan":  # f(t) = t: L = ψθ (the clipping is a projection after D's step, not part of the field)
        return -ps, th.copy()
    if method == "wgan-gp":  # D ascends ψθ − γ/2·(|ψ| − g0)²
        return -ps, th - param * (np.abs(ps) - GP_TARGET) * np.sign(ps)
    if method == "r1":  # D ascends f(ψθ) + f(0) − γ/2·ψ²
        return -ps * f_gan_prime(ps * th), th * f_gan_prime(ps * th) - param * ps
    # instance noise: L = E_ε f(ψ(θ + σε)) + E_ε f(−ψσε), each expectation by quadrature over ε ~ N(0, 1)
    e = param * _NODES.reshape((-1,) + (1,) * th.ndim)
    w = _WEIGHTS.reshape(e.shape)
    fake, real = th + e, e  # the noisy generated and real points
    v_th = -(w * ps * f_gan_prime(ps * fake)).sum(0)
    v_ps = (w * fake * f_gan_prime(ps * fake)).sum(0) - (w * real * f_gan_prime(-ps * real)).sum(0)
    return v_th, v_ps


def dirac_trajectory(
    method: str, theta0: float, psi0: float, lr: float, steps: int, alternating: bool = False, param: float = 0.0
) -> np.ndarray:
    """Positions (n, 2) of (θ, ψ) under gradient steps of size ``lr`` on the Dirac-GAN.

    Simultaneous steps move both from the same point; alternating steps move D (ψ) first and then G (θ)
    against the new ψ, as a GAN training loop does. WGAN clips ψ to [−1, 1] after each D step. A run that
    leaves the plane (|θ| or |ψ| over 1e6) stops there, so n may be less than steps + 1.
    """
    p = [(float(theta0), float(psi0))]
    th, ps = p[0]
    for _ in range(steps):
        if alternating:
            ps = ps + lr * float(dirac_field(method, th, ps, param)[1])
            ps = float(np.clip(ps, -WGAN_CLIP, WGAN_CLIP)) if method == "wgan" else ps
            th = th + lr * float(dirac_field(method, th, ps, param)[0])
        else:
            vt, vp = dirac_field(method, th, ps, param)
            th, ps = th + lr * float(vt), ps + lr * float(vp)
            ps = float(np.clip(ps, -WGAN_CLIP, WGAN_CLIP)) if method == "wgan" else ps
        if not (abs(th) < 1e6 and abs(ps) < 1e6):
            break
        p.append((th, ps))
    return np.array(p)
