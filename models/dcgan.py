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

from dataclasses import dataclass

import torch
from torch import nn

from .spec import OutputSpec, one_hot_labels

MIN_START, MAX_START = 4, 7


def conv_out(size: int, k: int, s: int, p: int) -> int:
    """Output size of a Conv2d along one axis."""
    return (size + 2 * p - k) // s + 1


def conv_transpose_out(size: int, k: int, s: int, p: int) -> int:
    """Output size of a ConvTranspose2d along one axis (no output_padding, dilation 1)."""
    return (size - 1) * s - 2 * p + k


@dataclass(frozen=True)
class Layer:
    """One layer of a plan: what it is and the sizes the formulas give."""

    name: str
    kind: str  # "conv" or "conv_transpose"
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    padding: int
    in_size: int
    out_size: int

    def describe(self) -> str:
        op = "ConvTranspose2d" if self.kind == "conv_transpose" else "Conv2d"
        return f"{self.name} ({op} {self.in_channels}->{self.out_channels}, k={self.kernel} s={self.stride} p={self.padding})"


class LayerSizeError(ValueError):
    """A DCGAN config whose layer sizes do not work out."""


@dataclass(frozen=True)
class DCGANConfig:
    """Everything needed to rebuild a DCGAN generator and discriminator.

    Args:
        image_size: height = width of the images.
        channels: 1 (grey) or 3 (RGB).
        z_dim: latent size.
        ngf: generator width; the first block has ngf * 2**(n-1) channels for n up-layers.
        ndf: discriminator width, mirrored.
        num_classes: class-conditional when > 0.
        kernel_size, stride, padding: of every up/down-sampling layer (4, 2, 1 doubles/halves).
        latent_dist: normal N(0, 1) or uniform U(0, 1).
        init_std: weights from N(0, init_std) (BatchNorm scale from N(1, init_std)); 0 keeps
            PyTorch's default init.
    """

    image_size: int = 64
    channels: int = 3
    z_dim: int = 100
    ngf: int = 64
    ndf: int = 64
    num_classes: int = 0
    kernel_size: int = 4
    stride: int = 2
    padding: int = 1
    latent_dist: str = "normal"
    init_std: float = 0.02

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.z_dim <= 0 or self.ngf <= 0 or self.ndf <= 0 or self.num_classes < 0:
            raise ValueError("z_dim, ngf and ndf must be > 0 and num_classes >= 0")
        if self.latent_dist not in ("normal", "uniform"):
            raise ValueError(f"latent_dist {self.latent_dist!r} is not 'normal' or 'uniform'")
        self.discriminator_plan()  # raises LayerSizeError naming the layer
        self.generator_plan()

    @property
    def output(self) -> OutputSpec:
        return OutputSpec("image", (self.channels, self.image_size, self.image_size), (-1.0, 1.0))

    def _down_sizes(self) -> list[int]:
        sizes = [self.image_size]
        while sizes[-1] > MAX_START:
            nxt = conv_out(sizes[-1], self.kernel_size, self.stride, self.padding)
            if nxt >= sizes[-1] or nxt < 1:
                raise LayerSizeError(
                    f"discriminator layer down{len(sizes)} (Conv2d k={self.kernel_size} s={self.stride} "
                    f"p={self.padding}) maps {sizes[-1]}x{sizes[-1]} to {nxt}x{nxt}: it must shrink the image"
                )
            sizes.append(nxt)
        if sizes[-1] < MIN_START or len(sizes) < 2:
            raise LayerSizeError(
                f"image_size {self.image_size}: the down-sampling layers end at {sizes[-1]}x{sizes[-1]}, "
                f"but the last block must be {MIN_START}..{MAX_START} pixels wide after at least one "
                f"down-sampling layer; use s * 2**n with s in {MIN_START}..{MAX_START} (28, 32, 64, 80)"
            )
        return sizes

    def discriminator_plan(self) -> list[Layer]:
        """Layers of the discriminator, input image to one logit."""
        sizes = self._down_sizes()
        n = len(sizes) - 1
        k, s, p = self.kernel_size, self.stride, self.padding
        layers, ch = [], self.channels + self.num_classes
        for i in range(n):
            out_ch = self.ndf * 2**i
            layers.append(Layer(f"down{i + 1}", "conv", ch, out_ch, k, s, p, sizes[i], sizes[i + 1]))
            ch = out_ch
        start = sizes[-1]
        layers.append(Layer("logit", "conv", ch, 1, start, 1, 0, start, conv_out(start, start, 1, 0)))
        return layers

    def generator_plan(self) -> list[Layer]:
        """Layers of the generator, 1x1 latent to image; each size checked by the formula."""
        sizes = self._down_sizes()[::-1]  # start ... image_size
        n = len(sizes) - 1
        k, s, p = self.kernel_size, self.stride, self.padding
        start = sizes[0]
        ch = self.ngf * 2 ** (n - 1)
        layers = [
            Layer(
                "project", "conv_transpose", self.z_dim + self.num_classes, ch, start, 1, 0, 1, conv_transpose_out(1, start, 1, 0)
            )
        ]
        for i in range(n):
            out_ch = self.channels if i == n - 1 else ch // 2
            got = conv_transpose_out(sizes[i], k, s, p)
            layer = Layer(f"up{i + 1}", "conv_transpose", ch, out_ch, k, s, p, sizes[i], got)
            if got != sizes[i + 1]:
                raise LayerSizeError(
                    f"generator layer {layer.describe()} maps {sizes[i]}x{sizes[i]} to {got}x{got}, "
                    f"but {sizes[i + 1]}x{sizes[i + 1]} is needed to reach image_size {self.image_size}; "
                    f"use s * 2**n with s in {MIN_START}..{MAX_START} (28, 32, 64, 80) and k=4 s=2 p=1"
                )
            layers.append(layer)
            ch = out_ch
        return layers


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


class DCGANGenerator(nn.Module):
    """z (N, z_dim) [+ labels (N,)] -> images (N, C, H, W) in [-1, 1]. See models.spec.

    For the 28x28 MNIST plan: (ngf*2) x 7 x 7 -> ngf x 14 x 14 -> C x 28 x 28.
    """

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        self.num_classes = cfg.num_classes
        self.output = cfg.output
        self.latent_dist = cfg.latent_dist
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
