"""Directions page: principal directions (GANSpace) and user-labelled directions, with sliders."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from app import state
from app.components import latents as lat
from app.components.export_buttons import export_row, provenance
from app.components.samples_view import show
from pipelines.directions import Directions, labelled_direction, move, probe_layers
from pipelines.directions_cache import K_DIRECTIONS

st.title("Directions")
G, cfg = state.current_generator()
spec = G.output
snap = st.session_state["snapshot"]


source = st.radio(
    "Directions from",
    ["layer", "latents", "labelled"],
    horizontal=True,
    key="dir_source",
    format_func={
        "layer": "a generator layer (GANSpace PCA)",
        "latents": "sampled latents (PCA)",
        "labelled": "labelled sets (with − without)",
    }.get,
)
base = lat.latent_input(G, "Latent to move", key="dir_base", default_seed=0)
z0 = lat.tensor(base)
label = base.label

if source == "labelled":
    sets = lat.concept_sets()
    c1, c2 = st.columns(2)
    w = c1.selectbox("Set with the attribute", lat.SET_NAMES, key="dir_with")
    wo = c2.selectbox("Set without it", lat.SET_NAMES, index=1, key="dir_without")
    with_z = [lat.tensor(m) for m in sets[w] if len(m.z) == G.z_dim]
    without_z = [lat.tensor(m) for m in sets[wo] if len(m.z) == G.z_dim]
    if not with_z or not without_z or w == wo:
        st.info(
            "Fill two different concept sets (on the Arithmetic page, or with “Add to concept set” anywhere): "
            "one whose samples have the attribute, one whose samples lack it."
        )
        st.stop()
    vec = labelled_direction(torch.stack(with_z), torch.stack(without_z))
    dirs = Directions(vec[None] / vec.norm(), torch.ones(1), vec.norm()[None])
    names = [f"set {w} − set {wo}"]
else:
    if source == "layer" and not getattr(G, "has_layers", True):
        st.info(
            "Directions by layer are unavailable for this run: its ONNX graph runs in onnxruntime, which shows no "
            "layer activations. Use directions from sampled latents or labelled sets instead."
        )
        st.stop()
    c1, c2 = st.columns(2)
    layers = probe_layers(G)
    if "dir_layer" in st.session_state and st.session_state["dir_layer"] not in layers:  # e.g. another run's layer
        del st.session_state["dir_layer"]
    if source == "layer" and not layers:
        st.info(
            "This generator has no layer whose activations can be read (a single parameter, as toy-scalar's): "
            "use directions from sampled latents."
        )
        st.stop()
    layer = c1.selectbox("Layer", layers, key="dir_layer", disabled=source != "layer") if layers else ""
    most = min(K_DIRECTIONS, G.z_dim)  # a 1-d latent space has one direction
    if st.session_state.get("dir_k", 1) > most:
        st.session_state["dir_k"] = most
    k = int(c2.slider("Directions", 1, most, min(state.DEFAULT_DIRECTIONS, most), key="dir_k")) if most > 1 else 1
    p = Path(snap)
    lay = (layer or "") if source == "layer" else ""
    v, e, s = (a[:k] for a in state.directions(str(p), state.stamp(p), state.bn_mode(p), source, lay))
    dirs = Directions(torch.from_numpy(v), torch.from_numpy(e), torch.from_numpy(s))
    names = [f"PC{i + 1}" for i in range(len(v))]

st.subheader("Move along each direction")
st.caption("Amounts are in units of the sampled latents' spread (σ) along that direction.")
amounts = []
scols = st.columns(min(5, len(names)))
for i, n in enumerate(names):
    share = f" ({float(dirs.explained[i]):.1%} of the variance)" if source != "labelled" else ""
    amounts.append(scols[i % len(scols)].slider(n + share, -3.0, 3.0, 0.0, 0.25, key=f"dir_amt_{source}_{i}"))
amt = torch.tensor(amounts) * dirs.sigma
moved = move(z0, dirs.vectors, amt)
lab = None if label is None else [label]
left, right = st.columns([1, 2])
with left:
    show(
        state.render_latents(snap, torch.stack([z0, moved]).numpy(), None if lab is None else lab * 2),
        spec,
        2,
        "original → moved",
        key="dir_moved",
    )
    lat.send_buttons(lat.entry_from_vector(f"{base.name} moved", moved.numpy(), label), key="dir_send")
with right:
    steps = torch.linspace(-3, 3, 7)
    rows = torch.cat([torch.stack([z0 + t * dirs.sigma[i] * dirs.vectors[i] for t in steps]) for i in range(len(names))])
    samples = state.render_latents(snap, rows.numpy(), None if lab is None else lab * len(rows))
    show(samples, spec, 7, "each row: one direction from −3σ to +3σ", key="dir_rows")
provs = [
    provenance(None, z, {"direction": names[i // 7], "amount_sigma": float(steps[i % 7])}) for i, z in enumerate(rows.numpy())
]
export_row(
    samples,
    spec,
    rows.numpy(),
    provs,
    key="dir_export",
    stem="directions",
    nrow=7,
)
if source != "labelled":  # below the rows: Plotly's script is the largest the browser loads for this page
    from app.plotting import go  # here, after the rows: its import (with pandas) is 0.8 s of a first visit

    fig = go.Figure(go.Bar(x=names, y=dirs.explained.numpy() * 100))
    fig.update_layout(title="Variance explained (%)", height=240, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    st.plotly_chart(fig, key="dir_explained")
