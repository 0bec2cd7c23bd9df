"""The MLP GAN family: the fully connected networks of the classic GAN tutorials.

Covers the sigmoid/SGD MNIST networks of "Make Your Own GAN", the LeakyReLU + LayerNorm
version that fixed their mode collapse, and the tiny 1010-pattern, sine-curve and 1-D
networks: any hidden sizes, any input and output size, one activation for the hidden
layers, optional LayerNorm and dropout, and an output activation chosen by the data range.

The discriminator returns logits ``(N,)``; losses apply the sigmoid themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .spec import OutputSpec, one_hot_labels

ACTIVATIONS = ("sigmoid", "relu", "leaky_relu", "tanh")
OUT_ACTIVATIONS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "none": None}
LATENT_DISTS = ("normal", "uniform")


@dataclass(frozen=True)
class MLPConfig:
    """Everything needed to rebuild an MLP generator and its discriminator.

    Args:
        output: what one generated sample is (its value_range must match out_activation).
        z_dim: latent size.
        g_hidden: hidden layer widths of the generator.
        d_hidden: hidden layer widths of the discriminator.
        activation: hidden activation, one of ACTIVATIONS.
        leaky_slope: negative slope when activation is leaky_relu.
        layernorm: LayerNorm after each hidden activation (both networks).
        d_dropout: dropout after each discriminator hidden layer.
        out_activation: generator output activation: sigmoid, tanh or none.
        num_classes: class-conditional when > 0 (one-hot label concatenated to the input).
        latent_dist: how z is sampled: normal N(0, 1) or uniform U(0, 1).
        init_std: when > 0, linear weights start from N(0, init_std), biases at 0.
    """

    output: OutputSpec = OutputSpec("image", (1, 28, 28), (0.0, 1.0))
    z_dim: int = 100
    g_hidden: tuple[int, ...] = (200,)
    d_hidden: tuple[int, ...] = (200,)
    activation: str = "leaky_relu"
    leaky_slope: float = 0.02
    layernorm: bool = True
    d_dropout: float = 0.0
    out_activation: str = "sigmoid"
    num_classes: int = 0
    latent_dist: str = "normal"
    init_std: float = 0.0

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not one of {ACTIVATIONS}")
        if self.out_activation not in OUT_ACTIVATIONS:
            raise ValueError(f"out_activation {self.out_activation!r} is not one of {list(OUT_ACTIVATIONS)}")
        rng = OUT_ACTIVATIONS[self.out_activation]
        if rng is not None and tuple(self.output.value_range) != rng:
            raise ValueError(
                f"out_activation {self.out_activation} produces {rng}, but output.value_range is {self.output.value_range}"
            )
        if self.latent_dist not in LATENT_DISTS:
            raise ValueError(f"latent_dist {self.latent_dist!r} is not one of {LATENT_DISTS}")
        for name in ("g_hidden", "d_hidden"):
            if any(h <= 0 for h in getattr(self, name)):
                raise ValueError(f"{name} widths must be positive, got {getattr(self, name)}")
        if self.z_dim <= 0 or self.num_classes < 0:
            raise ValueError("z_dim must be > 0 and num_classes >= 0")
        if not 0.0 <= self.d_dropout < 1.0:
            raise ValueError(f"d_dropout must be in [0, 1), got {self.d_dropout}")


def _activation(cfg: MLPConfig) -> nn.Module:
    if cfg.activation == "sigmoid":
        return nn.Sigmoid()
    if cfg.activation == "relu":
        return nn.ReLU()
    if cfg.activation == "tanh":
        return nn.Tanh()
    return nn.LeakyReLU(cfg.leaky_slope)


def _stack(cfg: MLPConfig, n_in: int, hidden: tuple[int, ...], n_out: int, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), _activation(cfg)]
        if cfg.layernorm:
            layers.append(nn.LayerNorm(h))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _init(module: nn.Module, std: float) -> None:
    if std > 0:
        for m in module.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, std)
                nn.init.zeros_(m.bias)


class MLPGenerator(nn.Module):
    """z (N, z_dim) [+ labels (N,)] -> samples (N, *cfg.output.shape). See models.spec."""

    def __init__(self, cfg: MLPConfig):
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        self.num_classes = cfg.num_classes
        self.output = cfg.output
        self.latent_dist = cfg.latent_dist
        self.net = _stack(cfg, cfg.z_dim + cfg.num_classes, cfg.g_hidden, cfg.output.numel, 0.0)
        self.out_act = {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "none": nn.Identity()}[cfg.out_activation]
        _init(self, cfg.init_std)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        onehot = one_hot_labels(labels, self.num_classes, z.shape[0], z.dtype)
        x = z if onehot is None else torch.cat([z, onehot], dim=1)
        return self.out_act(self.net(x)).view(z.shape[0], *self.output.shape)


class MLPDiscriminator(nn.Module):
    """samples (N, *cfg.output.shape) [+ labels (N,)] -> logits (N,)."""

    def __init__(self, cfg: MLPConfig):
        super().__init__()
        self.cfg = cfg
        self.num_classes = cfg.num_classes
        self.net = _stack(cfg, cfg.output.numel + cfg.num_classes, cfg.d_hidden, 1, cfg.d_dropout)
        _init(self, cfg.init_std)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1)
        onehot = one_hot_labels(labels, self.num_classes, x.shape[0], flat.dtype)
        if onehot is not None:
            flat = torch.cat([flat, onehot], dim=1)
        return self.net(flat).squeeze(1)
