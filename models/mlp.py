"""The MLP GAN family: the fully connected networks of the classic GAN tutorials.

Covers the sigmoid/SGD MNIST networks of "Make Your Own GAN", the LeakyReLU + LayerNorm
version that fixed their mode collapse, and the tiny 1010-pattern, sine-curve and 1-D
networks: any hidden sizes, any input and output size, one activation for the hidden
layers, optional LayerNorm and dropout, and an output activation chosen by the data range.

The discriminator returns logits ``(N,)``; losses apply the sigmoid themselves.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ACTIVATIONS, LATENT_DISTS, OUT_ACTIVATIONS, MLPConfig  # noqa: F401 - re-exported
from .generator import Generator
from .spec import one_hot_labels


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


class MLPGenerator(Generator):
    """z (N, z_dim) [+ labels (N,)] -> samples (N, *cfg.output.shape). See models.spec."""

    def __init__(self, cfg: MLPConfig):
        super().__init__(cfg)
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
