"""Run discovery and cached loading for the dashboard.

Generators are cached with ``st.cache_resource`` keyed on (path, ``stamp``), so a snapshot
rewritten on disk is reloaded; rendered images with ``st.cache_data`` keyed on hashable
arguments. Session state holds paths, seeds and small vectors, never models.

Nothing here imports torch until a generator is loaded: a first visit lists runs, reads their
configs and shows a grid the disk already holds (``pipelines.grid_cache``) while torch is still
unimported, which is most of a cold start on a small machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import streamlit as st

from models import CheckpointError, read_header
from pipelines import runs
from pipelines.disk_cache import file_stamp as stamp  # what keys the caches of a snapshot's contents

from . import hosting

ROOT = runs.PROJECT_ROOT


def fit_threads() -> int:
    """Torch threads for rendering: the CPUs this process may use (a container's cpuset, not the host's
    cores), at most 8; small generators gain nothing from more and the sessions share them."""
    import torch

    n = max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def run_roots() -> list[Path]:
    """Where runs are looked for, read on every call so a new folder shows at once: the shipped ones,
    local ones (runs/, where imports go too) and GANSCOPE_RUNS (os.pathsep-separated); or, when the host
    set allowed roots (app/hosting.py), those roots and this session's own uploads only."""
    h = hosting.settings()
    if h.restricted:
        return list(h.roots) + [d for d in [hosting.session_dir(create=False)] if d]
    extra = [Path(p) for p in os.environ.get("GANSCOPE_RUNS", "").split(os.pathsep) if p]
    return [ROOT / "checkpoints", ROOT / "runs", import_dir()] + extra


def import_dir() -> Path:
    """Where the sidebar's "Import a generator" writes runs: runs/, or GANSCOPE_IMPORT_DIR; when hosted,
    a temporary folder of this session's own, which no other visitor sees."""
    if hosting.settings().restricted:
        return hosting.session_dir()
    return Path(os.environ.get("GANSCOPE_IMPORT_DIR") or ROOT / "runs")


def run_label(path: str | Path) -> str:
    """How a run is named on screen: its folder name and, to tell same-named runs apart, where it lives."""
    path = Path(path)
    try:
        return f"{path.name}  ({path.parent.relative_to(ROOT)})"
    except ValueError:
        return f"{path.name}  ({path.parent})"


def short_names(paths) -> dict[str, str]:
    """Display names for several runs at once (legends, tables): the folder name, or ``run_label``
    where two of them share a folder name."""
    paths = [str(p) for p in paths]
    names = [Path(p).name for p in paths]
    return {p: (run_label(p) if names.count(Path(p).name) > 1 else Path(p).name) for p in paths}


def discover_runs() -> list[Path]:
    """Every run folder under the run roots, shipped ones first; when hosted, only those that really lie
    inside the roots (a symlink in a root that points elsewhere is left out)."""
    roots = run_roots()
    found: list[Path] = []
    for root in roots:
        found += [p for p in runs.list_runs(root) if p not in found]
    if hosting.settings().restricted:
        found = [p for p in found if hosting.inside(p, [r.resolve() for r in roots])]
    return found


def bn_key(run_dir: str | Path) -> str:
    """Session key of a run's BatchNorm statistics choice (the sidebar's radio)."""
    return f"bn_mode_{Path(run_dir)}"


def bn_mode(snapshot: str | Path) -> str | None:
    """The BatchNorm statistics picked for the run of ``snapshot`` (None: its config's default)."""
    return st.session_state.get(bn_key(Path(snapshot).parent.parent))


@st.cache_resource(max_entries=16, show_spinner="Loading generator…")
def generator(path: str, stamp: tuple, batchnorm: str | None = None):
    """(generator, config) for a snapshot; ``stamp`` (``state.stamp``) keys the cache so a rewritten file
    reloads. ``batchnorm`` ("running" / "batch") is part of the key, so a cached model is never switched."""
    from models import load_generator

    fit_threads()
    G, cfg = load_generator(path)
    if batchnorm and hasattr(G, "set_batchnorm_mode"):
        G.set_batchnorm_mode(batchnorm)
    return G, cfg


