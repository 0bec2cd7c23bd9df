"""Metrics per snapshot as small charts, one per registered metric, each on its own y-axis."""

from __future__ import annotations

import streamlit as st

from app.charts import metric_figure
from pipelines import metrics as registry

PER_ROW = 3


def metric_charts(series: dict[str, list[dict]], key: str) -> list[str]:
    """Draw one small chart per registered metric found in ``series`` ({run: merged records in step
    order}); returns the metrics drawn (empty: nothing recorded, and a caption says so)."""
    names = registry.present([r for recs in series.values() for r in recs])
    if not names:
        st.caption("No metrics recorded for " + ("these runs." if len(series) > 1 else "this run."))
        return []
    for i in range(0, len(names), PER_ROW):
        cols = st.columns(PER_ROW)
        for col, name in zip(cols, names[i : i + PER_ROW], strict=False):
            m = registry.METRICS[name]
            col.plotly_chart(metric_figure(series, name, f"{name} ({m.direction})"), key=f"{key}_{name}")
            col.caption(m.meaning)
    return names
