"""Arithmetic page: concept sets of latents, their averages, and weighted sums such as
smiling woman − neutral woman + neutral man (the hint's example fits the run's data)."""

from __future__ import annotations

import streamlit as st
import torch

from app import state
from app.components import latents as lat
from app.components.export_buttons import export_row, provenance
from app.components.samples_view import show
from app.render import seed_latents
from models.latent import average, combine, variations
from pipelines import runs


def example(dataset: str, kind: str) -> str:
    """An example of A − B + C that fits the run's data."""
    if kind != "image":
        return (
            "for points or curves: A = samples near one mode, B = samples near another, C = a third; "
            "A − B + C moves C by A's offset from B"
        )
    if dataset == "folder":
        return "the book's example: A = three smiling women, B = three neutral women, C = three neutral men, A − B + C"
    if dataset == "fashion-mnist":
        return "e.g. A = three long-sleeved tops, B = three short-sleeved tops, C = three short dresses, A − B + C"
    return "e.g. A = three thick slanted digits, B = three thin upright ones, C = three thin upright 3s: A − B + C"


st.title("Latent arithmetic")
G, cfg = state.current_generator()
cfg_run = runs.read_config(st.session_state["run_dir"])
spec = G.output
snap = st.session_state["snapshot"]
sets = lat.concept_sets()
label = lat.class_input(G, "arith_class", label="Class (every sample on this page is drawn in it)")

st.subheader("Pick members")
c1, c2, c3 = st.columns([1, 1, 2])
start = int(c1.number_input("Candidate seeds from", 0, 2**31 - 1 - 64, 0, key="arith_start"))
count = int(c2.select_slider("How many", [8, 16, 24, 32], 16, key="arith_count"))
cand_seeds = list(range(start, start + count))
cand_z = seed_latents(G, cand_seeds).numpy()
cand_labels = [label] * count if G.num_classes else None
show(
    state.render_latents(snap, cand_z, cand_labels),
    spec,
    8,
    f"candidates: seeds {cand_seeds[0]}–{cand_seeds[-1]}, row by row",
    key="arith_cands",
)
p1, p2, p3 = st.columns([3, 1, 1])
chosen = p1.multiselect("Seeds to add", cand_seeds, key="arith_pick")
target = p2.selectbox("to set", lat.SET_NAMES, key="arith_target")


def _add_chosen() -> None:
    for s in st.session_state["arith_pick"]:
        e = lat.entry_from_seed(G, s, label=label)
        if all(m.name != e.name for m in sets[st.session_state["arith_target"]]):
            sets[st.session_state["arith_target"]].append(e)
    st.session_state["arith_pick"] = []


p3.button("Add", key="arith_add", disabled=not chosen, on_click=_add_chosen)

st.subheader("Concept sets")
means: dict[str, torch.Tensor] = {}
for name in lat.SET_NAMES:
    members = [m for m in sets[name] if len(m.z) == G.z_dim]
    with st.container(border=True):
        h1, h2 = st.columns([5, 1])
        h1.markdown(f"**Set {name}** · {len(members)} member(s): " + ", ".join(m.name for m in members))
        if members and h2.button("Clear", key=f"clear_{name}"):
            sets[name] = []
            st.rerun()
        if not members:
            st.caption("Empty: add seeds above, or use “Add to concept set” on any page.")
            continue
        zs = torch.stack([lat.tensor(m) for m in members])
        means[name] = average(zs)
        shown = torch.cat([zs, means[name][None]]).numpy()
        labels = [label] * len(shown) if G.num_classes else None
        show(
            state.render_latents(snap, shown, labels),
            spec,
            len(shown),
            f"members of {name}, then their average (last)",
            key=f"set_{name}",
        )

st.subheader("Expression")
defaults = {"A": 1.0, "B": -1.0, "C": 1.0, "D": 0.0}
wcols = st.columns(len(lat.SET_NAMES))
weights = {
    n: wc.number_input(f"weight of {n}", -3.0, 3.0, defaults[n], 0.25, key=f"w_{n}")
    for n, wc in zip(lat.SET_NAMES, wcols, strict=True)
}
terms = [(w, means[n]) for n, w in weights.items() if w != 0 and n in means]
if not terms:
    st.info(f"Fill at least one set with a non-zero weight to compute a result ({example(cfg_run.dataset, spec.kind)}).")
    st.stop()
expr = " ".join(f"{'+' if w > 0 else '−'} {abs(w):g}·mean({n})" for n, w in weights.items() if w and n in means)
result = combine(terms)
r1, r2 = st.columns([1, 2])
noise = r2.slider(
    "Variation noise", 0.0, 1.0, 0.25, 0.05, key="arith_noise", help="Variations are the result plus this much N(0, 1) noise."
)
n_var = int(r2.slider("Variations", 0, 15, 7, key="arith_nvar"))
zs = torch.cat([result[None], variations(result, n_var, noise, seed=1)]) if n_var else result[None]
labels = [label] * zs.shape[0] if G.num_classes else None
samples = state.render_latents(snap, zs.numpy(), labels)
with r1:
    show(samples[:1], spec, 1, f"result: {expr.lstrip('+ ')}", key="arith_result")
with r2:
    if n_var:
        show(samples[1:], spec, min(8, n_var), f"{n_var} variations around the result", key="arith_vars")
entry = lat.entry_from_vector(f"result {expr.lstrip('+ ')}", result.numpy(), label)
lat.send_buttons(entry, key="arith_send")
provs = [provenance(entry if i == 0 else None, z, {"expression": expr, "variation": i}) for i, z in enumerate(zs.numpy())]
export_row(
    samples,
    spec,
    zs.numpy(),
    provs,
    key="arith_export",
    stem="arithmetic",
    nrow=8,
)
