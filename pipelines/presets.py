"""The named presets that fill a ``TrainConfig`` (``pipelines.train_config``).

Each preset names the classic system it reproduces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models import DCGANConfig, MLPConfig, OutputSpec, ScalarConfig

from .train_config import TrainConfig  # its own module; most of the code base imports it from here

MNIST_IMAGE = OutputSpec("image", (1, 28, 28), (0.0, 1.0))


@dataclass(frozen=True)
class Preset:
    name: str
    make: Any = field(repr=False)  # () -> TrainConfig

    @property
    def description(self) -> str:
        return self.make().description


PRESETS: dict[str, Preset] = {}  # name -> preset, in the order they are listed (by --help and the pages)


def preset(name: str) -> Callable[[Callable[[], TrainConfig]], Callable[[], TrainConfig]]:
    """Register the decorated ``() -> TrainConfig`` under ``name``; the registry writes ``name`` into its config,
    so a preset built from another (``mnist_dcgan().replace(...)``) never carries the other's name."""

    def register(make: Callable[[], TrainConfig]) -> Callable[[], TrainConfig]:
        PRESETS[name] = Preset(name, lambda: make().replace(preset=name))
        return make

    return register


def tutorial_mlp(activation: str = "leaky_relu", layernorm: bool = True, num_classes: int = 0) -> MLPConfig:
    """The MNIST network of 'Make Your Own GAN': 100-200-784 sigmoid generator, 784-200-1 discriminator."""
    return MLPConfig(
        output=MNIST_IMAGE,
        z_dim=100,
        g_hidden=(200,),
        d_hidden=(200,),
        activation=activation,
        leaky_slope=0.02,
        layernorm=layernorm,
        out_activation="sigmoid",
        num_classes=num_classes,
    )


@preset("mnist-mlp")
def mnist_mlp() -> TrainConfig:
    return TrainConfig(
        preset="",  # @preset writes the name
        description="MNIST MLP GAN of 'Make Your Own GAN' after its fixes: LeakyReLU(0.02) + LayerNorm + Adam, "
        "100-200-784 sigmoid generator, 784-200-1 discriminator, BCE",
        model=tutorial_mlp(),
        dataset="mnist",
        data_dir="data/mnist",
        epochs=16,
        seed=5,  # of seeds 0-17, the one whose final snapshot draws all ten digits most evenly (README)
        batch_size=64,
        optimizer="adam",
        lr_g=2e-4,
        lr_d=2e-4,
        betas=(0.5, 0.999),
        label_flip=0.05,
        r1_gamma=1.0,  # R1 on real digits: fd 139 -> 51 and KL to uniform 0.34 -> 0.06 at 5,000 samples (README)
        log_every=50,
        state_every=2000,
    )


def dcgan(*, dataset: str, size: int, channels: int, epochs: int, what: str) -> TrainConfig:
    """Radford et al.'s recipe on ``dataset`` (``what`` names it in the description): ``channels`` x ``size`` x ``size``."""
    return TrainConfig(
        preset="",  # @preset writes the name
        description=f"DCGAN (Radford et al. 2015) on {what}: {channels}x{size}x{size}, z=100, Adam 2e-4 beta1=0.5, "
        "batch 128, BatchNorm, LeakyReLU 0.2, tanh",
        model=DCGANConfig(image_size=size, channels=channels, z_dim=100, ngf=64, ndf=64),
        dataset=dataset,
        data_dir=f"data/{dataset}",
        epochs=epochs,
        batch_size=128,
        optimizer="adam",
        lr_g=2e-4,
        lr_d=2e-4,
        betas=(0.5, 0.999),
        log_every=5,
        state_every=200,
    )


@preset("mnist-dcgan")
def mnist_dcgan() -> TrainConfig:
    # chosen by benchmarks/recipes.py (README, "Recipes"): the textbook width (256-128 channels) and an
    # R1 penalty halve the classifier-feature fd of the old 128-64 network at equal epochs
    return dcgan(dataset="mnist", size=28, channels=1, epochs=25, what="MNIST digits").replace(
        description="DCGAN (Radford et al. 2015) on MNIST digits: 1x28x28, z=100, ngf=ndf=128 (the textbook "
        "256-128 network), Adam 2e-4 beta1=0.5, batch 128, BCE + R1 penalty gamma 0.2, 25 epochs",
        model=DCGANConfig(image_size=28, channels=1, z_dim=100, ngf=128, ndf=128),
        r1_gamma=0.2,
    )


@preset("fashion-dcgan")
def fashion_dcgan() -> TrainConfig:
    # the MNIST recipe, 20 epochs: fd 10 against 32 for the old 8-epoch 128-64 network (README, "Recipes")
    return mnist_dcgan().replace(
        description="DCGAN (Radford et al. 2015) on Fashion-MNIST: 1x28x28, z=100, ngf=ndf=128, Adam 2e-4 "
        "beta1=0.5, batch 128, BCE + R1 penalty gamma 0.2, 20 epochs",
        dataset="fashion-mnist",
        data_dir="data/fashion-mnist",
        epochs=20,
    )


