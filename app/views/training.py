"""Training page: the run's training curves (and other runs' overlaid), smoothed, over a step range."""

from __future__ import annotations

import streamlit as st

from app import state
from app.charts import GROUPS, curves
from app.components.fork_views import mark_forks, with_parents
from app.components.metric_charts import metric_charts
from pipelines import metrics as registry
from pipelines import runs

st.title("Training")
current = str(state.require_run())
available = [str(p) for p in state.discover_runs()]
if current and current not in available:
    available.insert(0, current)
if not available:
    st.info("No runs yet: train one with ganscope-train.")
    st.stop()
defaults, _ = with_parents([current] if current else available[:1])  # a fork's parent is overlaid
available += [r for r in defaults if r not in available]
chosen = st.multiselect("Runs", available, default=defaults, key="train_runs", format_func=state.run_label)
if not chosen:
    st.info("Pick at least one run.")
    st.stop()
_, forks = with_parents(chosen)  # where each fork starts, marked on the curves
shown_as = state.short_names(chosen)
logs = {shown_as[r]: runs.read_log(r) for r in chosen}
imported = [shown_as[r] for r in chosen if runs.read_source(r) is not None and not logs[shown_as[r]]]
if imported:
    st.info(
        f"No training log for {', '.join(imported)}: imported runs were trained elsewhere, so there are no curves to show. "
        "Pick a run trained with ganscope-train to see its training."
    )
empty = [name for name, recs in logs.items() if not recs and name not in imported]
if empty:
    st.warning(f"No training log yet in: {', '.join(empty)}")
logs = {k: v for k, v in logs.items() if v}
if not logs:
    st.stop()
last = max(recs[-1]["step"] for recs in logs.values())
c1, c2 = st.columns(2)
smoothing = c1.slider("Smoothing (EMA weight of the past)", 0.0, 0.99, 0.6, 0.01, key="train_smooth")
lo, hi = c2.slider("Steps", 0, int(last), (0, int(last)), key="train_range") if last > 0 else (0, 0)
for title, fields in GROUPS.items():
    fig = curves(logs, fields, smoothing, (lo, hi), title)
    mark_forks(fig, forks, shown_as)
    st.plotly_chart(fig, key=f"curve_{title}")

st.subheader("Metrics per snapshot")
kinds = {r: runs.read_config(r).model.output.kind for r in chosen}  # each run's metrics that apply to its output
metric_charts({shown_as[r]: list(registry.by_snapshot(runs.read_metrics(r), kinds[r]).values()) for r in chosen}, key="metrics")
