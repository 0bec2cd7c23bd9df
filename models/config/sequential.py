"""The layer list of a sequential generator without torch: ``LayerSpec``, ``SequentialConfig`` and the
shape checks (see ``models.sequential``, and ``models.config``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spec import OutputSpec

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
