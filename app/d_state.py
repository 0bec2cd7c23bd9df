"""Cached access to a run's discriminator for the pages (the discriminator's view, ``pipelines.d_view``).

A snapshot ``<run>/snapshots/step-N.safetensors`` has a D when the run kept one at step N
(``runs.find_discriminator``); pages ask ``d_file(snapshot)`` and say nothing (or one short line) when
it is None. Discriminators are cached like generators, keyed on (path, file stamp); D's scores of
rendered samples with ``st.cache_data`` on the latents' bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import streamlit as st

from pipelines import runs

from .state import fit_threads, render_latents, stamp

STEP = re.compile(r"step-(\d+)")


def d_file(snapshot: str | Path) -> Path | None:
    """The discriminator kept beside ``snapshot`` (same run, same step), or None."""
    p = Path(snapshot)
    m = STEP.search(p.name)
    return runs.find_discriminator(p.parent.parent, int(m.group(1))) if m else None


@st.cache_resource(max_entries=8, show_spinner="Loading discriminator…")
def discriminator(path: str, file_stamp: tuple):
    """(D in eval mode, its architecture config) for a discriminator file."""
    from models import load_discriminator

    fit_threads()
    return load_discriminator(path)


def get_discriminator(path: str | Path):
    return discriminator(str(path), stamp(Path(path)))


def to_model_range(unit: np.ndarray, value_range: tuple[float, float]):
    """Samples in [0, 1] (as pages render them) -> a float tensor in the generator's value range (what D saw)."""
    import torch

    lo, hi = value_range
    return torch.from_numpy(np.ascontiguousarray(unit, dtype=np.float32)) * (hi - lo) + lo


@st.cache_data(max_entries=128, show_spinner=False)
def _sample_scores(dpath: str, dstamp: tuple, snapshot: str, z: np.ndarray, labels: tuple[int, ...] | None, loss: str,
                   value_range: tuple[float, float]) -> np.ndarray:  # fmt: skip
    import torch

    from pipelines.d_view import scores

    D, _ = discriminator(dpath, dstamp)
    x = to_model_range(render_latents(snapshot, z, labels), value_range)
    lab = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
    return scores(D, x, loss, lab)


def sample_scores(snapshot: str | Path, z, labels, loss: str, value_range) -> np.ndarray | None:
    """D's reading of the samples of latents ``z`` at ``snapshot`` (None when the run kept no D there)."""
    path = d_file(snapshot)
    if path is None:
        return None
    z = np.asarray(z, dtype=np.float32)
    labels = None if labels is None else tuple(int(x) for x in labels)
    return _sample_scores(str(path), stamp(path), str(snapshot), z, labels, loss, tuple(value_range))
