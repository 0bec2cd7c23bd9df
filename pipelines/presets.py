"""Training configs: one frozen dataclass for a run, and the named presets that fill it.

Config flows CLI -> ``TrainConfig`` -> ``config.json`` in the run folder -> training loop.
Each preset names the classic system it reproduces.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from models import ARCHITECTURES, DCGANConfig, MLPConfig, OutputSpec, arch_name, config_from_dict, config_to_dict

RUN_FORMAT = "ganscope-run"
RUN_FORMAT_VERSION = 1
LOSSES = ("bce", "mse")
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
        epochs: passes over the data.
        max_steps: stop after this many steps in total (0: no limit).
        batch_size: images per discriminator batch (real and fake batches are separate).
        loss: "bce" (BCE on logits) or "mse" (MSE on sigmoid outputs, as the early tutorials).
        optimizer: "adam" or "sgd", for both networks.
        lr_g, lr_d: learning rates.
        betas: Adam betas; (0.5, 0.999) is the DCGAN setting.
        real_label: target for real images (below 1.0 is one-sided label smoothing).
        seed: seeds weights, noise and data order; the same seed on the same machine repeats the run.
        log_every: one log record per this many steps (the mean over them).
        snapshot_every: extra generator snapshots every this many steps (0: per epoch only).
        state_every: resume state every this many steps (and at every snapshot).
        eval_samples: samples drawn from fixed seeds for the per-snapshot metrics.
    """

    preset: str
    model: Any
    dataset: str = "mnist"
    description: str = ""
    data_dir: str = "data/mnist"
    download: bool = False
    limit: int = 0
    epochs: int = 5
    max_steps: int = 0
    batch_size: int = 128
    loss: str = "bce"
    optimizer: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    real_label: float = 1.0
    seed: int = 0
    log_every: int = 1
    snapshot_every: int = 0
    state_every: int = 200
    eval_samples: int = 256

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss {self.loss!r} is not one of {LOSSES}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r} is not one of {OPTIMIZERS}")
        if self.batch_size < 1 or self.epochs < 1 or self.log_every < 1 or self.state_every < 1:
            raise ValueError("batch_size, epochs, log_every and state_every must be >= 1")
        if self.max_steps < 0 or self.snapshot_every < 0 or self.limit < 0:
            raise ValueError("max_steps, snapshot_every and limit must be >= 0")
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(f"real_label must be in (0, 1], got {self.real_label}")
        arch_name(self.model)  # must be a registered architecture config

    def to_dict(self) -> dict:
        """The JSON written to ``config.json`` (with format and version)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "model"}
        d["betas"] = list(self.betas)
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
            raise ValueError(f"not a ganscope run config v{RUN_FORMAT_VERSION} "
                             f"(format={data.get('format')!r}, version={data.get('format_version')!r})")
        if data.get("arch") not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {data.get('arch')!r}")
        model = config_from_dict(ARCHITECTURES[data["arch"]][0], data["model"])
        train = dict(data["train"])
        train["betas"] = tuple(train.get("betas", (0.5, 0.999)))
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


def _mnist_mlp() -> TrainConfig:
    return TrainConfig(
        preset="mnist-mlp",
        description="MNIST MLP GAN of 'Make Your Own GAN' after its fixes: LeakyReLU(0.02) + LayerNorm + Adam, "
                    "100-200-784 sigmoid generator, 784-200-1 discriminator, BCE",
        model=MLPConfig(output=MNIST_IMAGE, z_dim=100, g_hidden=(200,), d_hidden=(200,), activation="leaky_relu",
                        leaky_slope=0.02, layernorm=True, out_activation="sigmoid"),
        dataset="mnist", data_dir="data/mnist", epochs=30, batch_size=32,
        optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), log_every=20, state_every=2000,
    )


def _dcgan(name: str, dataset: str, size: int, channels: int, epochs: int, what: str) -> TrainConfig:
    return TrainConfig(
        preset=name,
        description=f"DCGAN (Radford et al. 2015) on {what}: {channels}x{size}x{size}, z=100, Adam 2e-4 beta1=0.5, "
                    "batch 128, BatchNorm, LeakyReLU 0.2, tanh",
        model=DCGANConfig(image_size=size, channels=channels, z_dim=100, ngf=64, ndf=64),
        dataset=dataset, data_dir=f"data/{dataset}", epochs=epochs, batch_size=128,
        optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), log_every=5, state_every=200,
    )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("mnist-mlp", _mnist_mlp),
        Preset("mnist-dcgan", lambda: _dcgan("mnist-dcgan", "mnist", 28, 1, 10, "MNIST digits")),
        Preset("fashion-dcgan", lambda: _dcgan("fashion-dcgan", "fashion-mnist", 28, 1, 8, "Fashion-MNIST")),
        Preset("cifar10-dcgan", lambda: _dcgan("cifar10-dcgan", "cifar10", 32, 3, 25, "CIFAR-10")),
    ]
}


def get_preset(name: str) -> TrainConfig:
    """The TrainConfig of a preset; KeyError lists the known names."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name].make()
