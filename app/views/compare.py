"""Compare page: the same seeds through every snapshot of a run, and two runs side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app import state
from app.components.d_scores import caption_scores
from app.components.export_buttons import export_row, provenance
from app.components.film import film_row
from app.components.fork_views import parent_and_fork
from app.components.samples_view import show
from app.render import seed_latents
from models import CheckpointError
from pipelines import live, runs
from pipelines import metrics as registry
from pipelines.ablation import ABLATION_PREFIX


def _likeness(path: Path, this) -> tuple[int, ...]:
    """Sort key of a candidate "other run" for a run of config ``this`` (a ``TrainConfig``): the same dataset
    first, then the same output (kind and shape), the same latent space (so the same seeds mean the same
    latents), the same architecture, and a run of the optimiser/activation ablation last."""
    try:
        c = runs.read_config(path)
    except runs.RunError:
        return (9,)
    m, t = c.model, this.model
    out = lambda cfg: (cfg.output.kind, tuple(cfg.output.shape)) if hasattr(cfg, "output") else ()  # noqa: E731
    return (
        c.dataset != this.dataset,
        out(m) != out(t),
        (m.z_dim, m.latent_dist) != (t.z_dim, t.latent_dist),
        type(m) is not type(t),
        path.name.startswith(ABLATION_PREFIX),
    )


st.title("Compare")
G, cfg = state.current_generator()
run_dir = state.require_run()
c1, c2 = st.columns(2)
start = int(c1.number_input("First seed", 0, 2**31 - 1 - 16, 0, key="cmp_seed"))
count = int(c2.slider("Seeds", 1, 12, 8, key="cmp_count"))
seeds = list(range(start, start + count))
z = seed_latents(G, seeds).numpy()
labels = [i % G.num_classes for i in range(count)] if G.num_classes else None

st.subheader("Evolution over training")
snaps = state.good_snapshots(run_dir)
metrics = registry.by_snapshot(runs.read_metrics(run_dir), G.output.kind)  # the trainer's and ganscope-evaluate's records, merged
order = st.selectbox(
    "Order snapshots by",
    ["training step"] + registry.present(metrics),
    key="cmp_order",
    format_func=lambda n: n if n == "training step" else f"{n} ({registry.METRICS[n].direction}, best first)",
)
if order != "training step":
    st.caption(f"**{order}**: {registry.METRICS[order].meaning}. Snapshots without it come last.")
    snaps = registry.best_first(snaps, order, lambda pm: metrics.get(pm[0].name, {}))
changed = live.verdict_changes(runs.read_log(run_dir), [m.get("step") or 0 for _, m in snaps])
rows, provs, zs = [], [], []
for path, meta in snaps:
    samples = state.render_latents(path, z, labels)
    rows.append(samples)
    extra = registry.value(metrics.get(path.name, {}), order) if order != "training step" else None
    cap = f"step {meta.get('step')} · epoch {meta.get('epoch')}" + (f" · {order} {extra:.4f}" if extra is not None else "")
    cap += caption_scores(str(path), z, labels, G.output)  # D's score of each sample, where the run kept its D
    if (meta.get("step") or 0) in changed:  # the diagnosis of the log changed its verdict by this snapshot
        cap += f" · :warning: verdict changed: {changed[meta.get('step') or 0]}"
    show(samples, G.output, count, cap, key=f"evo_{path.name}")
    provs += [{**provenance(s, zi), "snapshot": str(path)} for s, zi in zip(seeds, z, strict=True)]
    zs.append(z)
allsamples = np.concatenate(rows)
export_row(
    allsamples,
    G.output,
    np.concatenate(zs),
    provs,
    key="cmp_export",
    stem="evolution",
    nrow=count,
)
film_row(rows, [m.get("step") or 0 for _, m in snaps], G.output, count, key="cmp_film")
parent_and_fork(run_dir, z, labels, G.output, count)

st.subheader("Two runs side by side")
try:
    this_run = runs.read_config(run_dir)
except runs.RunError:
    this_run = None
others = sorted(  # runs of the same dataset and output first (then latent space, architecture; ablation runs last)
    (p for p in state.discover_runs() if p != run_dir and any((p / runs.SNAPSHOTS).glob("*.safetensors"))),
    key=lambda p: _likeness(p, this_run) if this_run else (0,),
)
if not others:
    st.caption("Only one run is available.")
    st.stop()
other = Path(st.selectbox("Other run", [str(p) for p in others], key="cmp_other", format_func=state.run_label))
readable = state.good_snapshots(other)
other_latest = readable[-1][0] if readable else None
if not readable:
    st.error(f"Cannot load {other.name}: none of its snapshots can be read. Pick another run.")
    st.stop()
try:
    G2, cfg2 = state.get_generator(other_latest)
except (CheckpointError, runs.RunError) as e:
    st.error(f"Cannot load {other.name}: {e}. Pick another run.")
    st.stop()
if G2.z_dim != G.z_dim or G2.latent_dist != G.latent_dist:
    st.warning(
        f"{other.name} has a different latent space (z {G2.z_dim}, {G2.latent_dist}) from this run "
        f"(z {G.z_dim}, {G.latent_dist}): the same seeds mean different latents, shown anyway."
    )
left, right = st.columns(2)
with left:
    show(
        state.render_latents(max(snaps, key=lambda pm: pm[1].get("step") or 0)[0], z, labels),
        G.output,
        min(count, 4),
        f"{run_dir.name} (latest shown above)",
        key="cmp_left",
    )
with right:
    z2 = seed_latents(G2, seeds).numpy()
    labels2 = [i % G2.num_classes for i in range(count)] if G2.num_classes else None
    show(
        state.render_latents(other_latest, z2, labels2),
        G2.output,
        min(count, 4),
        f"{other.name} (latest snapshot)",
        key="cmp_right",
        run_dir=other,
    )
