"""Generator snapshots: one safetensors file holding the weights and, in its header, the
architecture config. ``load_generator`` is the one loader used by the app, pipelines and tests.

A snapshot never touches pickle: safetensors stores raw tensors plus a str->str header.
The header carries ``format`` ("ganscope-generator"), ``format_version``, ``arch`` (a key of
``ARCHITECTURES``), ``config`` (the architecture config as JSON) and free-form ``meta`` (JSON:
step, epoch, run name...). Loading checks each of these and every tensor's name and shape
against the rebuilt network before any weight is used.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn

from .classifier import Classifier, ClassifierConfig
from .config import ConfigError, config_from_dict, config_to_dict
from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from .mlp import MLPConfig, MLPDiscriminator, MLPGenerator
from .onnx_graph import OnnxConfig, OnnxGenerator
from .scalar import ScalarConfig, ScalarDiscriminator, ScalarGenerator
from .sequential import NoDiscriminator, SequentialConfig, SequentialGenerator

FORMAT = "ganscope-generator"
CLASSIFIER_FORMAT = "ganscope-classifier"
FORMAT_VERSION = 1
SNAPSHOT_SUFFIX = ".safetensors"

# arch name -> (config class, generator class, discriminator class)
ARCHITECTURES: dict[str, tuple[type, type[nn.Module], type[nn.Module]]] = {
    "mlp": (MLPConfig, MLPGenerator, MLPDiscriminator),
    "dcgan": (DCGANConfig, DCGANGenerator, DCGANDiscriminator),
    "scalar": (ScalarConfig, ScalarGenerator, ScalarDiscriminator),
    # generators trained elsewhere (ganscope-import): no discriminator comes with them
    "sequential": (SequentialConfig, SequentialGenerator, NoDiscriminator),
    "onnx": (OnnxConfig, OnnxGenerator, NoDiscriminator),
}


class CheckpointError(Exception):
    """A checkpoint that cannot be used. The message names the file and what is wrong."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def arch_name(cfg: Any) -> str:
    """The ARCHITECTURES key of a config instance."""
    for name, (cfg_cls, _, _) in ARCHITECTURES.items():
        if isinstance(cfg, cfg_cls):
            return name
    raise TypeError(f"{type(cfg).__name__} is not a registered architecture config")


def build_generator(cfg: Any) -> nn.Module:
    """A freshly initialised generator for a config (no I/O, no device choice)."""
    return ARCHITECTURES[arch_name(cfg)][1](cfg)


def has_discriminator(cfg: Any) -> bool:
    """False for imported generators, which come without one."""
    return ARCHITECTURES[arch_name(cfg)][2] is not NoDiscriminator


def build_discriminator(cfg: Any) -> nn.Module:
    """A freshly initialised discriminator for a config."""
    return ARCHITECTURES[arch_name(cfg)][2](cfg)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_generator(
    path: str | os.PathLike,
    generator: nn.Module,
    cfg: Any,
    meta: dict | None = None,
    dtype: torch.dtype = torch.float16,
    _format: str = FORMAT,
) -> Path:
    """Atomically write a generator snapshot.

    Args:
        path: destination ``*.safetensors`` file.
        generator: the network; its state dict is copied to CPU in ``dtype`` (floats only).
        cfg: its architecture config.
        meta: JSON-able extras (step, epoch, run...).
        dtype: storage dtype for floating tensors; fp16 halves the size of shipped runs.
    Returns:
        the path written.
    """
    path = Path(path)
    tensors = {}
    for k, v in generator.state_dict().items():
        v = v.detach().to("cpu")
        tensors[k] = (v.to(dtype) if v.is_floating_point() else v).contiguous()
    header = {
        "format": _format,
        "format_version": str(FORMAT_VERSION),
        "arch": "classifier" if _format == CLASSIFIER_FORMAT else arch_name(cfg),
        "config": json.dumps(config_to_dict(cfg)),
        "meta": json.dumps(meta or {}),
    }
    atomic_write_bytes(path, save(tensors, metadata=header))
    return path


