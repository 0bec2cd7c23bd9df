"""``LabSettings``: every control of the Lab, typed, with the check that says which changes need new networks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .data import DATASETS, data_dim

LOSSES = {  # name -> what the page calls it
    "ns": "non-saturating BCE",
    "minimax": "minimax BCE",
    "ls": "least squares",
    "hinge": "hinge",
    "wgan-gp": "Wasserstein + gradient penalty",
}
OPTIMIZERS = ("adam", "sgd")
NOISES = ("uniform", "normal")  # uniform is U(0, 1), as models.latent.sample_latents draws it
# changing any of these builds new networks (and so restarts at iteration 0)
NETWORK_FIELDS = ("dataset", "drawn", "noise_dim", "noise", "g_layers", "g_width", "d_layers", "d_width", "seed")


@dataclass(frozen=True)
class LabSettings:
    """One lab's settings. The fields not in ``NETWORK_FIELDS`` change while it trains."""

    dataset: str = "ring"
    drawn: tuple[tuple[float, float], ...] = ()  # the drawn data set's points
    noise_dim: int = 2  # 1 or 2: the manifold is drawn as a polyline or a deformed grid
    noise: str = "normal"
    g_layers: int = 2  # hidden layers of G: the ring preset's ReLU MLP 128-128
    g_width: int = 128
    d_layers: int = 2
    d_width: int = 128
    loss: str = "ns"
    r1_gamma: float = 0.0  # R1 penalty (γ/2)·E‖∇D(x)‖² on real samples (0: off)
    gp_lambda: float = 10.0  # WGAN-GP's gradient penalty weight (Gulrajani et al. 2017)
    opt_d: str = "adam"
    opt_g: str = "adam"
    lr_d: float = 1e-3  # the ring preset's Adam(1e-3, betas (0.5, 0.999))
    lr_g: float = 1e-3
    d_steps: int = 1
    g_steps: int = 1
    batch: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown data set {self.dataset!r}; choose from {DATASETS}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose from {list(LOSSES)}")
        if self.opt_d not in OPTIMIZERS or self.opt_g not in OPTIMIZERS:
            raise ValueError(f"optimisers must be one of {OPTIMIZERS}")
        if self.noise not in NOISES or self.noise_dim not in (1, 2):
            raise ValueError(f"noise must be 1-D or 2-D, {' or '.join(NOISES)}")
        if min(self.g_layers, self.d_layers) < 1 or min(self.g_width, self.d_width) < 1:
            raise ValueError("each network needs at least one hidden layer of width >= 1")
        if self.d_steps < 0 or self.g_steps < 0 or self.d_steps + self.g_steps == 0:
            raise ValueError("D steps and G steps must be >= 0, and not both 0")
        if self.batch < 1 or self.lr_d <= 0 or self.lr_g <= 0 or self.r1_gamma < 0:
            raise ValueError("batch size and learning rates must be > 0, R1 γ >= 0")

    @property
    def dim(self) -> int:
        return data_dim(self.dataset)

    def replace(self, **changes) -> LabSettings:
        return dataclasses.replace(self, **changes)

    def needs_new_networks(self, other: LabSettings) -> list[str]:
        """The fields, among those that need new networks, in which ``other`` differs from this."""
        return [f for f in NETWORK_FIELDS if getattr(self, f) != getattr(other, f)]
