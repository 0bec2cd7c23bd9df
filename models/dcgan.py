"""The DCGAN family (Radford et al. 2015): transposed-conv generator, strided-conv discriminator.

BatchNorm in both networks (not on the generator output nor the discriminator input and
output), ReLU in the generator, LeakyReLU(0.2) in the discriminator, tanh output in [-1, 1],
weights from N(0, 0.02). Square images of 1 or 3 channels whose size is s * 2**n with a
start size s in 4..7: 28 (7 -> 14 -> 28), 32, 64, 80 (5 -> 10 -> 20 -> 40 -> 80).

Every layer's output size follows the floor formulas

    conv:            out = floor((in + 2p - k) / s) + 1
    transposed conv: out = (in - 1) * s - 2p + k

and the whole plan is checked when the config is built; a size that does not work out is
refused with a message naming the layer. Class-conditional when ``num_classes > 0``: the
generator sees z concatenated with a one-hot label, the discriminator sees the image with
one constant one-hot plane per class.
"""

from __future__ import annotations

import torch
from torch import nn

from .config.dcgan import (  # noqa: F401 - re-exported: the config lives beside the networks for readers
    MAX_START,
    MIN_START,
    DCGANConfig,
    Layer,
    LayerSizeError,
    conv_out,
    conv_transpose_out,
)
from .generator import Generator
from .spec import one_hot_labels


def init_dcgan_weights(module: nn.Module, std: float) -> None:
    """DCGAN init: conv weights N(0, std), BatchNorm scale N(1, std) and shift 0."""
    if std <= 0:
        return
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


class DCGANGenerator(Generator):
    """z (N, z_dim) [+ labels (N,)] -> images (N, C, H, W) in [-1, 1]. See models.spec.

    For the 28x28 MNIST plan: (ngf*2) x 7 x 7 -> ngf x 14 x 14 -> C x 28 x 28.
    """

    def __init__(self, cfg: DCGANConfig):
        super().__init__(cfg)
        plan = cfg.generator_plan()
        blocks: list[nn.Module] = []
        for i, L in enumerate(plan):
            last = i == len(plan) - 1
            blocks.append(nn.ConvTranspose2d(L.in_channels, L.out_channels, L.kernel, L.stride, L.padding, bias=last))
            blocks += [nn.Tanh()] if last else [nn.BatchNorm2d(L.out_channels), nn.ReLU(True)]
        self.net = nn.Sequential(*blocks)
        init_dcgan_weights(self, cfg.init_std)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        onehot = one_hot_labels(labels, self.num_classes, z.shape[0], z.dtype)
        if onehot is not None:
            z = torch.cat([z, onehot], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """images (N, C, H, W) [+ labels (N,)] -> logits (N,).

    For 28x28: C x 28 x 28 -> ndf x 14 x 14 -> (ndf*2) x 7 x 7 -> 1 x 1 x 1.
    """

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        self.num_classes = cfg.num_classes
        plan = cfg.discriminator_plan()
        blocks: list[nn.Module] = []
        for i, L in enumerate(plan):
            first, last = i == 0, i == len(plan) - 1
            blocks.append(nn.Conv2d(L.in_channels, L.out_channels, L.kernel, L.stride, L.padding, bias=last))
            if not last:
                if not first:
                    blocks.append(nn.BatchNorm2d(L.out_channels))
                blocks.append(nn.LeakyReLU(0.2, inplace=True))
        self.net = nn.Sequential(*blocks)
        init_dcgan_weights(self, cfg.init_std)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        planes = one_hot_labels(labels, self.num_classes, x.shape[0], x.dtype)
        if planes is not None:
            x = torch.cat([x, planes[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
        return self.net(x).view(x.shape[0])
