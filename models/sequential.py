"""A generic feed-forward generator described by a layer list: how generators trained elsewhere live here.

``ganscope-import`` turns a PyTorch state dict, a Keras model or part of an ONNX graph into a
``SequentialConfig``: a frozen list of ``LayerSpec`` (linear, conv, transposed conv, BatchNorm,
LayerNorm, activations, reshape, flatten, upsample) plus the latent size and the output
description. ``SequentialGenerator(cfg)`` is then a plain ``nn.Module`` like every other
architecture: saved and loaded by the same snapshot code, drawn by the same pages.

Layouts are NCHW inside. Two things keep foreign layouts exact without touching weights:
``reshape`` and ``flatten`` layers carry the order of their flat values (``"nhwc"`` for Keras'
``Reshape((7, 7, 128))`` after a Dense layer, and Keras' ``Flatten`` of a feature map), and
convolutions carry explicit, possibly asymmetric padding (``(top, bottom, left, right)``), which
for a transposed convolution is what is cropped from its full output, as Keras' ``same``
padding does (e.g. kernel 3, stride 2 crops 0 rows at the top and 1 at the bottom).

BatchNorm layers use their running statistics (``batchnorm="running"``) or the batch's own
(``"batch"``, what a network left in training mode does, as pytorch/examples' DCGAN samples are
drawn); ``set_batchnorm_mode`` switches a built generator. Every size is checked when the config
is built; a layer that does not fit is refused with its index, kind and the sizes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config.sequential import (  # noqa: F401 - re-exported
    BATCHNORM_MODES,
    LAYER_KINDS,
    LAYOUTS,
    LayerFitError,
    LayerSpec,
    SequentialConfig,
    _pair,
)
from .generator import Generator


class BatchNorm(nn.BatchNorm2d):
    """BatchNorm over the channel axis of (N, C) or (N, C, H, W), with running or batch statistics.

    Batch statistics never update the running ones: the imported weights stay as they came. A lone
    sample of flat features has no batch statistics (one value per channel), so it uses the running ones.
    """

    mode = "running"

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() not in (2, 4):
            raise ValueError(f"expected 2D or 4D input (got {input.dim()}D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "batch" and x.shape[0] * x[0, 0].numel() > 1:
            return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


class PaddedConv2d(nn.Conv2d):
    """Conv2d after explicit (top, bottom, left, right) zero padding (Keras' asymmetric ``same``)."""

    def __init__(self, L: LayerSpec):
        super().__init__(L.size[0], L.size[1], tuple(L.kernel), tuple(_pair(L.stride, (1, 1))), 0, bias=L.bias)
        self.pad = tuple(L.padding or (0, 0, 0, 0))

    @property
    def display_type(self) -> str:
        """What the layer is, for tables: Conv2d after padding (top, bottom, left, right), TensorFlow's "same"."""
        return f"Conv2d, input padded {self.pad} (t, b, l, r)" if any(self.pad) else "Conv2d"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t, b, left, r = self.pad
        if any(self.pad):
            x = F.pad(x, (left, r, t, b))
        return super().forward(x)


class CroppedConvTranspose2d(nn.ConvTranspose2d):
    """ConvTranspose2d whose full output is cropped by (top, bottom, left, right), possibly unevenly."""

    def __init__(self, L: LayerSpec):
        op = tuple(L.output_padding or (0, 0))
        stride = tuple(_pair(L.stride, (1, 1)))
        super().__init__(L.size[0], L.size[1], tuple(L.kernel), stride, 0, output_padding=op, bias=L.bias)
        self.crop = tuple(L.padding or (0, 0, 0, 0))

    @property
    def display_type(self) -> str:
        """What the layer is, for tables: ConvTranspose2d whose output is cropped (top, bottom, left, right)."""
        return f"ConvTranspose2d, output cropped {self.crop} (t, b, l, r)" if any(self.crop) else "ConvTranspose2d"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        t, b, left, r = self.crop
        if any(self.crop):
            y = y[:, :, t : y.shape[2] - b, left : y.shape[3] - r]
        return y


class Reshape(nn.Module):
    """Flat values -> per-sample ``shape``; ``layout="nhwc"`` reads them in (H, W, C) order."""

    def __init__(self, shape: tuple[int, ...], layout: str):
        super().__init__()
        self.shape, self.layout = tuple(shape), layout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layout == "nhwc":
            c, h, w = self.shape
            return x.reshape(x.shape[0], h, w, c).permute(0, 3, 1, 2)
        return x.reshape(x.shape[0], *self.shape)


class Flatten(nn.Module):
    """(N, ...) -> (N, D); ``layout="nhwc"`` flattens a feature map in (H, W, C) order, as Keras does."""

    def __init__(self, layout: str):
        super().__init__()
        self.layout = layout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layout == "nhwc" and x.dim() == 4:
            x = x.permute(0, 2, 3, 1)
        return x.reshape(x.shape[0], -1)


class Upsample(nn.Module):
    def __init__(self, scale: tuple[int, ...], mode: str):
        super().__init__()
        self.scale, self.mode = tuple(float(s) for s in scale), mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "nearest":
            return F.interpolate(x, scale_factor=self.scale, mode="nearest")
        return F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)


def build_layer(L: LayerSpec) -> nn.Module:
    """The nn.Module of one layer spec."""
    k = L.kind
    if k == "linear":
        return nn.Linear(L.size[0], L.size[1], bias=L.bias)
    if k == "conv2d":
        return PaddedConv2d(L)
    if k == "conv_transpose2d":
        return CroppedConvTranspose2d(L)
    if k == "batchnorm":
        return BatchNorm(L.size[0], eps=L.eps)
    if k == "layernorm":
        return nn.LayerNorm(L.size[0], eps=L.eps)
    if k == "relu":
        return nn.ReLU()
    if k == "leaky_relu":
        return nn.LeakyReLU(L.slope)
    if k == "sigmoid":
        return nn.Sigmoid()
    if k == "tanh":
        return nn.Tanh()
    if k == "reshape":
        return Reshape(L.size, L.layout)
    if k == "flatten":
        return Flatten(L.layout)
    return Upsample(L.stride, L.mode)


class SequentialGenerator(Generator):
    """z (N, z_dim) -> samples (N, *cfg.output.shape): the layers of ``cfg`` in order. See models.spec."""

    def __init__(self, cfg: SequentialConfig):
        super().__init__(cfg)
        self.layers = nn.ModuleList(build_layer(L) for L in cfg.layers)
        self.set_batchnorm_mode(cfg.batchnorm)

    @property
    def batchnorm_mode(self) -> str:
        return self._bn_mode

    def set_batchnorm_mode(self, mode: str) -> SequentialGenerator:
        """Use running ("running") or per-batch ("batch") statistics in every BatchNorm layer."""
        if mode not in BATCHNORM_MODES:
            raise ValueError(f"batchnorm mode {mode!r} is not one of {BATCHNORM_MODES}")
        self._bn_mode = mode
        for m in self.layers:
            if isinstance(m, BatchNorm):
                m.mode = mode
        return self

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise ValueError("this generator is unconditional: pass labels=None")
        x = z
        for layer in self.layers:
            x = layer(x)
        return x


class NoDiscriminator(nn.Module):
    """Imported generators come without a discriminator: building one says so."""

    def __init__(self, cfg: object):
        super().__init__()
        raise ValueError("an imported generator has no discriminator, so it cannot be trained further here")
