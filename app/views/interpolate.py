"""Interpolate page: walk the latent space from A to B (or through keyframes), linearly or on the sphere."""

from __future__ import annotations

from functools import partial
from importlib.util import find_spec

import numpy as np
import streamlit as st
import torch

from app import export, state
from app.components import latents as lat
from app.components.export_buttons import download, export_row, provenance
from app.components.samples_view import display_size, grid_image, show
from app.plotting import go
from app.render import images_u8
from models.latent import lerp, path, slerp

st.title("Interpolate")
G, cfg = state.current_generator()
spec = G.output
snap = st.session_state["snapshot"]

ca, cb = st.columns(2)
with ca:
    a = lat.latent_input(G, "Start (A)", key="interp_a", default_seed=0)
with cb:
    b = lat.latent_input(G, "End (B)", key="interp_b", default_seed=1, with_class=False)
    if G.num_classes:
        st.caption("The whole path is drawn in A's class (the class picker on the left).")
za, zb = lat.tensor(a), lat.tensor(b)
label = a.label

c1, c2 = st.columns([2, 1])
mode = c1.radio(
    "Mode",
    ["slerp", "lerp", "both"],
    horizontal=True,
    key="interp_mode",
    help="slerp follows the sphere and keeps the latent norm; lerp cuts through the middle, "
    "where latents are shorter than any the generator saw in training.",
)
frames_n = int(c2.slider("Frames in the strip", 2, 32, 8, key="interp_frames"))
modes = ["lerp", "slerp"] if mode == "both" else [mode]
fn = {"lerp": lerp, "slerp": slerp}


def _render(z: torch.Tensor) -> np.ndarray:
    labels = None if label is None else [label] * z.shape[0]
    return state.render_latents(snap, z.numpy(), labels)


st.subheader("Scrub")
t = st.slider("t", 0.0, 1.0, 0.5, 0.01, key="interp_t")
cols = st.columns(len(modes))
for col, m in zip(cols, modes, strict=True):
    with col:
        zt = fn[m](za, zb, t)[None]
        sample = _render(zt)
        if spec.kind == "image":
            st.image(
                grid_image(sample, spec, 1, size=display_size(spec)),
                caption=f"{m}, t = {t:.2f}, |z| = {float(zt.norm()):.2f}",
                output_format="PNG",
            )
        else:
            show(sample, spec, 1, f"{m}, t = {t:.2f}", key=f"scrub_{m}")

st.subheader("Strip")
ts = torch.linspace(0, 1, frames_n)
strips = {}
for m in modes:
    zs = fn[m](za, zb, ts)
    samples = _render(zs)
    strips[m] = (zs, samples)
    show(samples, spec, frames_n, f"{m}: {frames_n} frames from {a.name} to {b.name}", key=f"strip_{m}")

fig = go.Figure()
tt = torch.linspace(0, 1, 101)
for m in ("lerp", "slerp"):
    fig.add_trace(go.Scatter(x=tt.numpy(), y=fn[m](za, zb, tt).norm(dim=1).numpy(), name=m, mode="lines"))
fig.update_layout(
    title="Latent norm along the path",
    xaxis_title="t",
    yaxis_title="|z|",
    height=300,
    margin={"l": 10, "r": 10, "t": 40, "b": 10},
)
st.plotly_chart(fig, key="norm_plot")

st.subheader("Path through keyframes")
picked = lat.usable(G)
if len(picked) < 2:
    st.caption("Pick two or more latents (from Samples or here, with “Use as …” buttons) to walk a path A → B → C …")
    keys = [a, b]
else:
    names = [e.name for e in picked]
    chosen = st.multiselect("Keyframes, in order", names, default=names[: min(3, len(names))], key="interp_keys")
    keys = [picked[names.index(n)] for n in chosen] if len(chosen) >= 2 else [a, b]
k1, k2, k3 = st.columns(3)
loop = k1.checkbox("Loop back to the first", key="interp_loop")
steps = int(k2.slider("Frames per segment", 2, 24, 8, key="interp_seg"))
path_mode = k3.radio("Path mode", ["slerp", "lerp"], horizontal=True, key="interp_path_mode")
zpath = path(torch.stack([lat.tensor(e) for e in keys]), steps, path_mode, loop=loop)
path_samples = _render(zpath)
show(
    path_samples,
    spec,
    min(16, zpath.shape[0]),
    " → ".join(e.name for e in keys) + (" → back" if loop else "") + f" ({zpath.shape[0]} frames)",
    key="path",
)

st.subheader("Export")
export_m = modes[-1]
zs, samples = strips[export_m]
provs = [
    provenance(None, z, {"t": float(ti), "mode": export_m, "from": a.name, "to": b.name})
    for z, ti in zip(zs.numpy(), ts.numpy(), strict=True)
]
export_row(
    samples,
    spec,
    zs.numpy(),
    provs,
    key="interp_export",
    nrow=frames_n,
    stem=f"interp-{export_m}",
)
if spec.kind == "image":
    frames = [f.repeat(4, 0).repeat(4, 1) for f in images_u8(torch.from_numpy(path_samples))]
    g1, g2 = st.columns(2)
    gif = partial(export.gif_bytes, frames, fps=12, loop=True)  # encoded on click, not on every run of the page
    download("Path GIF", gif, "ganscope-path.gif", "image/gif", key="gif", where=g1)
    if find_spec("av") is not None:
        download("Path MP4", partial(export.mp4_bytes, frames, fps=12), "ganscope-path.mp4", "video/mp4", key="mp4", where=g2)
    else:
        g2.caption("MP4 export needs PyAV: `pip install av`.")
