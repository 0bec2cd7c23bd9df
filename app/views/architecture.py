"""Architecture page: every layer of the run's networks with its output shape and parameter count."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from app import state
from models import DCGANConfig, build_discriminator, has_discriminator
from pipelines.architecture import layer_table, plan_rows

ROW_PX, HEAD_PX = 35, 38  # a dataframe row and its header, in pixels


def _table(rows: list[dict], key: str) -> None:
    """All rows at once, never a table that scrolls inside itself (an imported run has 15 layers or more)."""
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=key, height=HEAD_PX + ROW_PX * len(rows))


st.title("Architecture")
G, cfg = state.current_generator()
z = torch.zeros(2, G.z_dim)
labels = torch.zeros(2, dtype=torch.int64) if G.num_classes else None
st.markdown(
    f"**{type(cfg).__name__.removesuffix('Config')}** · z {G.z_dim} ({G.latent_dist}) · "
    f"classes {G.num_classes or 'none'} · output {G.output.kind} "
    f"{'×'.join(map(str, G.output.shape))} in [{G.output.value_range[0]:g}, {G.output.value_range[1]:g}]"
)

if isinstance(cfg, DCGANConfig):
    st.subheader("Sizes, layer by layer")
    st.caption(
        "Transposed conv: out = (in − 1)·s − 2p + k. Conv: out = ⌊(in + 2p − k)/s⌋ + 1. "
        "With k=4, s=2, p=1 a transposed conv doubles the size and a conv halves it, so a 28×28 "
        "generator starts from 7×7 and a 64×64 one from 4×4."
    )
    g_rows, d_rows = plan_rows(cfg)
    # Static tables, one above the other: side by side in scrolling grids the formula column, the part that
    # teaches, was cut off.
    st.markdown("**Generator**")
    st.table(pd.DataFrame(g_rows), hide_index=True)
    st.markdown("**Discriminator**")
    st.table(pd.DataFrame(d_rows), hide_index=True)

g_table = layer_table(G, z, labels)
st.subheader(f"Generator: {sum(r['params'] for r in g_table):,} parameters")
_table(g_table, "arch_g")
if not has_discriminator(cfg):
    st.caption(
        "Imported generators come without a discriminator."
        + ("" if getattr(G, "has_layers", True) else " This ONNX graph runs in onnxruntime, so its layers are not listed.")
    )
    st.stop()
D = build_discriminator(cfg)
x = G(z, labels)
d_table = layer_table(D, x, labels)
st.subheader(f"Discriminator: {sum(r['params'] for r in d_table):,} parameters")
st.caption("Built fresh from the run's config: shipped runs keep generator weights only.")
_table(d_table, "arch_d")
