"""The snapshot file without torch: its format constants, ``CheckpointError``, the checked header reader
and the atomic writer. ``models.checkpoint`` (which needs torch) loads and saves the weights; everything
here reads only the safetensors header, so the dashboard can list snapshots and read their configs
before torch is imported.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

from .config import ConfigError, config_from_dict
from .configs import CONFIGS, ClassifierConfig

FORMAT = "ganscope-generator"
CLASSIFIER_FORMAT = "ganscope-classifier"
DISCRIMINATOR_FORMAT = "ganscope-discriminator"
_KINDS = {FORMAT: "a generator snapshot", CLASSIFIER_FORMAT: "a classifier", DISCRIMINATOR_FORMAT: "a discriminator"}
FORMAT_VERSION = 1
SNAPSHOT_SUFFIX = ".safetensors"


class CheckpointError(Exception):
    """A checkpoint that cannot be used. The message names the file and what is wrong."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


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
        if meta.get("format") in _KINDS:  # one of ours, of another kind: say which (a G passed where a D goes...)
            raise CheckpointError(path, f"is {_KINDS[meta['format']]}, not {_KINDS[_format]}")
        raise CheckpointError(path, f"not a {_format} file (format={meta.get('format')!r})")
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise CheckpointError(path, f"format_version {version!r} is not supported (this ganscope reads {FORMAT_VERSION})")
    arch = meta.get("arch")
    known = {"classifier": ClassifierConfig} if _format == CLASSIFIER_FORMAT else CONFIGS
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


def snapshot_meta(path: str | os.PathLike) -> dict:
    """The ``meta`` dict (step, epoch, ...) of a snapshot, read from its header only."""
    return read_header(path)["meta"]
