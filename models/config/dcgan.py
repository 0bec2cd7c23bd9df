"""The DCGAN plan without torch: the config, its layer plan and the size formulas (see ``models.dcgan``,
and ``models.config`` for why the configs live apart from the networks)."""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import OutputSpec

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
