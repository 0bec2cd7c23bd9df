"""Training configs: one frozen dataclass for a run, and the named presets that fill it.

Config flows CLI -> ``TrainConfig`` -> ``config.json`` in the run folder -> training loop.
Each preset names the classic system it reproduces.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from models import ARCHITECTURES, DCGANConfig, MLPConfig, OutputSpec, ScalarConfig, arch_name, config_from_dict, config_to_dict

from .augment import parse_policy

RUN_FORMAT = "ganscope-run"
RUN_FORMAT_VERSION = 1
LOSSES = ("bce", "hinge", "mse", "mse_linear")
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs, written to the run folder as ``config.json``.

    Args:
        preset: name of the preset this came from.
        description: one line shown by ``--list-presets`` and the dashboard.
        model: the architecture config (MLPConfig or DCGANConfig).
        dataset: mnist, fashion-mnist, cifar10 or folder.
        data_dir: where the data is (see pipelines.data).
        download: let torchvision download missing data (needs internet).
        limit: train on the first ``limit`` images only (0: all).
        classes: train only on images of these labels (empty: all), e.g. (8,) for the eights.
        epochs: passes over the data.
        max_steps: stop after this many steps in total (0: no limit).
        batch_size: images per discriminator batch (real and fake batches are separate).
        loss: "bce" (BCE on logits), "mse" (MSE on sigmoid outputs, as the early tutorials) or
            "mse_linear" (MSE on the raw discriminator output, for the one-parameter GAN).
        optimizer: "adam" or "sgd", for both networks.
        lr_g, lr_d: learning rates.
        betas: Adam betas; (0.5, 0.999) is the DCGAN setting.
        real_label: target for real images. Below 1.0 is one-sided label smoothing (0.9 is usual): the
            discriminator is never rewarded for being overconfident on real data, so its gradients
            to the generator stay informative.
        label_flip: share of discriminator targets swapped (noisy labels, e.g. 0.05): occasional
            wrong labels keep the discriminator from becoming certain too fast.
        combined_batch: the discriminator sees real and fake in one batch (the usual advice is
            separate batches, so BatchNorm statistics are never a mix of the two and cannot be
            used to tell them apart).
        d_steps, g_steps: updates of the discriminator and of the generator per training step
            (the update ratio); extra updates draw fresh noise and reuse the step's real batch.
        seed: seeds weights, noise and data order; the same seed on the same machine repeats the run.
        log_every: one log record per this many steps (the mean over them).
        snapshot_every: extra generator snapshots every this many steps (0: per epoch only).
        snapshot_epochs: the per-epoch snapshot comes every this many epochs (small datasets
            have short epochs; the last step always gets one).
        state_every: resume state every this many steps (and at every snapshot).
        eval_samples: samples drawn from fixed seeds for the per-snapshot metrics.
        ema_kimg: generator EMA half-life in thousands of images (0: off). With EMA on, snapshots
            hold the averaged generator (see pipelines.ema).
        ema_rampup: caps the EMA half-life at this many times the images seen so far (0: no cap),
            so early snapshots are not dragged back to the initial weights.
        augment: DiffAugment policy for every discriminator input, real and fake, e.g.
            "translation,cutout,color" ("" : off; see pipelines.augment).
        spectral_norm: spectral normalisation of every discriminator layer (Miyato et al. 2018).
        r1_gamma: weight γ of the R1 penalty (γ/2)·E‖∇D(x)‖² on real images (0: off).
    """

    preset: str
    model: Any
    dataset: str = "mnist"
    description: str = ""
    data_dir: str = "data/mnist"
    download: bool = False
    limit: int = 0
    classes: tuple[int, ...] = ()
    epochs: int = 5
    max_steps: int = 0
    batch_size: int = 128
    loss: str = "bce"
    optimizer: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    real_label: float = 1.0
    label_flip: float = 0.0
    combined_batch: bool = False
    d_steps: int = 1
    g_steps: int = 1
    seed: int = 0
    log_every: int = 1
    snapshot_every: int = 0
    snapshot_epochs: int = 1
    state_every: int = 200
    eval_samples: int = 256
    ema_kimg: float = 0.0  # off unless a preset measured better with it (README, "Recipes")
    ema_rampup: float = 0.05  # StyleGAN3's default: half-life at most 5% of the images seen
    augment: str = ""  # DiffAugment helps small datasets (faces-orl); MNIST has 60,000 images
    spectral_norm: bool = False
    r1_gamma: float = 0.0

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss {self.loss!r} is not one of {LOSSES}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r} is not one of {OPTIMIZERS}")
        if self.batch_size < 1 or self.epochs < 1 or self.log_every < 1 or self.state_every < 1:
            raise ValueError("batch_size, epochs, log_every and state_every must be >= 1")
        if self.max_steps < 0 or self.snapshot_every < 0 or self.limit < 0:
            raise ValueError("max_steps, snapshot_every and limit must be >= 0")
        if self.snapshot_epochs < 1:
            raise ValueError("snapshot_epochs must be >= 1")
        if self.d_steps < 1 or self.g_steps < 1:
            raise ValueError("d_steps and g_steps must be >= 1")
        if not 0.0 <= self.label_flip < 0.5:
            raise ValueError(f"label_flip must be in [0, 0.5), got {self.label_flip}")
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(f"real_label must be in (0, 1], got {self.real_label}")
        if self.ema_kimg < 0 or self.ema_rampup < 0 or self.r1_gamma < 0:
            raise ValueError("ema_kimg, ema_rampup and r1_gamma must be >= 0")
        parse_policy(self.augment)  # ValueError naming an unknown augmentation
        if self.loss == "hinge" and (self.real_label != 1.0 or self.label_flip):
            raise ValueError("the hinge loss has no labels: real_label must be 1.0 and label_flip 0")
        arch_name(self.model)  # must be a registered architecture config

    def to_dict(self) -> dict:
        """The JSON written to ``config.json`` (with format and version)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "model"}
        d["betas"] = list(self.betas)
        d["classes"] = list(self.classes)
        return {
            "format": RUN_FORMAT,
            "format_version": RUN_FORMAT_VERSION,
            "arch": arch_name(self.model),
            "model": config_to_dict(self.model),
            "train": d,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        if data.get("format") != RUN_FORMAT or data.get("format_version") != RUN_FORMAT_VERSION:
            raise ValueError(
                f"not a ganscope run config v{RUN_FORMAT_VERSION} "
                f"(format={data.get('format')!r}, version={data.get('format_version')!r})"
            )
        if data.get("arch") not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {data.get('arch')!r}")
        model = config_from_dict(ARCHITECTURES[data["arch"]][0], data["model"])
        train = dict(data["train"])
        train["betas"] = tuple(train.get("betas", (0.5, 0.999)))
        train["classes"] = tuple(train.get("classes", ()))
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(train) - names
        if unknown:
            raise ValueError(f"unknown training settings {sorted(unknown)}")
        return cls(model=model, **train)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


MNIST_IMAGE = OutputSpec("image", (1, 28, 28), (0.0, 1.0))


@dataclass(frozen=True)
class Preset:
    name: str
    make: Any = field(repr=False)  # () -> TrainConfig

    @property
    def description(self) -> str:
        return self.make().description


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


def _mnist_mlp() -> TrainConfig:
    return TrainConfig(
        preset="mnist-mlp",
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
        log_every=50,
        state_every=2000,
    )


def _dcgan(name: str, dataset: str, size: int, channels: int, epochs: int, what: str) -> TrainConfig:
    return TrainConfig(
        preset=name,
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


def _mnist_dcgan() -> TrainConfig:
    # chosen by benchmarks/recipes.py (README, "Recipes"): the textbook width (256-128 channels) and an
    # R1 penalty halve the classifier-feature fd of the old 128-64 network at equal epochs
    return _dcgan("mnist-dcgan", "mnist", 28, 1, 25, "MNIST digits").replace(
        description="DCGAN (Radford et al. 2015) on MNIST digits: 1x28x28, z=100, ngf=ndf=128 (the textbook "
        "256-128 network), Adam 2e-4 beta1=0.5, batch 128, BCE + R1 penalty gamma 0.2, 25 epochs",
        model=DCGANConfig(image_size=28, channels=1, z_dim=100, ngf=128, ndf=128),
        r1_gamma=0.2,
    )


def _fashion_dcgan() -> TrainConfig:
    # the MNIST recipe, 20 epochs: fd 10 against 32 for the old 8-epoch 128-64 network (README, "Recipes")
    return _mnist_dcgan().replace(
        preset="fashion-dcgan",
        description="DCGAN (Radford et al. 2015) on Fashion-MNIST: 1x28x28, z=100, ngf=ndf=128, Adam 2e-4 "
        "beta1=0.5, batch 128, BCE + R1 penalty gamma 0.2, 20 epochs",
        dataset="fashion-mnist",
        data_dir="data/fashion-mnist",
        epochs=20,
    )


def _faces_dcgan() -> TrainConfig:
    return _dcgan("faces-dcgan", "folder", 64, 3, 25, "face crops").replace(
        description="DCGAN face generator (Brownlee's CelebA GAN, Radford et al. architecture): 3x64x64 "
        "(--image-size 80 for Brownlee's 80x80), z=100, Adam 2e-4 beta1=0.5, batch 128; trains on any folder of "
        "crops made by ganscope-crop-faces",
        data_dir="data/faces",
        log_every=10,
    )


def _faces_orl() -> TrainConfig:
    return _dcgan("faces-orl", "folder", 64, 1, 300, "ORL face crops").replace(
        description="the faces DCGAN sized for the 400 grey ORL photos (Olivetti Research Laboratory): 1x64x64, "
        "z=100, ngf=ndf=24, batch 32, 300 epochs, one-sided label smoothing 0.9",
        model=DCGANConfig(image_size=64, channels=1, z_dim=100, ngf=24, ndf=24),
        data_dir="data/orl-crops",
        batch_size=32,
        real_label=0.9,
        log_every=12,
        state_every=600,
        snapshot_epochs=10,
        eval_samples=128,
    )


def _mnist_mlp_naive() -> TrainConfig:
    return _mnist_mlp().replace(
        preset="mnist-mlp-naive",
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
        log_every=20,
    )


def _mnist_cgan() -> TrainConfig:
    return _mnist_mlp().replace(
        preset="mnist-cgan",
        description="the label-conditioned MNIST GAN of 'Make Your Own GAN': one-hot label joined to z and to the "
        "image, LeakyReLU + LayerNorm + Adam; the Samples page shows one row per digit",
        model=tutorial_mlp(num_classes=10),
        epochs=12,
        seed=0,
        batch_size=32,
        label_flip=0.0,
        log_every=20,
    )


def _toy(name: str, dataset: str, description: str, model: MLPConfig | ScalarConfig, steps: int, batch: int, **kw) -> TrainConfig:
    base = dict(
        preset=name,
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


def _pattern_1010() -> TrainConfig:
    return _toy(
        "pattern-1010",
        "pattern-1010",
        "the 1010-pattern GAN of 'Make Your Own GAN': 4-4-4 sigmoid generator on uniform noise, 4-3-1 sigmoid "
        "discriminator, MSE, SGD 0.01, 10,000 steps of one sample",
        MLPConfig(
            output=OutputSpec("vector", (4,), (0.0, 1.0)),
            z_dim=4,
            g_hidden=(4,),
            d_hidden=(3,),
            activation="sigmoid",
            layernorm=False,
            out_activation="sigmoid",
            latent_dist="uniform",
        ),
        10_000,
        1,
        loss="mse",
        optimizer="sgd",
        lr_g=0.01,
        lr_d=0.01,
        snapshot_every=1000,
    )


def _sine() -> TrainConfig:
    return _toy(
        "sine",
        "sine",
        "sine-curve GAN: sin(b·x + c) at 64 points, b in [0.5, 2], c in [0, π]; LeakyReLU(0.2)/tanh generator, "
        "LeakyReLU discriminator with dropout 0.4",
        MLPConfig(
            output=OutputSpec("curve", (64,), (-1.0, 1.0)),
            z_dim=16,
            g_hidden=(128, 128),
            d_hidden=(128, 128),
            activation="leaky_relu",
            leaky_slope=0.2,
            layernorm=False,
            d_dropout=0.4,
            out_activation="tanh",
        ),
        3000,
        64,
        lr_g=2e-4,
        lr_d=2e-4,
    )


def _quadratic() -> TrainConfig:
    return _toy(
        "quadratic-1d",
        "quadratic",
        "the 1-D function GAN: points (x, x²) for x in [-0.5, 0.5]; generator 5 → 15 ReLU → 2, discriminator "
        "2 → 25 ReLU → 1, Adam",
        MLPConfig(
            output=OutputSpec("points", (2,), (-0.5, 0.5)),
            z_dim=5,
            g_hidden=(15,),
            d_hidden=(25,),
            activation="relu",
            layernorm=False,
            out_activation="none",
        ),
        10_000,
        128,
        lr_g=1e-3,
        lr_d=1e-3,
        betas=(0.9, 0.999),
    )


def _ring() -> TrainConfig:
    return _toy(
        "ring-8",
        "ring-8",
        "8 Gaussians on a ring (radius 2, std 0.02), the standard mode-collapse test: ReLU MLPs 128-128, Adam",
        MLPConfig(
            output=OutputSpec("points", (2,), (-2.5, 2.5)),
            z_dim=16,
            g_hidden=(128, 128),
            d_hidden=(128, 128),
            activation="relu",
            layernorm=False,
            out_activation="none",
        ),
        4000,
        256,
        lr_g=1e-3,
        lr_d=1e-3,
    )


def _toy_scalar() -> TrainConfig:
    return _toy(
        "toy-scalar",
        "scalar",
        "the one-parameter GAN: generator node q·noise against discriminator node p·x, real data U(0.9, 1.1), "
        "MSE, SGD 0.05, 300 steps of one sample",
        ScalarConfig(),
        300,
        1,
        loss="mse_linear",
        optimizer="sgd",
        lr_g=0.05,
        lr_d=0.05,
        log_every=1,
        snapshot_every=30,
        state_every=30,
        eval_samples=64,
    )


def _eights(name: str, description: str, z_dim: int, epochs: int, **kw) -> TrainConfig:
    """Brownlee's failure-mode chapter: a small DCGAN on the MNIST eights only."""
    base = _dcgan(name, "mnist", 28, 1, epochs, "MNIST eights").replace(
        description=description,
        classes=(8,),
        model=DCGANConfig(image_size=28, channels=1, z_dim=z_dim, ngf=32, ndf=32),
        snapshot_every=0,
        log_every=1,
        state_every=200,
    )
    return base.replace(**kw)


