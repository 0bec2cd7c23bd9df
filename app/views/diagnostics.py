"""Diagnostics page: the run's verdict with its evidence, verdict windows on the training curves,
metrics per snapshot, the best snapshot by a metric, and nearest training images (memorisation)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app import export, hosting, state
from app.charts import VERDICT_COLOURS, bands, curves
from app.components.d_view import discriminator_view
from app.components.export_buttons import download
from app.components.metric_charts import metric_charts
from app.components.samples_view import grid_image, grid_png
from app.render import seed_latents
from models import load_classifier
from models.spec import M11, from_unit
from pipelines import metrics as registry
from pipelines import runs
from pipelines.classifier import default_classifier_path
from pipelines.data import DataError, load_dataset, to_range
from pipelines.diagnose import BANDS, RULES, diagnose_run
from pipelines.evaluate import inception_status, nearest_training, run_kind

st.title("Diagnostics")
G, _ = state.current_generator()
run_dir = state.require_run()
cfg = runs.read_config(run_dir)
source = runs.read_source(run_dir)
if source is not None and not runs.read_log(run_dir):
    st.info(
        f"{run_dir.name} was imported from {source.get('file', 'a file')}: it has no training log, so there are no "
        "verdicts, curves or per-snapshot metrics. `ganscope-evaluate` can measure its samples; the Samples, "
        "Interpolate and Directions pages show what it learned."
    )
    st.stop()
try:
    dx = diagnose_run(run_dir)
except ValueError as e:
    st.error(f"Cannot diagnose {run_dir.name}: {e}. Pick a run that has a training log.")
    st.stop()

st.subheader(f"Verdict: {dx.verdict.replace('_', ' ')}")
st.dataframe(
    pd.DataFrame(
        [
            {
                "rule": e.rule,
                "value": round(e.value, 4),
                "threshold": str(e.threshold),
                "steps": f"{e.steps[0]}–{e.steps[1]}",
                "meaning": e.note,
            }
            for e in dx.evidence
        ]
    ),
    hide_index=True,
    key="dx_evidence",
)
with st.expander("Rules and thresholds"):
    band = BANDS.get(cfg.loss)
    st.markdown(
        f"Healthy band of this run's loss ({cfg.loss}): "
        + (
            f"each of D's terms {band.d_term[0]}–{band.d_term[1]}, G's loss {band.g[0]}–{band.g[1]}; at equilibrium "
            f"{band.equilibrium}."
            if band
            else "none (a critic's loss has no fixed healthy value)."
        )
    )
    st.json(RULES)

log = runs.read_log(run_dir)
for title, fields in {
    "Losses": ("d_loss_real", "d_loss_fake", "g_loss"),
    "Discriminator accuracy": ("d_acc_real", "d_acc_fake"),
}.items():
    fig = curves({run_dir.name: log}, fields, 0.6, title=f"{title}, with the verdict of each window")
    spans = [
        (w.start, w.end, VERDICT_COLOURS[w.verdict], w.verdict.replace("_", " ") if title == "Losses" else "") for w in dx.windows
    ]
    bands(fig, spans)
    st.plotly_chart(fig, key=f"dx_{title}")

st.subheader("Metrics per snapshot")
merged = list(registry.by_snapshot(runs.read_metrics(run_dir), G.output.kind).values())
keys = metric_charts({run_dir.name: merged}, key="dx_metric")
shipped = {p.name for p, _ in state.good_snapshots(run_dir)}
kept = [r for r in merged if r.get("snapshot") in shipped]  # records of snapshots the run no longer has are not "best"
best_keys = [k for k in keys if any(registry.value(r, k) is not None for r in kept)]
if best_keys:
    chosen = st.selectbox("Best snapshot by", best_keys, index=best_keys.index(registry.default_order(best_keys)),
                          key="dx_best_metric")  # fmt: skip
    info = registry.METRICS[chosen]
    best = registry.best_first(kept, chosen, lambda r: r)[0]
    counted = f" on {best['samples']:,} samples" if best.get("samples") else ""
    st.markdown(
        f"Best of the {len(shipped)} snapshots the run has, by **{chosen}** ({info.direction}): step **{best['step']}** "
        f"with {registry.value(best, chosen):.4f}{counted}. {info.meaning}."
    )
if not run_kind(cfg.dataset):
    st.caption(
        f"Feature metrics (ganscope-evaluate) need a feature space: a domain classifier (MNIST, Fashion-MNIST), "
        f"MTCNN's O-Net (face folders) or a toy dataset's own metrics; none for {cfg.dataset}. "
        f"Inception features: {inception_status()}."
    )

discriminator_view(run_dir, cfg, G, st.session_state["snapshot"])  # where the run kept its D at this snapshot

st.subheader("Nearest training images")
if G.output.kind != "image" or cfg.dataset not in ("mnist", "fashion-mnist", "folder"):
    st.caption("The memorisation check compares generated images with the training images; this run has none.")
    st.stop()
try:
    default_dir, looked = str(runs.resolve_data_dir(run_dir, cfg.data_dir)), ""
except DataError as e:
    default_dir, looked = cfg.data_dir, str(e)
if st.session_state.get("dx_data_for") != str(run_dir):  # a new run: its own data folder
    st.session_state["dx_data_for"] = str(run_dir)
    st.session_state["dx_data_dir"] = default_dir
st.session_state.setdefault("dx_data_dir", default_dir)  # widget state is dropped while another page shows
data_dir = st.text_input(
    "Training data folder",
    key="dx_data_dir",
    disabled=not hosting.path_box_shown(),
    help=f"the run's config says {cfg.data_dir!r}",
)
refused = None if data_dir == default_dir else hosting.refusal(data_dir, data_dir, "Use the run's own data folder.")
if refused:
    st.error(refused)
    st.stop()


@st.cache_data(show_spinner="Loading training images…", max_entries=4)
def _train_images(dataset: str, data_dir: str, size: int, channels: int) -> np.ndarray:
    return load_dataset(dataset, data_dir, size, channels, limit=10_000).images.numpy()


@st.cache_data(show_spinner=False, max_entries=32)
def _nearest(samples: np.ndarray, dataset: str, data_dir: str, space: str) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances) of each sample's 4 nearest training images, shared by every session (0.3 s each)."""
    train = torch.from_numpy(_train_images(dataset, data_dir, samples.shape[2], samples.shape[1]))
    classifier = load_classifier(default_classifier_path(dataset))[0] if space == "features" else None
    idx, dist = nearest_training(from_unit(torch.from_numpy(samples), M11), to_range(train, M11), k=4, classifier=classifier)[
        space
    ]
    return idx.numpy(), dist.numpy()


