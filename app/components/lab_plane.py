"""The Lab's figures (plotly): the 2-D plane with its layers, the 1-D figure of Goodfellow et al. 2014,
the drawing pad, and the loss and divergence charts with the diagnosis bands. Pure functions of
``pipelines.lab.views.Frame`` and log records; the page only places them."""

from __future__ import annotations

import numpy as np

from app.charts import VERDICT_COLOURS, bands, curves
from app.plotting import go
from pipelines.lab.data import Axes
from pipelines.lab.views import Frame

LAYERS = ("real", "fake", "D's surface", "manifold", "arrows")
REAL, FAKE, MANIFOLD, ARROW = "#1a9850", "#7b3294", "rgba(123,50,148,0.35)", "#d95f02"


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y arrays drawing a line from each start to its end (NaN, drawn as a gap, between segments).
    Arrays, not lists with None: plotly validates a list element by element (130 ms a frame, measured)."""
    n = len(starts)
    xs, ys = np.full(n * 3, np.nan), np.full(n * 3, np.nan)
    xs[0::3], xs[1::3] = starts[:, 0], ends[:, 0]
    ys[0::3], ys[1::3] = starts[:, 1], ends[:, 1]
    return xs, ys


def lattice_lines(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A deformed grid (L, L, 2) or a polyline (L, 2) as one line trace's x and y (NaN between lines)."""
    lines = [m] if m.ndim == 2 else [m[i] for i in range(m.shape[0])] + [m[:, j] for j in range(m.shape[1])]
    gap = np.full((1, 2), np.nan)
    joined = np.concatenate([part for line in lines for part in (line, gap)])
    return joined[:, 0], joined[:, 1]


def arrow_ends(fr: Frame) -> np.ndarray:
    """Arrow tips: each arrow's length relative to the longest, which spans 12% of the view."""
    g = fr.arrows
    span = fr.axes.x[1] - fr.axes.x[0]
    longest = max(float(np.linalg.norm(g, axis=1).max()), 1e-12)
    return fr.fake + g / longest * 0.12 * span


def _fixed_axes(fig: go.Figure, axes: Axes, height: int, title: str) -> None:
    fig.update_layout(
        title={"text": title, "font": {"size": 13}},
        height=height,
        margin={"l": 40, "r": 10, "t": 36, "b": 30},
        showlegend=False,
        uirevision="lab",  # keep zoom across redraws
        xaxis={"range": list(axes.x), "autorange": False, "zeroline": False, "automargin": False},
        yaxis={"range": list(axes.y) if axes.y else None, "autorange": axes.y is None, "zeroline": False, "automargin": False},
        plot_bgcolor="white",
    )


def plane(fr: Frame, layers, title: str, height: int = 460) -> go.Figure:
    """The 2-D plane: D's surface as a heatmap, G's manifold, real and fake points, gradient arrows."""
    fig = go.Figure()
    if "D's surface" in layers and fr.surface is not None:
        xs, ys, v = fr.surface
        fig.add_trace(
            go.Heatmap(
                x=xs, y=ys, z=v, colorscale="PRGn", zmid=fr.midpoint, showscale=False, opacity=0.55, hoverinfo="skip", name="D"
            )
        )
    if "manifold" in layers and fr.manifold is not None:
        mx, my = lattice_lines(fr.manifold)
        fig.add_trace(
            go.Scatter(x=mx, y=my, mode="lines", line={"color": MANIFOLD, "width": 1}, hoverinfo="skip", name="G manifold")
        )
    if "real" in layers:
        fig.add_trace(
            go.Scatter(x=fr.real[:, 0], y=fr.real[:, 1], mode="markers", marker={"color": REAL, "size": 4}, name="real")
        )
    if "fake" in layers:
        fig.add_trace(
            go.Scatter(x=fr.fake[:, 0], y=fr.fake[:, 1], mode="markers", marker={"color": FAKE, "size": 5}, name="fake")
        )
    if "arrows" in layers and fr.arrows is not None:
        ax, ay = _segments(fr.fake, arrow_ends(fr))
        fig.add_trace(go.Scatter(x=ax, y=ay, mode="lines", line={"color": ARROW, "width": 1}, hoverinfo="skip", name="arrows"))
    _fixed_axes(fig, fr.axes, height, title)
    fig.update_yaxes(scaleanchor="x", scaleratio=1) if fr.axes.x == fr.axes.y else None
    fig.update_layout(width=height)  # square, as the picture drawn while playing (lab_raster): Pause does not jump
    return fig


def _density(values: np.ndarray, axes: Axes, bins: int = 60) -> tuple[np.ndarray, np.ndarray]:
    counts, edges = np.histogram(values, bins=bins, range=axes.x, density=True)
    return 0.5 * (edges[:-1] + edges[1:]), counts


