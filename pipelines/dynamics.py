"""The smallest adversarial game, f(x, y) = x·y: x minimises, y maximises, equilibrium at (0, 0).

Gradient steps on it show why GAN training is hard: simultaneous updates spiral outward (each
step multiplies the distance to the equilibrium by sqrt(1 + lr²)), alternating updates circle
forever, and methods that look one step ahead (extragradient, optimistic gradient) converge.
"""

from __future__ import annotations

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
