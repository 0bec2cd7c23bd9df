"""Samples page: a grid of generated samples, one cell per seed; inspect, send and export any cell.

The inputs are laid out from the snapshot's header and the grid is looked up on disk (``pipelines.grid_cache``)
before the generator loads, so a grid seen before (or shipped with the run) is on screen while torch is
still being imported on a cold start; the generator then renders the samples the rest of the page needs.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import first_visit, state
from app.components import latents as lat
from app.components.d_scores import scores_under_grid
from app.components.export_buttons import export_row, provenance, single_png
from app.components.samples_view import display_size, flat_because_batchnorm, grid_image, scaling_smooth, show
from pipelines import grid_cache


def next_seeds(n: int) -> None:
    """Resample: the grid's next ``n`` seeds (a callback, so the URL names the new seed at once)."""
    st.session_state["grid_seed"] = min(int(st.session_state["grid_seed"]) + n, 2**31 - 1 - 256)


st.title("Samples")
model = state.current_config()  # the header's config: no torch yet
spec, num_classes = model.output, model.num_classes

default_rows = grid_cache.default_rows(num_classes)  # a conditional run: one row per class
shown_run = st.session_state.get("grid_run")
st.session_state["grid_run"] = st.session_state["run_dir"]
if shown_run not in (None, st.session_state["run_dir"]):  # another run starts at its default grid
    st.session_state["grid_rows"] = default_rows
st.session_state.setdefault("grid_rows", default_rows)  # widget state is dropped while another page shows
c1, c2, c3, c4, c5 = st.columns([1, 1, 1.3, 1.6, 0.9])
rows = int(c1.number_input("Rows", 1, 16, key="grid_rows"))
cols = int(c2.number_input("Columns", 1, 16, 8, key="grid_cols"))
st.session_state.setdefault("grid_seed", 0)
c5.button("Resample", help="Next seeds, same grid size", key="resample", on_click=next_seeds, args=(rows * cols,))
seed = int(
    c3.number_input(
        "Seed",
        0,
        2**31 - 1 - 256,
        key="grid_seed",
        help="Cell i shows the latent of seed + i, so every sample can be found again by its seed.",
    )
)
psi = c4.slider(
    "Truncation ψ",
    0.0,
    1.0,
    1.0,
    0.05,
    key="grid_psi",
    help="Pulls every latent toward the mean: lower ψ gives more typical, less varied samples.",
)

n = rows * cols
seeds = list(range(seed, seed + n))
choice = "rows"
if num_classes:
    names = lat.class_names(num_classes)
    if st.session_state.get("grid_class", "rows") not in ["rows", *range(num_classes)]:  # e.g. a link's class 12
        st.session_state["grid_class"] = "rows"
    choice = st.columns([1, 2])[0].selectbox(
        "Class",
        ["rows"] + list(range(num_classes)),
        key="grid_class",
        format_func=lambda c: "one class per row" if c == "rows" else f"{c}: {names[c]}",
        help="A class-conditional run draws the class it is given: one per row, or the same one in every cell.",
    )
labels = grid_cache.cell_labels(num_classes, rows, cols, choice)
caption = f"{n} samples, seeds {seeds[0]}–{seeds[-1]}"
if labels:
    caption += ", one class per row" if choice == "rows" else f", all of class {labels[0]}"
snap = st.session_state["snapshot"]
key = png = None
if spec.kind == "image":  # charts of the toy runs are drawn from their values, not kept on disk
    bn = state.bn_mode(snap) or grid_cache.default_batchnorm(model)
    key = grid_cache.make_key(snap, seed, rows, cols, psi, labels, bn, display_size(spec), scaling_smooth())
    png = grid_cache.lookup(snap, key)
if png is not None:  # this very grid was drawn before: on screen now, while the generator loads below
    shown = first_visit.for_this_visit(png)  # on a cold start, a media file of this visit's own
    st.image(shown, caption=caption, width="content", output_format="PNG")
    first_visit.let_browser_draw(shown)  # a cold start: torch's import would slow the browser drawing it

from app.render import seed_latents  # noqa: E402 - torch: after the grid a cold start could already show

G, _ = state.current_generator()
z = seed_latents(G, seeds, psi).numpy()
samples = state.render_latents(snap, z, labels)
grid = None if png is not None else show(samples, spec, cols, caption, key="samples_plot", cache_key=key, snapshot=snap)
if spec.kind == "image" and flat_because_batchnorm(G, samples, snap):
    st.info(
        "These samples are flat grey: this imported generator's BatchNorm running statistics were never updated "
        "(mean 0, variance 1: it was saved before training, or its code never ran it in train mode), so eval mode "
        "does not normalise its activations. Pick “batch statistics (train mode)” under BatchNorm statistics in the "
        "sidebar to see what it draws with each batch's statistics."
    )
if spec.kind == "image":
    scores_under_grid(snap, z, labels, spec, rows, cols, key="samples_d")  # where the run kept its D

provs = [
    provenance(s, zi, {"label": lb} if lb is not None else None) for s, zi, lb in zip(seeds, z, labels or [None] * n, strict=True)
]
export_row(samples, spec, z, provs, key="samples_export", grid=grid, stem=f"seeds-{seeds[0]}-{seeds[-1]}", nrow=cols)

st.subheader("Inspect a sample")
if st.session_state.get("inspect_cell", 0) not in range(n):  # a smaller grid than the cell asked for
    st.session_state["inspect_cell"] = 0
cell = st.select_slider(
    "Cell (row, column)",
    options=list(range(n)),
    value=0,
    key="inspect_cell",
    format_func=lambda i: f"({i // cols + 1}, {i % cols + 1}) · seed {seeds[i]}",
)
left, right = st.columns([1, 2])
entry = lat.entry_from_seed(G, seeds[cell], psi, labels[cell] if labels else None)
with left:
    if spec.kind == "image":
        big = max(4, 224 // spec.shape[-1])
        st.image(
            grid_image(samples[cell : cell + 1], spec, 1, size=big * spec.shape[-1]), caption=entry.name, output_format="PNG"
        )
        single_png(samples[cell], spec, provenance(entry, z[cell]), key="inspect", scale=big)
    else:
        show(samples[cell : cell + 1], spec, 1, entry.name, key="inspect_plot")
with right:
    zc = np.asarray(z[cell])
    st.markdown(f"**{entry.name}** · |z| = {np.linalg.norm(zc):.3f} · mean {zc.mean():+.3f} · std {zc.std():.3f}")
    values = "[" + ", ".join(f"{v:.3f}" for v in zc[:12]) + (", …]" if zc.size > 12 else "]")
    st.markdown(f"`{values}`")  # inline code: a code block loads the browser's highlighter (0.57 s busy)
    lat.send_buttons(entry, key="inspect_send")
