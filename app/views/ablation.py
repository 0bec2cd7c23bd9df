"""Ablation page: the MLP tutorial's 8 combinations of Adam / LeakyReLU / LayerNorm side by side."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from app import export, hosting, state
from app.charts import curves
from app.components.export_buttons import download
from app.components.samples_view import show
from app.render import seed_latents
from models import CheckpointError, load_classifier
from pipelines import metrics as registry
from pipelines import runs
from pipelines.ablation import ABLATION_NAME, ABLATION_PREFIX
from pipelines.classifier import class_coverage, default_classifier_path

TABLE_METRICS = ("diversity", "near_duplicates", "fd", "duplicates")  # of the final snapshot, from its metric records

st.title("MLP ablation")
st.markdown(
    "*Make Your Own GAN* fixed its collapsing MNIST GAN with LeakyReLU, LayerNorm and Adam. Each run "
    "below trains the same 100-200-784 network with one combination (BCE, 4 epochs on 10,000 images). "
    "Coverage: how many of the 10 digits the MNIST classifier finds among 100 samples."
)
found = [p for p in state.discover_runs() if ABLATION_NAME.fullmatch(p.name)]


def _unusable(run: Path, snaps: list) -> str | None:
    """Why a run cannot be shown (no readable snapshot, or its last one does not load), else None."""
    if not snaps:
        return f"{run}: no readable snapshot"
    try:
        state.get_generator(snaps[-1][0])
    except (CheckpointError, OSError) as e:
        return str(e)
    return None


latest, problems = {}, []
for p in found:
    snaps = state.good_snapshots(p)
    problem = _unusable(p, snaps)
    if problem:
        problems.append(problem)
    else:
        latest[p] = snaps[-1][0]
if problems:
    st.warning("Left out:  \n" + "  \n".join(problems))
found = list(latest)
if not found:
    st.info(
        hosting.for_visitor(
            "No ablation runs found. Train them with `ganscope-ablation --data-dir PATH --out runs`.",
            "No ablation runs are shared on this dashboard.",
        )
    )
    st.stop()


@st.cache_data(show_spinner="Reading samples with the MNIST classifier…")
def _coverage(snapshot: str, stamp: tuple) -> dict:
    G, _ = state.generator(snapshot, stamp)
    model, _ = load_classifier(default_classifier_path("mnist"))
    return class_coverage(G, model, 100)


shown_as = state.short_names(found)
rows = []
for p in found:
    snap = latest[p]
    cov = _coverage(str(snap), state.stamp(snap))
    last = registry.latest(runs.read_metrics(p))  # the trainer's and the evaluator's records of the final snapshot
    opt, act, ln = p.name.removeprefix(ABLATION_PREFIX).split("-")
    rows.append(
        {
            "run": shown_as[str(p)],
            "optimiser": opt,
            "activation": act,
            "LayerNorm": ln == "ln",
            "digits covered": cov["classes"],
            "confidence": round(cov["confidence"], 3),
            **{name: registry.value(last, name) for name in TABLE_METRICS},
        }
    )
table = pd.DataFrame(rows).sort_values(["digits covered", "confidence"], ascending=False)
st.dataframe(
    table,
    hide_index=True,
    key="ablation_table",
    column_config={
        n: st.column_config.NumberColumn(
            n, help=f"{registry.METRICS[n].meaning} ({registry.METRICS[n].direction})", format="%.4g"
        )
        for n in TABLE_METRICS
    },
)

cols = st.columns(4)
for i, p in enumerate(found):
    snap = latest[p]
    G, _ = state.get_generator(snap)
    z = seed_latents(G, range(16)).numpy()
    samples = state.render_latents(snap, z)
    with cols[i % 4]:
        grid = show(samples, G.output, 4, shown_as[str(p)].removeprefix(ABLATION_PREFIX), key=f"abl_{p}")
        if grid is not None:
            prov = {"run": str(p), "snapshot": str(snap), "seeds": list(range(16)), "latents": z.round(6).tolist()}
            download("PNG", partial(export.png_bytes, grid, prov), f"{p.name}.png", "image/png", key=f"abl_png_{p}")
field = st.selectbox("Curve", ["g_loss", "d_loss_real", "d_loss_fake", "d_acc_real", "d_acc_fake"], key="abl_field")
st.plotly_chart(
    curves(
        {shown_as[str(p)].removeprefix(ABLATION_PREFIX): runs.read_log(p) for p in found},
        (field,),
        0.9,
        title=f"{field} of every run",
    ),
    key="abl_curves",
)