@preset("cifar10-dcgan")
def cifar10_dcgan() -> TrainConfig:
    return dcgan(dataset="cifar10", size=32, channels=3, epochs=25, what="CIFAR-10")


@preset("faces-dcgan")
def faces_dcgan() -> TrainConfig:
    return dcgan(dataset="folder", size=64, channels=3, epochs=25, what="face crops").replace(
        description="DCGAN face generator (Brownlee's CelebA GAN, Radford et al. architecture): 3x64x64 "
        "(--image-size 80 for Brownlee's 80x80), z=100, Adam 2e-4 beta1=0.5, batch 128; trains on any folder of "
        "crops made by ganscope-crop-faces",
        data_dir="data/faces",
        log_every=10,
    )


@preset("faces-orl")
def faces_orl() -> TrainConfig:
    return dcgan(dataset="folder", size=64, channels=1, epochs=300, what="ORL face crops").replace(
        description="the faces DCGAN sized for the 400 grey ORL photos (Olivetti Research Laboratory): 1x64x64, "
        "z=100, ngf=ndf=24, batch 32, 600 epochs, one-sided label smoothing 0.9, DiffAugment "
        "(translation, cutout, color) and generator EMA (2 kimg)",
        model=DCGANConfig(image_size=64, channels=1, z_dim=100, ngf=24, ndf=24),
        data_dir="data/orl-crops",
        batch_size=32,
        epochs=600,
        real_label=0.9,
        augment="translation,cutout,color",  # 400 photos: D memorises them without it (README, "Recipes")
        ema_kimg=2.0,
        log_every=12,
        state_every=600,
        snapshot_epochs=10,
        eval_samples=128,
    )


@preset("mnist-mlp-naive")
def mnist_mlp_naive() -> TrainConfig:
    return mnist_mlp().replace(
        description="the first MNIST GAN of 'Make Your Own GAN': sigmoid activations, no LayerNorm, SGD 0.01, BCE; "
        "its samples all look alike (mode collapse)",
        model=tutorial_mlp("sigmoid", layernorm=False),
        optimizer="sgd",
        lr_g=0.01,
        lr_d=0.01,
        epochs=4,
        seed=0,
        batch_size=32,  # as shipped: mini-batches of 32, no label noise
        label_flip=0.0,
        r1_gamma=0.0,  # the naive GAN as the book had it
        log_every=20,
    )


@preset("mnist-cgan")
def mnist_cgan() -> TrainConfig:
    return mnist_mlp().replace(
        description="the label-conditioned MNIST GAN of 'Make Your Own GAN': one-hot label joined to z and to the "
        "image, LeakyReLU + LayerNorm + Adam; the Samples page shows one row per digit",
        model=tutorial_mlp(num_classes=10),
        epochs=12,
        seed=0,
        batch_size=32,
        label_flip=0.0,
        r1_gamma=0.0,  # R1 0.2 cut fd 32.6 -> 26.0 but the asked-for digit 95% -> 88% (README, "Recipes"): off
        log_every=20,
    )


def eights(*, description: str, z_dim: int, epochs: int = 10, **kw) -> TrainConfig:
    """Brownlee's failure-mode chapter: a small DCGAN on the MNIST eights only (``kw``: the fields that differ)."""
    base = dcgan(dataset="mnist", size=28, channels=1, epochs=epochs, what="MNIST eights").replace(
        description=description,
        classes=(8,),
        model=DCGANConfig(image_size=28, channels=1, z_dim=z_dim, ngf=32, ndf=32),
        snapshot_every=0,
        log_every=1,
        state_every=200,
    )
    return base.replace(**kw)


@preset("eights-stable")
def stable_eights() -> TrainConfig:
    return eights(
        description="failure-mode baseline: DCGAN on the MNIST eights, z=100, Adam 2e-4 beta1=0.5, "
        "separate real and fake batches (healthy training)",
        z_dim=100,
    )


@preset("eights-mode-collapse")
def collapse_eights() -> TrainConfig:
    return eights(
        description="failure mode: the same DCGAN on the eights with a 1-D latent space; the "
        "generator covers fewer and fewer forms (mode collapse)",
        z_dim=1,
    )


@preset("eights-convergence-failure")
def convergence_eights() -> TrainConfig:
    return eights(
        description="failure mode: the same DCGAN, but the discriminator takes real and "
        "fake in one combined batch and Adam keeps its defaults (lr 1e-3, beta1 0.9): the discriminator "
        "wins and the generator never recovers",
        z_dim=100,
        combined_batch=True,
        lr_d=1e-3,
        lr_g=1e-3,
        betas=(0.9, 0.999),
    )


