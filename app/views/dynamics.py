"""Dynamics page: play with the game f(x, y) = x·y to see why GAN training is hard."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from pipelines.dynamics import METHODS, simulate

st.title("Adversarial dynamics")
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
    st.stop()
paths = {m: simulate(m, x0, y0, lr, steps) for m in methods}

plane = go.Figure()
for m, p in paths.items():
    plane.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines", name=m))
plane.add_trace(
    go.Scatter(x=[0], y=[0], mode="markers", marker={"symbol": "x", "size": 12, "color": "black"}, name="equilibrium")
)
plane.update_layout(
    title="Path in the (x, y) plane",
    xaxis_title="x",
    yaxis_title="y",
    height=450,
    yaxis={"scaleanchor": "x"},
    margin={"l": 10, "r": 10, "t": 40, "b": 10},
)
left, right = st.columns(2)
left.plotly_chart(plane, key="dyn_plane")
over = go.Figure()
for m, p in paths.items():
    over.add_trace(go.Scatter(y=p[:, 0], mode="lines", name=f"{m}: x"))
    over.add_trace(go.Scatter(y=p[:, 1], mode="lines", name=f"{m}: y", line={"dash": "dot"}))
over.update_layout(title="x and y over time", xaxis_title="step", height=450, margin={"l": 10, "r": 10, "t": 40, "b": 10})
right.plotly_chart(over, key="dyn_time")
cols = st.columns(len(paths))
for col, (m, p) in zip(cols, paths.items(), strict=True):
    r0, r1 = np.hypot(*p[0]), np.hypot(*p[-1])
    col.metric(f"{m}: distance to (0, 0)", f"{r1:.3g}", f"{r1 - r0:+.3g}", delta_color="inverse")