def _stable_eights() -> TrainConfig:
    return _eights(
        "eights-stable",
        "failure-mode baseline: DCGAN on the MNIST eights, z=100, Adam 2e-4 beta1=0.5, "
        "separate real and fake batches (healthy training)",
        100,
        10,
    )


def _collapse_eights() -> TrainConfig:
    return _eights(
        "eights-mode-collapse",
        "failure mode: the same DCGAN on the eights with a 1-D latent space; the "
        "generator covers fewer and fewer forms (mode collapse)",
        1,
        10,
    )


def _convergence_eights() -> TrainConfig:
    return _eights(
        "eights-convergence-failure",
        "failure mode: the same DCGAN, but the discriminator takes real and "
        "fake in one combined batch and Adam keeps its defaults (lr 1e-3, beta1 0.9): the discriminator "
        "wins and the generator never recovers",
        100,
        10,
        combined_batch=True,
        lr_d=1e-3,
        lr_g=1e-3,
        betas=(0.9, 0.999),
    )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("mnist-mlp", _mnist_mlp),
        Preset("mnist-dcgan", _mnist_dcgan),
        Preset("fashion-dcgan", _fashion_dcgan),
        Preset("cifar10-dcgan", lambda: _dcgan("cifar10-dcgan", "cifar10", 32, 3, 25, "CIFAR-10")),
        Preset("faces-dcgan", _faces_dcgan),
        Preset("faces-orl", _faces_orl),
        Preset("mnist-mlp-naive", _mnist_mlp_naive),
        Preset("mnist-cgan", _mnist_cgan),
        Preset("eights-stable", _stable_eights),
        Preset("eights-mode-collapse", _collapse_eights),
        Preset("eights-convergence-failure", _convergence_eights),
        Preset("toy-scalar", _toy_scalar),
        Preset("pattern-1010", _pattern_1010),
        Preset("sine", _sine),
        Preset("quadratic-1d", _quadratic),
        Preset("ring-8", _ring),
    ]
}


def get_preset(name: str) -> TrainConfig:
    """The TrainConfig of a preset; KeyError lists the known names."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name].make()
