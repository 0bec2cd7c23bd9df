"""Principal directions on disk: computed once per snapshot, then opened by any process at once.

One file holds the directions (vectors, explained, sigma) of one snapshot, source and layer, and in
its safetensors header the key they were computed for: the sha256 of the snapshot file's bytes, the
source ("layer": GANSpace on a layer, or "latents": PCA of the sampled latents), the layer, the
BatchNorm mode, the sample count, the number of directions, the seed, and ``ALGORITHM``, the version
of the code in ``pipelines.directions`` that computes them. A file is used only when its whole key
matches: a rewritten snapshot has another hash, so directions of its old weights are never shown
(they are computed again, and saved under the new key).

Files are looked for beside the run (``RUN/directions/``: shipped runs carry the directions of their
final snapshot's default view, written by ``python -m pipelines.directions_cache RUN``) and in the
cache folder (``GANSCOPE_CACHE``, default ``~/.cache/ganscope``), where new ones are written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from models import atomic_write_bytes, load_generator

from . import disk_cache, runs
from .directions import Directions, ganspace, latent_pca, probe_layers
from .disk_cache import file_sha256

log = logging.getLogger(__name__)

ALGORITHM = "pca-1"  # bump whenever ganspace / latent_pca / _pca change what they return for the same key
N_SAMPLES = 2000  # latents sampled per PCA (the Directions page's figure)
K_DIRECTIONS = 10  # directions kept; the page's slider shows the first 1 to 10
SEED = 0  # the sampled latents are seeds SEED .. SEED + N_SAMPLES - 1
SHIPPED_DIR = "directions"  # the folder in a run that holds its shipped directions


@dataclass(frozen=True)
class DirectionsKey:
    """Everything the directions of a snapshot depend on."""

    snapshot_sha256: str
    source: str  # "layer" or "latents"
    layer: str  # "" for "latents"
    batchnorm: str  # "" for the config's own mode, else "running" or "batch"
    n: int = N_SAMPLES
    k: int = K_DIRECTIONS
    seed: int = SEED
    algorithm: str = ALGORITHM

    def file_name(self) -> str:
        """A file name that differs whenever any field does."""
        text = json.dumps(asdict(self), sort_keys=True)
        return f"{self.source}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.safetensors"


def cache_dir() -> Path:
    """Where computed directions are written: ``GANSCOPE_CACHE``/directions, or ~/.cache/ganscope/directions."""
    return disk_cache.cache_root() / SHIPPED_DIR


def make_key(snapshot: str | os.PathLike, source: str, layer: str = "", batchnorm: str | None = None) -> DirectionsKey:
    """The key of a snapshot's directions from ``source`` ("layer" or "latents") on ``layer``."""
    if source not in ("layer", "latents"):
        raise ValueError(f"unknown source {source!r}: 'layer' or 'latents'")
    return DirectionsKey(file_sha256(snapshot), source, layer if source == "layer" else "", batchnorm or "")


def compute(G: torch.nn.Module, key: DirectionsKey) -> Directions:
    """The directions ``key`` describes, computed on ``G`` (the generator of its snapshot)."""
    if key.source == "layer":
        return ganspace(G, key.layer, n=key.n, k=key.k, seed=key.seed)
    return latent_pca(G, n=key.n, k=key.k, seed=key.seed)


def read(path: Path, key: DirectionsKey) -> Directions | None:
    """The directions in ``path`` if it exists, is readable and was written for exactly ``key``; else None."""
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        if json.loads(meta.get("key", "null")) != asdict(key):
            return None
        t = load_file(str(path))
        d = Directions(t["vectors"], t["explained"], t["sigma"])
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as e:  # a damaged file is recomputed, not shown
        log.warning("ignoring unreadable directions file %s: %s", path, e)
        return None
    if d.vectors.ndim != 2 or len(d.explained) != len(d.vectors) or len(d.sigma) != len(d.vectors):
        return None
    return d


def write(path: Path, key: DirectionsKey, d: Directions) -> Path:
    """Save ``d`` under ``key`` to ``path`` (atomically)."""
    tensors = {"vectors": d.vectors, "explained": d.explained, "sigma": d.sigma}
    tensors = {n: t.detach().to(torch.float32).contiguous() for n, t in tensors.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, save(tensors, metadata={"format": "ganscope-directions", "key": json.dumps(asdict(key))}))
    return path


def places(snapshot: str | os.PathLike, key: DirectionsKey) -> list[Path]:
    """Where the file of ``key`` may be: beside the run (shipped), then in the cache folder."""
    return disk_cache.places(snapshot, SHIPPED_DIR, key.file_name())


def cached_directions(
    G: torch.nn.Module, snapshot: str | os.PathLike, source: str, layer: str = "", batchnorm: str | None = None
) -> Directions:
    """The ``K_DIRECTIONS`` strongest directions of ``snapshot`` (whose generator is ``G``): read from a
    file whose key matches, or computed and saved to the cache folder for the next process."""
    key = make_key(snapshot, source, layer, batchnorm)
    for path in places(snapshot, key):
        d = read(path, key)
        if d is not None:
            return d
    d = compute(G, key)
    try:
        write(places(snapshot, key)[-1], key, d)
    except OSError as e:  # a read-only home: the page still shows them, the next process computes again
        log.warning("cannot save directions to %s: %s", cache_dir(), e)
    return d


def ship_directions(run_dir: str | os.PathLike) -> list[Path]:
    """Write the directions of the run's final snapshot, as the Directions page first shows them (GANSpace
    on the first probed layer), into ``RUN/directions/``, replacing what was there; returns the files."""
    run_dir = Path(run_dir)
    snaps = runs.list_snapshots(run_dir)
    folder = run_dir / SHIPPED_DIR
    for old in folder.glob("*.safetensors") if folder.is_dir() else []:
        old.unlink()
    if not snaps:
        return []
    snapshot = snaps[-1][0]
    G, _ = load_generator(snapshot)
    if not getattr(G, "has_layers", True) or not probe_layers(G):
        return []
    key = make_key(snapshot, "layer", probe_layers(G)[0])
    return [write(folder / key.file_name(), key, compute(G, key))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.directions_cache",
        description="Write the Directions page's first view of each run's final snapshot into RUN/directions/.",
    )
    p.add_argument("run_dirs", type=Path, nargs="+")
    args = p.parse_args(argv)
    for run_dir in args.run_dirs:
        for path in ship_directions(run_dir):
            print(f"{run_dir.name}: {path.relative_to(run_dir)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