def line_1d(fr: Frame, layers, title: str, noise: str, height: int = 420) -> go.Figure:
    """Goodfellow et al. 2014, Fig. 1: real density (green), G's density (purple), D(x) (dashed), and
    lines from z (the lower axis, noise stretched over the view) to G(z) (the x axis)."""
    fig = go.Figure()
    lo, hi = fr.axes.x
    if "real" in layers:
        x, d = _density(fr.real[:, 0], fr.axes)
        fig.add_trace(go.Scatter(x=x, y=d, mode="lines", line={"color": REAL, "width": 2}, name="real density"))
    if "fake" in layers:
        x, d = _density(fr.fake[:, 0], fr.axes)
        fig.add_trace(go.Scatter(x=x, y=d, mode="lines", line={"color": FAKE, "width": 2}, name="G's density"))
    if "D's surface" in layers and fr.surface is not None:
        xs, _, v = fr.surface
        fig.add_trace(go.Scatter(x=xs, y=v, mode="lines", line={"color": "#2166ac", "dash": "dash"}, name="D(x)"))
    if "manifold" in layers:
        z = fr.z[:48, 0]
        zx = lo + (hi - lo) * (z if noise == "uniform" else (np.clip(z, -2, 2) + 2) / 4)
        starts = np.stack([zx, np.full_like(zx, -0.35)], 1)
        ends = np.stack([fr.fake[:48, 0], np.zeros_like(zx)], 1)
        sx, sy = _segments(starts, ends)
        fig.add_trace(
            go.Scatter(x=sx, y=sy, mode="lines", line={"color": MANIFOLD, "width": 1}, name="z → G(z)", hoverinfo="skip")
        )
    _fixed_axes(fig, fr.axes, height, title)
    fig.update_layout(showlegend=True, legend={"orientation": "h"}, yaxis={"range": [-0.4, 1.6], "autorange": False})
    return fig


def drawing_pad(drawn, axes: Axes, n: int = 41) -> go.Figure:
    """A plane of faint clickable points: click, box- or lasso-select them to add data points."""
    t = np.linspace(axes.x[0] + 0.1, axes.x[1] - 0.1, n)
    gx, gy = np.meshgrid(t, t)
    fig = go.Figure(
        go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", marker={"size": 6, "color": "rgba(0,0,0,0.06)"}, name="pad")
    )
    if drawn:
        pts = np.array(drawn)
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", marker={"size": 8, "color": REAL}, name="drawn"))
    _fixed_axes(fig, axes, 380, f"Drawn points: {len(drawn)} (click, or box/lasso select to add)")
    fig.update_layout(dragmode="lasso", clickmode="event+select")
    return fig


def _fixed_margins(fig: go.Figure) -> go.Figure:
    """Margins that fit the axis labels and the legend below, set once: plotly otherwise measures them after
    drawing and draws again (``doAutoMargin``, a third of the browser's work on a redraw, profiled)."""
    fig.update_layout(margin={"l": 50, "r": 10, "t": 40, "b": 100, "autoexpand": False}, height=300)
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    return fig


CHART_POINTS = 1200  # points per line at most (``decimate``): a lab played for minutes logs tens of thousands


def verdict_spans(windows) -> list[tuple[int, int, str]]:
    """(start, end, verdict) of each run of consecutive windows with the same verdict, as one band: a lab played
    for 10 minutes has hundreds of windows, and a shape per window cost the server and the browser each redraw."""
    spans: list[tuple[int, int, str]] = []
    for w in windows:
        if spans and spans[-1][2] == w.verdict:
            spans[-1] = (spans[-1][0], w.end, w.verdict)
        else:
            spans.append((w.start, w.end, w.verdict))
    return spans


def loss_chart(logs: dict[str, list[dict]], windows) -> go.Figure:
    """D and G losses over iterations with the diagnosis of each window as a coloured band."""
    fig = curves(logs, ("d_loss_real", "d_loss_fake", "g_loss"), 0.3, title="Losses, with the verdict of each window",
                 max_points=CHART_POINTS)  # fmt: skip
    spans = verdict_spans(windows)
    bands(fig, [(a, b, VERDICT_COLOURS[v], "") for a, b, v in spans])
    for verdict in dict.fromkeys(v for _, _, v in spans):  # a key for each band colour shown, in the legend
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"band: {verdict.replace('_', ' ')}",
                                 marker={"symbol": "square", "size": 12, "color": VERDICT_COLOURS[verdict],
                                         "line": {"color": "grey", "width": 1}}))  # fmt: skip
    fig.update_layout(xaxis_title="iteration")
    return _fixed_margins(fig)


def divergence_chart(divs: dict[str, list[dict]]) -> go.Figure:
    """KL and JS between the real and fake histograms over iterations (a line per lab and measure)."""
    fig = curves(divs, ("kl", "js"), 0.0, title="KL(real‖fake) and JS between the histograms (0 = same)",
                 max_points=CHART_POINTS)  # fmt: skip
    fig.update_layout(xaxis_title="iteration")
    return _fixed_margins(fig)
