"""Training-curve figures: pure functions from log records to plotly figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.plotting import go

GROUPS = {
    "Losses": ("d_loss_real", "d_loss_fake", "g_loss"),
    "Discriminator accuracy": ("d_acc_real", "d_acc_fake"),
    "Gradient norms": ("d_grad_norm", "g_grad_norm"),
}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def ema(values: Sequence[float | None], alpha: float) -> np.ndarray:
    """Exponential moving average (alpha = weight of the past; 0 = raw). Missing values stay NaN."""
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    if alpha <= 0 or v.size == 0:
        return v
    import pandas as pd  # its exponential window is the loop this was, in C (a 2,400-step log: 17 ms → 0.3 ms)

    out = pd.Series(v).ewm(alpha=1 - alpha, adjust=False, ignore_na=True).mean().to_numpy(copy=True)
    out[np.isnan(v)] = np.nan
    return out


def decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """About ``max_points`` of the points that draw the same line at a chart's width: the series cut into
    ``max_points / 2`` buckets, each kept as its lowest and its highest point in their order, and the first and
    last points (min-max decimation, plotly-resampler's MinMax aggregator in numpy), so an oscillation keeps its
    full swing. Missing values (NaN) are never picked; a shorter series comes back as it is."""
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max(max_points // 2, 1)
    k = -(-n // buckets)  # points per bucket
    v = np.full(buckets * k, np.nan)
    v[:n] = y
    rows = v.reshape(buckets, k)
    missing = np.isnan(rows)
    base = np.arange(buckets) * k
    lo = base + np.where(missing, np.inf, rows).argmin(axis=1)
    hi = base + np.where(missing, -np.inf, rows).argmax(axis=1)
    idx = np.unique(np.concatenate([lo, hi]))
    idx = idx[(idx < n) & ~np.isnan(v[idx])]
    idx = np.unique(np.concatenate([[0, n - 1], idx]))
    return x[idx], y[idx]


def curves(
    logs: dict[str, list[dict]],
    fields: Sequence[str],
    smoothing: float,
    step_range: tuple[int, int] | None = None,
    title: str = "",
    max_points: int | None = None,
) -> go.Figure:
    """One line per (run, field); runs told apart by dash, fields by colour; each line cut to about
    ``max_points`` points (``decimate``) when given."""
    fig = go.Figure()
    for r, (run, records) in enumerate(logs.items()):
        recs = [x for x in records if step_range is None or step_range[0] <= x["step"] <= step_range[1]]
        steps = np.array([x["step"] for x in recs])  # arrays, not lists: plotly checks a list value by value (0.3 s a chart)
        for field in fields:
            xs, ys = steps, ema([x.get(field) for x in recs], smoothing)
            if max_points:
                xs, ys = decimate(xs, ys, max_points)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=f"{run}: {field}" if len(logs) > 1 else field,
                    line={"dash": DASHES[r % len(DASHES)]},
                )
            )
    fig.update_layout(
        title=title,
        xaxis_title="step",
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.35},  # below the axis title, not on it
    )
    return fig


def metric_figure(series: dict[str, list[dict]], name: str, title: str) -> go.Figure:
    """One metric over training: one line per run, from its merged per-snapshot records (``pipelines.metrics.
    by_snapshot``), on an axis of its own, so a metric in the hundreds never flattens one between 0 and 1."""
    fig = go.Figure()
    for run, records in series.items():
        pts = [(r["step"], r[name]) for r in records if isinstance(r.get(name), (int, float)) and r.get("step") is not None]
        if pts:
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers", name=run))
    fig.update_layout(
        title={"text": title, "font": {"size": 13}},
        xaxis_title="step",
        height=230,
        margin={"l": 10, "r": 10, "t": 36, "b": 10},
        showlegend=len(series) > 1,
        legend={"orientation": "h"},
    )
    return fig


VERDICT_COLOURS = {  # each verdict's band, on Diagnostics and in the Lab alike
    "stable": "rgba(46,160,67,0.12)",
    "unbalanced": "rgba(188,189,34,0.2)",
    "mode_collapse": "rgba(214,39,40,0.18)",
    "convergence_failure": "rgba(148,103,189,0.2)",
    "oscillation": "rgba(255,127,14,0.18)",
    "diverged": "rgba(0,0,0,0.25)",
}


def bands(fig: go.Figure, spans: Sequence[tuple[float, float, str, str]]) -> go.Figure:
    """Shade x-spans (start, end, fill colour, label or "") over the whole height of ``fig``, labelled at their
    top left, in one layout update: plotly's ``add_vrect`` validates the figure once per span (0.04 s each)."""
    shapes = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b, "y0": 0, "y1": 1, "fillcolor": c, "line": {"width": 0},
         "layer": "below"}
        for a, b, c, _ in spans
    ]  # fmt: skip
    notes = [
        {"x": a, "y": 1, "xref": "x", "yref": "paper", "text": t, "showarrow": False, "xanchor": "left", "yanchor": "top",
         "font": {"size": 9}}
        for a, _, _, t in spans
        if t
    ]  # fmt: skip
    fig.update_layout(shapes=list(fig.layout.shapes) + shapes, annotations=list(fig.layout.annotations) + notes)
    return fig