def toy(*, dataset: str, description: str, model: MLPConfig | ScalarConfig, steps: int, batch: int, **kw) -> TrainConfig:
    """A classic toy GAN: ``steps`` steps of ``batch`` samples drawn fresh from ``dataset`` (``kw``: the fields
    that differ from the toy defaults below)."""
    base = dict(
        preset="",  # @preset writes the name
        description=description,
        model=model,
        dataset=dataset,
        data_dir="",
        epochs=10**6,
        max_steps=steps,
        batch_size=batch,
        log_every=max(1, steps // 1000),
        snapshot_every=steps // 10,
        state_every=steps // 10,
        eval_samples=512,
        limit=max(10_000, batch),
    )
    base.update(kw)
    return TrainConfig(**base)


def toy_mlp(*, output: OutputSpec, z_dim: int, hidden: tuple[int, ...], activation: str, out_activation: str, **kw) -> MLPConfig:
    """The MLP of a toy GAN: the same hidden widths in both networks unless ``kw`` says ``d_hidden``; no LayerNorm."""
    return MLPConfig(
        **{"output": output, "z_dim": z_dim, "g_hidden": hidden, "d_hidden": hidden, "activation": activation}
        | {"layernorm": False, "out_activation": out_activation}
        | kw
    )


@preset("toy-scalar")
def toy_scalar() -> TrainConfig:
    return toy(
        dataset="scalar",
        description="the one-parameter GAN: generator node q·noise against discriminator node p·x, real data "
        "U(0.9, 1.1), MSE, SGD 0.05, 300 steps of one sample",
        model=ScalarConfig(),
        steps=300,
        batch=1,
        loss="mse_linear",
        optimizer="sgd",
        lr_g=0.05,
        lr_d=0.05,
        log_every=1,
        snapshot_every=30,
        state_every=30,
        eval_samples=64,
    )


@preset("pattern-1010")
def pattern_1010() -> TrainConfig:
    return toy(
        dataset="pattern-1010",
        description="the 1010-pattern GAN of 'Make Your Own GAN': 4-4-4 sigmoid generator on uniform noise, 4-3-1 "
        "sigmoid discriminator, MSE, SGD 0.01, 10,000 steps of one sample",
        model=toy_mlp(
            output=OutputSpec("vector", (4,), (0.0, 1.0)),
            z_dim=4,
            hidden=(4,),
            d_hidden=(3,),
            activation="sigmoid",
            out_activation="sigmoid",
            latent_dist="uniform",
        ),
        steps=10_000,
        batch=1,
        loss="mse",
        optimizer="sgd",
        lr_g=0.01,
        lr_d=0.01,
        snapshot_every=1000,
    )


@preset("sine")
def sine() -> TrainConfig:
    return toy(
        dataset="sine",
        description="sine-curve GAN: sin(b·x + c) at 64 points, b in [0.5, 2], c in [0, π]; LeakyReLU(0.2)/tanh "
        "generator, LeakyReLU discriminator with dropout 0.4",
        model=toy_mlp(
            output=OutputSpec("curve", (64,), (-1.0, 1.0)),
            z_dim=16,
            hidden=(128, 128),
            activation="leaky_relu",
            leaky_slope=0.2,
            d_dropout=0.4,
            out_activation="tanh",
        ),
        steps=3000,
        batch=64,
        lr_g=2e-4,
        lr_d=2e-4,
    )


@preset("quadratic-1d")
def quadratic() -> TrainConfig:
    return toy(
        dataset="quadratic",
        description="the 1-D function GAN: points (x, x²) for x in [-0.5, 0.5]; generator 5 → 15 ReLU → 2, "
        "discriminator 2 → 25 ReLU → 1, Adam",
        model=toy_mlp(
            output=OutputSpec("points", (2,), (-0.5, 0.5)),
            z_dim=5,
            hidden=(15,),
            d_hidden=(25,),
            activation="relu",
            out_activation="none",
        ),
        steps=10_000,
        batch=128,
        lr_g=1e-3,
        lr_d=1e-3,
        betas=(0.9, 0.999),
        seed=1,  # of seeds 0-2, the one whose points cover the whole curve at 10,000 steps (x_w1 0.02; 0.22, 0.24)
    )


@preset("ring-8")
def ring() -> TrainConfig:
    return toy(
        dataset="ring-8",
        description="8 Gaussians on a ring (radius 2, std 0.02), the standard mode-collapse test: ReLU MLPs 128-128, Adam",
        model=toy_mlp(
            output=OutputSpec("points", (2,), (-2.5, 2.5)), z_dim=16, hidden=(128, 128), activation="relu", out_activation="none"
        ),
        steps=4000,
        batch=256,
        lr_g=1e-3,
        lr_d=1e-3,
    )


def get_preset(name: str) -> TrainConfig:
    """The TrainConfig of a preset; KeyError lists the known names."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name].make()
