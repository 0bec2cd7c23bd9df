"""Generator snapshots: one safetensors file holding the weights and, in its header, the
architecture config. ``load_generator`` is the one loader used by the app, pipelines and tests.

A snapshot never touches pickle: safetensors stores raw tensors plus a str->str header.
The header carries ``format`` ("ganscope-generator"), ``format_version``, ``arch`` (a key of
``ARCHITECTURES``), ``config`` (the architecture config as JSON) and free-form ``meta`` (JSON:
step, epoch, run name...). Loading checks each of these and every tensor's name and shape
against the rebuilt network before any weight is used.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn
from torch.nn.utils import parametrize

from .classifier import Classifier
from .config import CONFIGS, arch_name, config_to_dict
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator
from .onnx_graph import OnnxGenerator
from .scalar import ScalarDiscriminator, ScalarGenerator
from .sequential import NoDiscriminator, SequentialGenerator
from .snapshot_file import (  # noqa: F401 - re-exported: the loader's errors and header reader
    CLASSIFIER_FORMAT,
    DISCRIMINATOR_FORMAT,
    FORMAT,
    FORMAT_VERSION,
    SNAPSHOT_SUFFIX,
    CheckpointError,
    SnapshotHeader,
    atomic_write_bytes,
    read_header,
    snapshot_meta,
)

# arch name -> (config class, generator class, discriminator class); the configs' own registry,
# models.config.CONFIGS, needs no torch
_NETWORKS: dict[str, tuple[type[nn.Module], type[nn.Module]]] = {
    "mlp": (MLPGenerator, MLPDiscriminator),
    "dcgan": (DCGANGenerator, DCGANDiscriminator),
    "scalar": (ScalarGenerator, ScalarDiscriminator),
    # generators trained elsewhere (ganscope-import): no discriminator comes with them
    "sequential": (SequentialGenerator, NoDiscriminator),
    "onnx": (OnnxGenerator, NoDiscriminator),
}
ARCHITECTURES: dict[str, tuple[type, type[nn.Module], type[nn.Module]]] = {n: (CONFIGS[n], *_NETWORKS[n]) for n in CONFIGS}


def build_generator(cfg: Any) -> nn.Module:
    """A freshly initialised generator for a config (no I/O, no device choice)."""
    return ARCHITECTURES[arch_name(cfg)][1](cfg)


def has_discriminator(cfg: Any) -> bool:
    """False for imported generators, which come without one."""
    return ARCHITECTURES[arch_name(cfg)][2] is not NoDiscriminator


def build_discriminator(cfg: Any) -> nn.Module:
    """A freshly initialised discriminator for a config."""
    return ARCHITECTURES[arch_name(cfg)][2](cfg)


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


def _load_checked(path: Path, header: SnapshotHeader, module: nn.Module) -> nn.Module:
    """Check tensor names and shapes against ``module``, then load the weights into it."""
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    got = {k: shape for k, (_, shape) in header.tensors.items()}
    missing, unexpected = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            path, f"weights do not match its {header.arch} config: missing {missing[:5]}, unexpected {unexpected[:5]}"
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


def plain_discriminator_state(D: nn.Module) -> dict[str, torch.Tensor]:
    """D's state dict as a plain ``build_discriminator`` has it: spectral-norm (and any other)
    parametrisations folded into the effective weights, as D computes them in eval mode. Reads a copy, so
    the live D, its power-iteration vectors and every RNG are untouched (a resumed run stays bit-exact).
    (``remove_parametrizations`` is not used: it edits the parametrised class, which a copy shares.)"""
    state = D.state_dict()
    if not any(parametrize.is_parametrized(m) for m in D.modules()):
        return state
    plain = {k: v for k, v in state.items() if "parametrizations." not in k}
    with torch.no_grad():
        copy_ = copy.deepcopy(D).eval()  # eval: spectral norm divides by its stored sigma, no power iteration
        for name, m in copy_.named_modules():
            if parametrize.is_parametrized(m):
                for tensor in m.parametrizations:
                    plain[f"{name}.{tensor}" if name else tensor] = getattr(m, tensor).detach()
    return plain


class _StateOnly(nn.Module):
    """A stand-in whose ``state_dict`` is a given dict (so ``save_generator`` writes it)."""

    def __init__(self, state: dict[str, torch.Tensor]):
        super().__init__()
        self._state = state

    def state_dict(self, *args, **kwargs):  # noqa: ARG002 - the nn.Module signature
        return self._state


def save_discriminator(
    path: str | os.PathLike, discriminator: nn.Module, cfg: Any, meta: dict | None = None, dtype: torch.dtype = torch.float16
) -> Path:
    """Atomically write a discriminator snapshot (format ``ganscope-discriminator``): its effective weights
    (spectral norm folded in, see ``plain_discriminator_state``) in ``dtype``, the architecture config and
    ``meta`` (step...) in the header, so it loads into a plain ``build_discriminator(cfg)``."""
    state = _StateOnly(plain_discriminator_state(discriminator))
    return save_generator(path, state, cfg, meta, dtype, _format=DISCRIMINATOR_FORMAT)


def load_discriminator(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[nn.Module, Any]:
    """Load a discriminator snapshot written by ``save_discriminator``.

    Returns:
        (discriminator in eval mode, float32, parameters with requires_grad False, its architecture config);
        callers wanting gradients with respect to an input set ``requires_grad`` on the input.
    Raises:
        CheckpointError: missing, truncated, corrupt or mismatched file, or a generator snapshot
            passed as a discriminator, with a sentence naming the file.
    """
    path = Path(path)
    header = read_header(path, _format=DISCRIMINATOR_FORMAT)
    cfg = header.config
    if not has_discriminator(cfg):
        raise CheckpointError(path, f"its {header.arch} architecture has no discriminator")
    return _load_checked(path, header, build_discriminator(cfg)).to(device), cfg


def load_classifier(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[Classifier, dict]:
    """(classifier in eval mode, its meta). Raises CheckpointError naming the file."""
    path = Path(path)
    header = read_header(path, _format=CLASSIFIER_FORMAT)
    return _load_checked(path, header, Classifier(header.config)).to(device), header.meta


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
    cfg = header.config
    return _load_checked(path, header, build_generator(cfg)).to(device), cfg