if looked and data_dir == default_dir:  # the run's own data folder is not on this machine: say where we looked
    st.info(f"The memorisation check needs the run's training images: {looked}.")
    st.stop()
try:
    train_u8 = torch.from_numpy(_train_images(cfg.dataset, data_dir, G.output.shape[1], G.output.shape[0]))
except DataError as e:
    st.error(f"{e}. Point the box above at the run's training data.")
    st.stop()
c1, c2 = st.columns(2)
first = int(c1.number_input("First seed", 0, 2**31 - 10, 0, key="dx_seed"))
space = c2.radio(
    "Distance in", ["pixels", "features"] if cfg.dataset != "folder" else ["pixels"], horizontal=True, key="dx_space"
)
seeds = list(range(first, first + 6))
z = seed_latents(G, seeds).numpy()
samples = torch.from_numpy(state.render_latents(st.session_state["snapshot"], z, list(range(6)) if G.num_classes else None))
near = _nearest(samples.numpy(), cfg.dataset, data_dir, space)
rows = []
for i, s in enumerate(seeds):
    idx, dist = near[0][i], near[1][i]
    row = torch.cat([samples[i : i + 1], train_u8[idx].float() / 255])
    rows.append(row)
    st.image(
        grid_png(row.numpy(), G.output, 5),  # a PNG made once for every session
        output_format="PNG",
        caption=f"seed {s}, then its 4 nearest of the first {len(train_u8)} training images "
        f"({space} distance " + ", ".join(f"{v:.3f}" for v in dist.tolist()) + ")",
    )
download(
    "PNG of these rows",
    partial(  # encoded on click, not on every run of the page
        export.png_bytes,
        grid_image(torch.cat(rows).numpy(), G.output, 5),
        {
            "run": str(run_dir),
            "snapshot": st.session_state["snapshot"],
            "seeds": seeds,
            "latents": z.round(6).tolist(),
            "nearest_training_indices": near[0].tolist(),
            "distance": space,
        },
    ),
    f"{run_dir.name}-nearest.png",
    "image/png",
    key="dx_png",
)
