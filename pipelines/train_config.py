"""The training config: one frozen dataclass holding everything a run needs, written to its folder.

Config flows CLI -> ``TrainConfig`` -> ``config.json`` in the run folder -> training loop; the named
presets that fill it live in ``pipelines.presets``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from models import ARCHITECTURES, arch_name, config_from_dict, config_to_dict

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
