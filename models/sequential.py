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

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .spec import OutputSpec

LAYER_KINDS = (
    "linear",
    "conv2d",
    "conv_transpose2d",
    "batchnorm",
    "layernorm",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "reshape",
    "flatten",
    "upsample",
)
BATCHNORM_MODES = ("running", "batch")
LAYOUTS = ("nchw", "nhwc")


@dataclass(frozen=True)
class LayerSpec:
    """One layer. Only the fields its kind uses are set.

    Args:
        kind: one of LAYER_KINDS.
        size: linear (in, out); conv2d / conv_transpose2d (in_channels, out_channels); batchnorm /
            layernorm (features,); reshape: the per-sample target shape, NCHW.
        kernel, stride: (h, w) of a convolution; stride is the (h, w) factor of an upsample.
        padding: (top, bottom, left, right): zeros added before a conv2d; rows/columns cropped from
            the full output of a conv_transpose2d.
        output_padding: (h, w) extra rows/columns at the end of a conv_transpose2d's output.
        bias: whether the linear/conv layer has a bias.
        eps: of batchnorm / layernorm.
        slope: negative slope of leaky_relu.
        layout: reshape: the order of the incoming flat values; flatten: the order it produces.
        mode: upsample interpolation, "nearest" or "bilinear".
    """

    kind: str
    size: tuple[int, ...] = ()
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    padding: tuple[int, ...] = ()
    output_padding: tuple[int, ...] = ()
    bias: bool = True
    eps: float = 1e-5
    slope: float = 0.01
    layout: str = "nchw"
    mode: str = "nearest"

    def describe(self) -> str:
        parts = [self.kind] + [f"{n}={list(v)}" for n, v in (("size", self.size), ("k", self.kernel), ("s", self.stride)) if v]
        return " ".join(parts)


class LayerFitError(ValueError):
    """A layer list whose sizes do not work out; the message names the layer."""


def _pair(v: tuple[int, ...], default: tuple[int, int]) -> tuple[int, ...]:
    return tuple(v) if v else default


def _out_shape(i: int, L: LayerSpec, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Per-sample output shape of layer ``i`` for input ``shape``; raises LayerFitError naming it."""

    def fail(why: str) -> LayerFitError:
        return LayerFitError(f"layer {i} ({L.describe()}) gets input {list(shape)}: {why}")

    k = L.kind
    if k == "linear":
        if shape != (L.size[0],):
            raise fail(f"a linear layer needs ({L.size[0]},)")
        return (L.size[1],)
    if k in ("conv2d", "conv_transpose2d"):
        if len(shape) != 3 or shape[0] != L.size[0]:
            raise fail(f"needs a feature map with {L.size[0]} channels")
        (kh, kw), (sh, sw) = L.kernel, _pair(L.stride, (1, 1))
        pt, pb, pl, pr = L.padding or (0, 0, 0, 0)
        if k == "conv2d":
            h, w = (shape[1] + pt + pb - kh) // sh + 1, (shape[2] + pl + pr - kw) // sw + 1
        else:
            oh, ow = L.output_padding or (0, 0)
            h, w = (shape[1] - 1) * sh + kh + oh - pt - pb, (shape[2] - 1) * sw + kw + ow - pl - pr
        if h < 1 or w < 1:
            raise fail(f"the output would be {h}x{w}")
        return (L.size[1], h, w)
    if k in ("batchnorm", "layernorm"):
        if k == "layernorm" and shape != (L.size[0],):
            raise fail(f"layernorm normalises flat features of size {L.size[0]}")
        if shape[0] != L.size[0]:
            raise fail(f"it normalises {L.size[0]} features/channels")
        return shape
    if k in ("relu", "leaky_relu", "sigmoid", "tanh"):
        return shape
    if k == "reshape":
        if math.prod(shape) != math.prod(L.size):
            raise fail(f"{math.prod(shape)} values cannot be reshaped to {list(L.size)}")
        if L.layout == "nhwc" and len(L.size) != 3:
            raise fail("an nhwc reshape makes a (C, H, W) feature map")
        return tuple(L.size)
    if k == "flatten":
        return (math.prod(shape),)
    if k == "upsample":
        if len(shape) != 3:
            raise fail("upsampling needs a feature map")
        sh, sw = L.stride
        return (shape[0], shape[1] * sh, shape[2] * sw)
    raise fail(f"unknown layer kind (known: {LAYER_KINDS})")


@dataclass(frozen=True)
class SequentialConfig:
    """A feed-forward generator: ``layers`` applied in order to z (N, z_dim).

    Args:
        layers: the layer list (see LayerSpec).
        z_dim: latent size.
        output: what one sample is; the layers must produce exactly ``output.shape``.
        latent_dist: how the original code drew z: "normal" or "uniform".
        batchnorm: BatchNorm statistics used by default: "running" (eval mode) or "batch".
        source: one line saying where the layers came from (shown by the app).
        num_classes: always 0: imported generators are unconditional.
    """

    layers: tuple[LayerSpec, ...]
    z_dim: int = 100
    output: OutputSpec = OutputSpec("image", (1, 28, 28), (-1.0, 1.0))
    latent_dist: str = "normal"
    batchnorm: str = "running"
    source: str = ""
    num_classes: int = 0

    def __post_init__(self) -> None:
        if self.z_dim <= 0 or self.num_classes != 0:
            raise ValueError("z_dim must be > 0 and imported generators are unconditional (num_classes 0)")
        if self.latent_dist not in ("normal", "uniform"):
            raise ValueError(f"latent_dist {self.latent_dist!r} is not 'normal' or 'uniform'")
        if self.batchnorm not in BATCHNORM_MODES:
            raise ValueError(f"batchnorm {self.batchnorm!r} is not one of {BATCHNORM_MODES}")
        if not self.layers:
            raise ValueError("a sequential generator needs at least one layer")
        for i, L in enumerate(self.layers):
            if not isinstance(L, LayerSpec):
                raise ValueError(f"layer {i} is not a LayerSpec")
            if L.kind not in LAYER_KINDS:
                raise LayerFitError(f"layer {i}: unknown kind {L.kind!r} (known: {LAYER_KINDS})")
            if L.layout not in LAYOUTS or L.mode not in ("nearest", "bilinear"):
                raise LayerFitError(f"layer {i}: layout must be one of {LAYOUTS} and mode nearest or bilinear")
        shape = self.shapes()[-1]
        if shape != tuple(self.output.shape):
            raise LayerFitError(f"the layers make samples of shape {list(shape)}, but the output is {list(self.output.shape)}")

    def shapes(self) -> list[tuple[int, ...]]:
        """Per-sample shapes: the input (z_dim,) and after each layer."""
        shapes = [(self.z_dim,)]
        for i, L in enumerate(self.layers):
            shapes.append(_out_shape(i, L, shapes[-1]))
        return shapes

    @property
    def has_batchnorm(self) -> bool:
        return any(L.kind == "batchnorm" for L in self.layers)


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


class SequentialGenerator(nn.Module):
    """z (N, z_dim) -> samples (N, *cfg.output.shape): the layers of ``cfg`` in order. See models.spec."""

    def __init__(self, cfg: SequentialConfig):
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        self.num_classes = 0
        self.output = cfg.output
        self.latent_dist = cfg.latent_dist
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
