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
cache folder (``GANSCOPE_CACHE``, default ``~/.cache/ganscope``), where new ones are written; the looking and
writing is ``pipelines.disk_cache.KeyedFiles``, as for the sample grids.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from models import load_generator

from . import runs
from .directions import Directions, ganspace, latent_pca, probe_layers
from .disk_cache import KeyedFiles, file_sha256, ship_main

log = logging.getLogger(__name__)

ALGORITHM = "pca-1"  # bump whenever ganspace / latent_pca / _pca change what they return for the same key
N_SAMPLES = 2000  # latents sampled per PCA (the Directions page's figure)
K_DIRECTIONS = 10  # directions kept; the page's slider shows the first 1 to 10
SEED = 0  # the sampled latents are seeds SEED .. SEED + N_SAMPLES - 1
SHIPPED_DIR = "directions"  # the folder in a run that holds its shipped directions
FILES = KeyedFiles(SHIPPED_DIR, ".safetensors")


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
        return FILES.file_name(self, prefix=f"{self.source}-")


def cache_dir() -> Path:
    """Where computed directions are written: ``GANSCOPE_CACHE``/directions, or ~/.cache/ganscope/directions."""
    return FILES.cache_dir()


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


def file_bytes(key: DirectionsKey, d: Directions) -> bytes:
    """The safetensors file of ``d`` with ``key`` in its header."""
    tensors = {"vectors": d.vectors, "explained": d.explained, "sigma": d.sigma}
    tensors = {n: t.detach().to(torch.float32).contiguous() for n, t in tensors.items()}
    return save(tensors, metadata={"format": "ganscope-directions", "key": json.dumps(asdict(key))})


def places(snapshot: str | os.PathLike, key: DirectionsKey) -> list[Path]:
    """Where the file of ``key`` may be: beside the run (shipped), then in the cache folder."""
    return FILES.places(snapshot, key.file_name())


def cached_directions(
    G: torch.nn.Module, snapshot: str | os.PathLike, source: str, layer: str = "", batchnorm: str | None = None
) -> Directions:
    """The ``K_DIRECTIONS`` strongest directions of ``snapshot`` (whose generator is ``G``): read from a
    file whose key matches, or computed and saved to the cache folder for the next process."""
    key = make_key(snapshot, source, layer, batchnorm)
    d = FILES.find(snapshot, key.file_name(), lambda path: read(path, key))
    if d is None:
        d = compute(G, key)
        FILES.keep(key.file_name(), file_bytes(key, d))  # a read-only home: the page still shows them
    return d


def ship_directions(run_dir: str | os.PathLike) -> list[Path]:
    """Write the directions of the run's final snapshot, as the Directions page first shows them (GANSpace
    on the first probed layer), into ``RUN/directions/``, replacing what was there; returns the files."""
    run_dir = Path(run_dir)
    snaps = runs.list_snapshots(run_dir)
    FILES.clear_shipped(run_dir)
    if not snaps:
        return []
    snapshot = snaps[-1][0]
    G, _ = load_generator(snapshot)
    if not getattr(G, "has_layers", True) or not probe_layers(G):
        return []
    key = make_key(snapshot, "layer", probe_layers(G)[0])
    return [FILES.ship(run_dir, key.file_name(), file_bytes(key, compute(G, key)))]


def main(argv: list[str] | None = None) -> int:
    return ship_main(
        argv,
        "python -m pipelines.directions_cache",
        "Write the Directions page's first view of each run's final snapshot into RUN/directions/.",
        ship_directions,
        "no layers to take directions from, nothing written",
    )


if __name__ == "__main__":
    sys.exit(main())
