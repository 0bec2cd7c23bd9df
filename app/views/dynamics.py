"""Dynamics page: the game f(x, y) = x·y and the Dirac-GAN, to see why GAN training is hard and what fixes it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.plotting import go, qualitative
from pipelines.dynamics import DIRAC_METHODS, METHODS, dirac_field, dirac_trajectory, simulate

# One colour per update rule, the same in every chart of this page.
COLOURS = dict(zip([*METHODS], qualitative.D3, strict=False))
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
VIEW = 2.5  # the Dirac-GAN plane shown: [−VIEW, VIEW]², fixed


def _path(fig: go.Figure, p: np.ndarray, name: str) -> None:
    fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines", name=name, line={"color": COLOURS[name], "width": 2}))
    fig.add_trace(
        go.Scatter(
            x=p[-1:, 0], y=p[-1:, 1], mode="markers", marker={"color": COLOURS[name], "size": 8}, showlegend=False, name=name
        )
    )


def _arrows(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, length: float) -> go.Scatter:
    """A quiver plot as one line trace (segments and two-stroke heads, NaN between): plotly's figure_factory
    quiver builds the same in Python loops, 0.7 s for a 17×17 grid."""
    x1, y1 = x + length * u, y + length * v
    head = 0.35 * length
    left = (x1 - head * (u * np.cos(0.4) - v * np.sin(0.4)), y1 - head * (v * np.cos(0.4) + u * np.sin(0.4)))
    right = (x1 - head * (u * np.cos(0.4) + v * np.sin(0.4)), y1 - head * (v * np.cos(0.4) - u * np.sin(0.4)))
    gap = np.full_like(x, np.nan)
    xs = np.stack([x, x1, gap, left[0], x1, right[0], gap], axis=1).ravel()
    ys = np.stack([y, y1, gap, left[1], y1, right[1], gap], axis=1).ravel()
    return go.Scatter(x=xs, y=ys, mode="lines", name="gradient field", line={"color": "#9a9a9a", "width": 1}, hoverinfo="skip")


def _equilibrium(fig: go.Figure) -> None:
    fig.add_trace(
        go.Scatter(x=[0], y=[0], mode="markers", marker={"symbol": "x", "size": 12, "color": "black"}, name="equilibrium")
    )


def _over_time(paths: dict[str, np.ndarray], names: tuple[str, str], title: str) -> go.Figure:
    """Both coordinates over the steps: one colour per update rule, the first coordinate solid, the second dotted."""
    fig = go.Figure()
    for m, p in paths.items():
        for i, (dash, coord) in enumerate((("solid", names[0]), ("dot", names[1]))):
            fig.add_trace(go.Scatter(y=p[:, i], mode="lines", name=f"{m}: {coord}", line={"color": COLOURS[m], "dash": dash}))
    fig.update_layout(title=title, xaxis_title="step", height=450, margin=MARGIN)
    return fig


st.title("Adversarial dynamics")
st.subheader("The game x·y")
st.markdown(
    "Player **x** minimises f(x, y) = x·y and player **y** maximises it; the only equilibrium is "
    "(0, 0). A GAN is this game with millions of parameters: each player follows its own gradient."
)
c1, c2, c3, c4 = st.columns(4)
lr = c1.slider("Learning rate", 0.01, 0.5, 0.1, 0.01, key="dyn_lr")
x0 = c2.slider("Start x", -2.0, 2.0, 1.0, 0.1, key="dyn_x0")
y0 = c3.slider("Start y", -2.0, 2.0, 1.0, 0.1, key="dyn_y0")
steps = int(c4.slider("Steps", 10, 500, 150, 10, key="dyn_steps"))
methods = st.multiselect(
    "Update rules", list(METHODS), default=["simultaneous", "alternating", "extragradient"], key="dyn_methods"
)
for m in methods:
    st.caption(f"**{m}**: {METHODS[m]}")
if not methods:
    st.info("Pick at least one update rule.")
else:
    paths = {m: simulate(m, x0, y0, lr, steps) for m in methods}
    plane = go.Figure()
    for m, p in paths.items():
        _path(plane, p, m)
    _equilibrium(plane)
    plane.update_layout(
        title="Path in the (x, y) plane", xaxis_title="x", yaxis_title="y", height=450, yaxis={"scaleanchor": "x"}, margin=MARGIN
    )
    left, right = st.columns(2)
    left.plotly_chart(plane, key="dyn_plane")
    right.plotly_chart(_over_time(paths, ("x", "y"), "x and y over time"), key="dyn_time")
    cols = st.columns(len(paths))
    for col, (m, p) in zip(cols, paths.items(), strict=True):
        r0, r1 = np.hypot(*p[0]), np.hypot(*p[-1])
        col.metric(f"{m}: distance to (0, 0)", f"{r1:.3g}", f"{r1 - r0:+.3g}", delta_color="inverse")

st.subheader("The Dirac-GAN")
st.markdown(
    "The smallest real GAN (Mescheder et al. 2018, *Which training methods for GANs do actually converge?*): the "
    "data is one point at 0, the generator puts its point at **θ**, the discriminator is D(x) = **ψ**·x. The "
    "arrows are the direction gradient steps move (θ, ψ); the equilibrium is (0, 0). Pick a method and watch "
    "whether the paths reach it."
)
d1, d2, d3, d4 = st.columns(4)
method = d1.selectbox("Method", list(DIRAC_METHODS), format_func=lambda k: DIRAC_METHODS[k].label, key="dirac_method")
spec = DIRAC_METHODS[method]
d_lr = d2.slider("Step size", 0.01, 1.0, 0.1, 0.01, key="dirac_lr")
d_steps = int(d3.slider("Steps", 10, 2000, 300, 10, key="dirac_steps"))
param = (
    d4.slider(spec.param, 0.0, 3.0, spec.default, 0.05, key=f"dirac_param_{method}")
    if spec.param
    else d4.slider("γ / σ (not used by this method)", 0.0, 3.0, 0.0, disabled=True, key="dirac_param_none")
)
e1, e2, e3 = st.columns([2, 1, 1])
both = ["simultaneous", "alternating"]
rules = e1.multiselect("Update rules (Dirac-GAN)", both, default=both, key="dirac_rules")
th0 = e2.slider("Start θ", -2.0, 2.0, 1.0, 0.1, key="dirac_th0")
ps0 = e3.slider("Start ψ", -2.0, 2.0, 1.0, 0.1, key="dirac_ps0")
st.caption(f"**{spec.label}**: {spec.meaning}")

grid = np.linspace(-VIEW * 0.9, VIEW * 0.9, 17)
t, p = np.meshgrid(grid, grid)
vt, vp = dirac_field(method, t, p, param)
norm = np.hypot(vt, vp) + 1e-12  # arrows of one length: the direction matters, the speed is in the paths
field = go.Figure(_arrows(t.ravel(), p.ravel(), vt.ravel() / norm.ravel(), vp.ravel() / norm.ravel(), 0.2))
dpaths = {r: dirac_trajectory(method, th0, ps0, d_lr, d_steps, r == "alternating", param) for r in rules}
for r, dp in dpaths.items():
    _path(field, dp, r)
_equilibrium(field)
field.update_layout(
    title=f"{spec.label}: field and paths",
    xaxis={"title": "θ (generator)", "range": [-VIEW, VIEW]},
    yaxis={"title": "ψ (discriminator)", "range": [-VIEW, VIEW], "scaleanchor": "x"},
    height=480,
    margin=MARGIN,
)
left, right = st.columns(2)
left.plotly_chart(field, key="dirac_plane")
if dpaths:
    right.plotly_chart(_over_time(dpaths, ("θ", "ψ"), "θ and ψ over time"), key="dirac_time")
    cols = st.columns(len(dpaths))
    for col, (r, dp) in zip(cols, dpaths.items(), strict=True):
        r0, r1 = np.hypot(*dp[0]), np.hypot(*dp[-1])
        stopped = f" (left the plane after {len(dp) - 1} steps)" if len(dp) < d_steps + 1 else ""
        col.metric(f"{r}: distance to (0, 0){stopped}", f"{r1:.3g}", f"{r1 - r0:+.3g}", delta_color="inverse")
else:
    right.info("Pick an update rule to draw its path.")
