"""What every importer shares: the error type, the user's hints, the result, output descriptions
and writing the run folder all at once (a temporary folder beside RUN_DIR, renamed into place)."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models import OutputSpec, save_generator
from models.config import OUT_ACTIVATIONS

from ..disk_cache import file_sha256
from ..presets import TrainConfig
from ..runs import CONFIG, snapshot_path


class ImportFailed(Exception):
    """A file that cannot be imported. The message names the file and says what to do; ``hint`` is the
    ganscope-import option that would fix it (the dashboard's hosted uploader, which takes no options,
    leaves it out)."""

    def __init__(self, path: str | os.PathLike, problem: str, hint: str = ""):
        self.path = Path(path)
        self.problem = problem
        self.hint = hint
        super().__init__(f"{self.path.name}: {problem}" + (f": {hint}" if hint else ""))


@dataclass(frozen=True)
class Hints:
    """What a file may not say about itself; every field is optional.

    Args:
        z_dim: latent size, where the graph's input does not fix it.
        image_size: side of square images, for flat outputs that are not a square number of pixels.
        name: the run's preset name shown in the sidebar (default: the file's stem).
        output_range: (low, high) of a linear (no tanh/sigmoid) output.
        latent: how the original code drew z: normal or uniform.
        batchnorm: BatchNorm statistics to use by default: running or batch.
        dataset: the training data (mnist, fashion-mnist, folder), for the Diagnostics page and ganscope-evaluate.
        data_dir: where that data is.
    """

    z_dim: int | None = None
    image_size: int | None = None
    name: str | None = None
    output_range: tuple[float, float] | None = None
    latent: str = "normal"
    batchnorm: str = "running"
    dataset: str = "none"
    data_dir: str = ""


@dataclass
class ImportRecord:
    """Where an imported generator came from: the ``source`` object of its run's config.json.

    Args:
        file, sha256: the imported file's name and the sha256 of its bytes.
        format: the file format ("pytorch-state-dict", "keras-h5", "onnx", "ganscope-snapshot", ...).
        family: the generator family it was recognised as (shown by the app and the CLI).
        layout: how z goes in and the samples come out.
        output_range, output_range_from: the value range and how it was decided.
        output_shape, latent: the per-sample shape and how z is drawn (the hints'), when the importer read them.
        batchnorm: the BatchNorm statistics used ("running", "batch") or "none".
        runtime, onnx2torch: for ONNX graphs, what runs them and why onnx2torch does not (when it does not).
    """

    file: str
    format: str
    family: str
    layout: str
    output_range: list[float]
    output_range_from: str
    sha256: str = ""
    output_shape: list[int] | None = None
    latent: str | None = None
    runtime: str | None = None
    onnx2torch: str | None = None
    batchnorm: str = "none"

    @classmethod
    def ganscope(cls, path: Path, fmt: str, cfg: Any) -> ImportRecord:
        """The record of a ganscope file (a snapshot or a resume state): its config says everything."""
        family = f"ganscope {type(cfg).__name__.removesuffix('Config')}"
        return cls(path.name, fmt, family, "ganscope", list(cfg.output.value_range), "its config")

    def to_dict(self) -> dict:
        """The JSON object, without the fields this importer did not fill."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Imported:
    """An imported generator: its config, the module holding its weights, and where it came from."""

    cfg: Any
    module: nn.Module
    record: ImportRecord


def image_shape(path: Path, numel: int, hints: Hints) -> tuple[int, ...] | None:
    """(C, H, W) for a flat output of ``numel`` values: a square of 1 or 3 channels, or ``--image-size``."""
    if hints.image_size:
        for c in (1, 3):
            if c * hints.image_size**2 == numel:
                return (c, hints.image_size, hints.image_size)
        raise ImportFailed(
            path, f"its output has {numel} values, which is not 1 or 3 channels of {hints.image_size}x{hints.image_size}"
        )
    for c in (1, 3):
        side = math.isqrt(numel // c)
        if numel % c == 0 and side * side * c == numel and side >= 4:
            return (c, side, side)
    return None


def output_spec(path: Path, shape: tuple[int, ...], last_activation: str | None, hints: Hints) -> tuple[OutputSpec, str]:
    """(OutputSpec, where its range came from) for per-sample NCHW ``shape`` and the final activation."""
    if OUT_ACTIVATIONS.get(last_activation or "none"):  # tanh, sigmoid: the range the activation makes
        rng, why = OUT_ACTIVATIONS[last_activation], f"{last_activation} output"
    elif hints.output_range:
        rng, why = tuple(hints.output_range), "--output-range"
    else:
        raise ImportFailed(
            path,
            "its last layer is not tanh or sigmoid, so its output range is unknown",
            "pass --output-range=LOW,HIGH (e.g. --output-range=-1,1 for data scaled to [-1, 1])",
        )
    kind = "image" if len(shape) == 3 and shape[0] in (1, 3) else "vector"
    if kind == "vector":
        shape = (math.prod(shape),)
    return OutputSpec(kind, shape, rng), why


def check_forward(path: Path, module: nn.Module, z_dim: int, out_shape: tuple[int, ...]) -> None:
    """Run the imported generator once on a few latents: right shape, finite values."""
    try:
        with torch.inference_mode():
            y = module.eval()(torch.randn(2, z_dim, generator=torch.Generator().manual_seed(0)))
    except Exception as e:  # noqa: BLE001 - any failure here is one clear sentence about this file
        raise ImportFailed(path, f"the imported network does not run ({type(e).__name__}: {e})") from None
    if tuple(y.shape[1:]) != tuple(out_shape):
        raise ImportFailed(path, f"the imported network makes {list(y.shape[1:])}, expected {list(out_shape)}")
    if not torch.isfinite(y).all():
        raise ImportFailed(path, "the imported network produces NaN or Inf values: its weights are broken")


def run_config(imp: Imported, src: Path, hints: Hints) -> dict:
    """The run's config.json: a TrainConfig for the imported model plus the ``source`` record."""
    name = hints.name or src.stem
    train = TrainConfig(
        preset=name,
        model=imp.cfg,
        dataset=hints.dataset,
        description=f"imported from {src.name} ({imp.record.family or imp.record.format}) with ganscope-import",
        data_dir=hints.data_dir,
        epochs=1,
    )
    data = train.to_dict()
    data["source"] = imp.record.to_dict()
    return data


def write_run(imp: Imported, src: Path, out: Path, hints: Hints) -> Path:
    """Write RUN_DIR (config.json + one float32 snapshot) into a temporary folder beside it, then rename.

    Refuses an existing non-empty RUN_DIR; a failure leaves nothing behind.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ImportFailed(src, f"{out} already exists and is not empty: pick another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".importing"))
    try:
        (tmp / "snapshots").mkdir()
        meta = {"step": 0, "epoch": 0, "imported": src.name, "run": hints.name or src.stem}
        save_generator(snapshot_path(tmp, 0), imp.module, imp.cfg, meta, dtype=torch.float32)
        (tmp / CONFIG).write_text(json.dumps(run_config(imp, src, hints), indent=2) + "\n")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def base_record(src: Path, fmt: str, family: str, layout: str, spec: OutputSpec, range_from: str, hints: Hints) -> ImportRecord:
    """The ``source`` record of config.json."""
    return ImportRecord(
        src.name, fmt, family, layout, list(spec.value_range), range_from, file_sha256(src), list(spec.shape), hints.latent
    )


def batchnorm_never_updated(G) -> bool:
    """Whether ``G`` has BatchNorm layers whose running statistics are still their initial values (mean 0,
    variance 1): a generator saved before it trained, or by code that never ran it in train mode. In eval
    mode such layers barely normalise, and an untrained network then draws flat grey."""
    import torch

    bns = [m for m in G.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.running_mean is not None]
    return bool(bns) and all(torch.all(m.running_mean == 0) and torch.all(m.running_var == 1) for m in bns)
