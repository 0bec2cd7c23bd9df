"""The configs of the small architectures without torch: the MLP GANs, the one-parameter GAN, ONNX graphs
and the evaluation classifier (see ``models.config``). DCGAN and the sequential layer list have their own files."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spec import OutputSpec

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


@dataclass(frozen=True)
class ScalarConfig:
    """Args: q0, p0: starting weights of the generator and discriminator nodes."""

    q0: float = 0.5
    p0: float = 0.5
    z_dim: int = 1
    num_classes: int = 0
    latent_dist: str = "uniform"

    def __post_init__(self) -> None:
        if self.z_dim != 1 or self.num_classes != 0 or self.latent_dist != "uniform":
            raise ValueError("the scalar GAN has z_dim 1, no classes and uniform noise")

    @property
    def output(self) -> OutputSpec:
        return OutputSpec("points", (1,), (0.0, 2.0))


RUNTIMES = ("onnx2torch", "onnxruntime")
OUTPUT_LAYOUTS = ("nchw", "nhwc", "flat", "flat_nhwc")


@dataclass(frozen=True)
class OnnxConfig:
    """An ONNX generator.

    Args:
        graph: base64 of the ONNX model with its large initializers' data stripped (see strip_graph).
        z_dim: latent size.
        input_shape: per-sample shape the graph's input wants, e.g. (100,) or (100, 1, 1).
        batch: the graph's fixed batch size, 0 when its batch axis is dynamic.
        output: what one sample is, NCHW.
        output_layout: how the graph's output is laid out: nchw, nhwc, flat (C, H, W order) or flat_nhwc.
        runtime: onnx2torch or onnxruntime.
        latent_dist: how the original code drew z.
        source: one line saying where the graph came from.
        num_classes: always 0.
    """

    graph: str
    z_dim: int
    input_shape: tuple[int, ...]
    output: OutputSpec
    batch: int = 0
    output_layout: str = "nchw"
    runtime: str = "onnx2torch"
    latent_dist: str = "normal"
    source: str = ""
    num_classes: int = 0

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise ValueError(f"runtime {self.runtime!r} is not one of {RUNTIMES}")
        if self.output_layout not in OUTPUT_LAYOUTS:
            raise ValueError(f"output_layout {self.output_layout!r} is not one of {OUTPUT_LAYOUTS}")
        if self.z_dim <= 0 or math.prod(self.input_shape) != self.z_dim or self.batch < 0 or self.num_classes != 0:
            raise ValueError(f"input_shape {list(self.input_shape)} must hold z_dim {self.z_dim} values")
        if self.latent_dist not in ("normal", "uniform"):
            raise ValueError(f"latent_dist {self.latent_dist!r} is not 'normal' or 'uniform'")


@dataclass(frozen=True)
class ClassifierConfig:
    """Args:
    channels: input channels (images in [-1, 1]).
    image_size: input height = width; must be divisible by 4.
    num_classes: output classes.
    width: channels of the first conv block (doubled in the second).
    feature_dim: size of the embedding before the class layer.
    """

    channels: int = 1
    image_size: int = 28
    num_classes: int = 10
    width: int = 32
    feature_dim: int = 128

    def __post_init__(self) -> None:
        if self.image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2x poolings), got {self.image_size}")
        if min(self.channels, self.num_classes, self.width, self.feature_dim) <= 0:
            raise ValueError("channels, num_classes, width and feature_dim must be > 0")