def read_header(path: str | os.PathLike, _format: str = FORMAT) -> dict:
    """Read and check the safetensors header of a snapshot without loading its weights.

    Returns a dict with ``arch``, ``config`` (the config object), ``meta`` (dict) and
    ``tensors`` (name -> (dtype, shape)). Raises CheckpointError naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    size = path.stat().st_size
    if size < 8:
        raise CheckpointError(path, f"truncated: {size} bytes, too short for a safetensors header")
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        if n > size - 8 or n > 100_000_000:
            if path.suffix in (".pt", ".pth", ".pkl", ".ckpt") or _looks_like_pickle(path):
                raise CheckpointError(
                    path, "is a pickle/torch.save file, not a safetensors snapshot; ganscope never unpickles generator weights"
                )
            raise CheckpointError(path, f"truncated or not a safetensors file (header says {n} bytes, file has {size})")
        try:
            raw = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError(path, f"corrupt safetensors header ({e})") from None
    if not isinstance(raw, dict):
        raise CheckpointError(path, "corrupt safetensors header (not an object)")
    meta = raw.pop("__metadata__", None) or {}
    if meta.get("format") != _format:
        raise CheckpointError(path, f"not a {_format} file (format={meta.get('format')!r})")
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise CheckpointError(path, f"format_version {version!r} is not supported (this ganscope reads {FORMAT_VERSION})")
    arch = meta.get("arch")
    known = {"classifier": ClassifierConfig} if _format == CLASSIFIER_FORMAT else {k: v[0] for k, v in ARCHITECTURES.items()}
    if arch not in known:
        raise CheckpointError(path, f"unknown architecture {arch!r} (known: {sorted(known)})")
    try:
        cfg = config_from_dict(known[arch], json.loads(meta.get("config", "null")))
        extra = json.loads(meta.get("meta", "{}"))
    except (json.JSONDecodeError, ConfigError, ValueError) as e:
        raise CheckpointError(path, f"invalid architecture config: {e}") from None
    end = 0
    tensors = {}
    for name, info in raw.items():
        try:
            tensors[name] = (info["dtype"], tuple(info["shape"]))
            end = max(end, int(info["data_offsets"][1]))
        except (KeyError, TypeError, IndexError, ValueError):
            raise CheckpointError(path, f"corrupt safetensors entry for tensor {name!r}") from None
    if 8 + n + end > size:
        raise CheckpointError(path, f"truncated: tensors need {8 + n + end} bytes, file has {size}")
    return {"arch": arch, "config": cfg, "meta": extra, "tensors": tensors}


def _looks_like_pickle(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4)
    # protocol-2+ pickles start with 0x80; torch.save zip archives with "PK"
    return head[:1] == b"\x80" or head[:2] == b"PK"


def _load_checked(path: Path, header: dict, module: nn.Module) -> nn.Module:
    """Check tensor names and shapes against ``module``, then load the weights into it."""
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    got = {k: shape for k, (_, shape) in header["tensors"].items()}
    missing, unexpected = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            path, f"weights do not match its {header['arch']} config: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    for k, shape in expected.items():
        if got[k] != shape:
            raise CheckpointError(path, f"tensor {k!r} has shape {list(got[k])}, its config needs {list(shape)}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(path, f"corrupt tensor data ({e})") from None
    for k, v in state.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(path, f"tensor {k!r} holds NaN or Inf values")
    module.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    module.eval().requires_grad_(False)
    return module


def save_classifier(path: str | os.PathLike, model: Classifier, meta: dict | None = None) -> Path:
    """Atomically write a classifier (fp16 weights + config + meta such as its test accuracy)."""
    return save_generator(path, model, model.cfg, meta, _format=CLASSIFIER_FORMAT)


def load_classifier(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[Classifier, dict]:
    """(classifier in eval mode, its meta). Raises CheckpointError naming the file."""
    path = Path(path)
    header = read_header(path, _format=CLASSIFIER_FORMAT)
    return _load_checked(path, header, Classifier(header["config"])).to(device), header["meta"]


def load_generator(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[nn.Module, Any]:
    """Load a generator snapshot.

    Args:
        path: a ``*.safetensors`` snapshot, or a run folder (its latest snapshot is used).
        device: where to put the weights.
    Returns:
        (generator in eval mode with gradients off, in float32, its architecture config).
    Raises:
        CheckpointError: missing, truncated, corrupt or mismatched file, naming it.
    """
    path = Path(path)
    if path.is_dir():
        snaps = sorted((path / "snapshots").glob(f"*{SNAPSHOT_SUFFIX}"))
        if not snaps:
            raise CheckpointError(path, "run folder has no snapshots/*.safetensors")
        path = snaps[-1]
    header = read_header(path)
    cfg = header["config"]
    return _load_checked(path, header, build_generator(cfg)).to(device), cfg


def snapshot_meta(path: str | os.PathLike) -> dict:
    """The ``meta`` dict (step, epoch, ...) of a snapshot, read from its header only."""
    return read_header(path)["meta"]