def get_generator(path: str | Path):
    p = Path(path)
    return generator(str(p), stamp(p), bn_mode(p))


@st.cache_data(max_entries=256, show_spinner=False)
def _render_latents(path: str, stamp: tuple, bn: str | None, z: np.ndarray, labels: tuple[int, ...] | None) -> np.ndarray:
    import torch

    from . import render

    G, _ = generator(path, stamp, bn)
    lab = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
    return render.generate(G, torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32)), lab).numpy()


def render_latents(path: str | Path, z, labels=None) -> np.ndarray:
    """Samples in [0, 1] (N, *output.shape) for latents ``z`` (N, z_dim), cached on their bytes."""
    p = Path(path)
    z = np.asarray(z, dtype=np.float32)
    labels = None if labels is None else tuple(int(x) for x in labels)
    return _render_latents(str(p), stamp(p), bn_mode(p), z, labels)


def require_run() -> Path:
    """The run picked in the sidebar; when none is open (or it cannot be opened), the page stops with a
    note and draws nothing, so no page goes on showing a previous run's data under an error."""
    run = st.session_state.get("run_dir")
    if run:
        return Path(run)
    if st.session_state.get("run_problem"):
        st.info("Nothing to show: the run in the sidebar cannot be opened (the sidebar says why). Pick another run.")
    else:
        st.info("Pick a run in the sidebar.")
    st.stop()


DEFAULT_DIRECTIONS = 5  # directions the Directions page shows until the user or a link says otherwise


def good_snapshots(run_dir: str | Path) -> list[tuple[Path, dict]]:
    """The readable snapshots of a run, in step order (the sidebar lists the unreadable ones)."""
    return runs.scan_snapshots(run_dir)[0]


@st.cache_data(max_entries=64, show_spinner="Finding principal directions…")
def directions(
    path: str, stamp: tuple, bn: str | None, source: str, layer: str = ""
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, explained, sigma) of the ``K_DIRECTIONS`` strongest directions of a snapshot: GANSpace
    on ``layer`` (source "layer") or PCA of the sampled latents (source "latents"). Cached per snapshot
    and layer (and BatchNorm mode ``bn``) in this process, and on disk keyed by the snapshot's bytes
    (``pipelines.directions_cache``), so a new process opens them without computing; pages take the
    first k, so moving the count slider computes nothing."""
    from pipelines.directions_cache import cached_directions

    G, _ = generator(path, stamp, bn)
    d = cached_directions(G, path, source, layer, bn)
    return d.vectors.numpy(), d.explained.numpy(), d.sigma.numpy()


@st.cache_resource(max_entries=64, show_spinner=False)
def _header_config(path: str, stamp: tuple):
    return read_header(path).config


def _from_picked_snapshot(load):
    """``load(snapshot)`` of the snapshot picked in the sidebar; stops the page with a clear error when there
    is none or it cannot be read."""
    snap = st.session_state.get("snapshot")
    if not snap:
        require_run()
        st.stop()
    try:
        return load(snap)
    except (CheckpointError, OSError) as e:
        st.error(f"Cannot load this snapshot: {e}. Pick another snapshot or run.")
        st.stop()


def current_config():
    """The architecture config of the snapshot picked in the sidebar, read from its header alone (no torch,
    no weights): what a page needs to lay out its inputs before the generator loads. Stops the page with a
    clear error when the snapshot cannot be read."""
    return _from_picked_snapshot(lambda snap: _header_config(snap, stamp(snap)))


def current_generator():
    """(generator, config) of the snapshot picked in the sidebar; stops the page with a clear error."""
    return _from_picked_snapshot(get_generator)
