"""D's score under each sample: the discriminator's view on the Samples page (and Compare's captions)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from pipelines import runs

from .. import d_state


def run_loss(run_dir: str) -> str:
    return runs.read_config(run_dir).loss


def scores_under_grid(snapshot: str, z: np.ndarray, labels, spec, rows: int, cols: int, key: str) -> None:
    """D's reading of every tile, laid out as the grid (nothing when the run kept no D at this step)."""
    loss = run_loss(st.session_state["run_dir"])
    s = d_state.sample_scores(snapshot, z, labels, loss, spec.value_range)
    if s is None:
        return
    import pandas as pd  # here, where the run kept a D: the first grid's path imports neither pandas nor torch

    from pipelines.d_view import score_scale

    scale = score_scale(loss)
    fooled = float((s > scale.threshold).mean())
    st.caption(
        f"**{scale.name}** under each tile (row by row, as in the grid), from the discriminator kept at this step: "
        f"it calls {fooled:.0%} of these samples real."
    )
    table = pd.DataFrame(s.reshape(rows, cols), index=[f"row {r + 1}" for r in range(rows)],
                         columns=[f"col {c + 1}" for c in range(cols)])  # fmt: skip
    st.dataframe(table.style.format("{:.2f}"), key=key, width="content")


def caption_scores(snapshot: str, z: np.ndarray, labels, spec) -> str:
    """`` · D: 0.41 0.52 …`` for a caption (empty when the run kept no D at this snapshot)."""
    s = d_state.sample_scores(snapshot, z, labels, run_loss(st.session_state["run_dir"]), spec.value_range)
    return "" if s is None else " · D: " + " ".join(f"{v:.2f}" for v in s)
