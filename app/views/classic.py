"""Classic GANs page: the small systems the tutorials teach with, each drawn the way it teaches.

pattern-1010: the generator's output at every snapshot as a heatmap, and the losses.
sine: generated curves over real ones. quadratic: real (blue) and generated (red) points, and
D accuracy. ring-8: samples over the 8 true modes, with modes covered and high-quality share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from app import state
from app.charts import curves
from app.components.samples_view import figure, modes_trace
from app.plotting import go
from app.render import seed_latents
from pipelines import runs
from pipelines.toydata import SINE_X, TOY_DATASETS, make_toy, ring_coverage, toy_view


def _dataset(path: Path) -> str:
    """The run's dataset, or "" when its config cannot be read (it is then simply not offered)."""
    try:
        return runs.read_config(path).dataset
    except runs.RunError:
        return ""


def _open_run(path: str) -> None:
    st.session_state["typed_run"] = ""
    st.session_state["run_select"] = path


st.title("Classic GANs")
run_dir = Path(st.session_state.get("run_dir") or "")
cfg = runs.read_config(run_dir) if run_dir.name else None
if cfg is None or cfg.dataset not in TOY_DATASETS:
    toy_runs = [p for p in state.discover_runs() if _dataset(p) in TOY_DATASETS]
    st.info(
        "This page draws the small classic GANs (the 1010 pattern, sine curves, the y = x² GAN, the ring of "
        "Gaussians). "
        + ("The run picked in the sidebar is an image GAN" if cfg else "No run is open in the sidebar")
        + "; pick one of these:"
    )
    for p in toy_runs:
        st.button(state.run_label(p), key=f"goto_{p}", on_click=_open_run, args=(str(p),))
    st.stop()

G, _ = state.current_generator()
spec = G.output
n = int(st.slider("Samples", 16, 1000, 300, key="classic_n"))
z = seed_latents(G, range(n)).numpy()
fake = spec.from_unit(np.asarray(state.render_latents(st.session_state["snapshot"], z))).reshape(n, -1)
real, _ = make_toy(cfg.dataset, n, seed=1)
real = real.numpy().reshape(n, -1)
log = runs.read_log(run_dir)
layout = {"height": 420, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}

if cfg.dataset == "scalar":
    st.caption(
        "No equilibrium exists here: the generator wants p·q = 1 while the discriminator, seeing fakes "
        "near q, wants p = 1/(1 + q²); both cannot hold, so the parameters chase each other and q drifts."
    )
    st.plotly_chart(
        figure(state.render_latents(st.session_state["snapshot"], z), spec, f"{n} generated numbers", "scalar"),
        key="scalar_hist",
    )
    st.plotly_chart(
        curves({run_dir.name: log}, ("q", "p"), 0.0, title="Generator weight q and discriminator weight p"), key="scalar_params"
    )
    st.plotly_chart(
        curves({run_dir.name: log}, ("d_loss_real", "d_loss_fake", "g_loss"), 0.0, title="Errors (MSE)"), key="scalar_loss"
    )
elif cfg.dataset == "pattern-1010":
    snaps = state.good_snapshots(run_dir)
    means = [spec.from_unit(np.asarray(state.render_latents(p, z))).mean(0) for p, _ in snaps]
    fig = go.Figure(
        go.Heatmap(
            z=np.stack(means),
            x=["x1", "x2", "x3", "x4"],
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            y=[f"step {m['step']}" for _, m in snaps],
        )
    )
    fig.update_layout(title=f"Mean generated pattern at each snapshot, over {n} samples (the target is 1 0 1 0)", **layout)
    st.plotly_chart(fig, key="pattern_heat")
    st.plotly_chart(
        curves({run_dir.name: log}, ("d_loss_real", "d_loss_fake", "g_loss"), 0.9, title="Losses (MSE)"), key="pattern_loss"
    )
elif cfg.dataset == "sine":
    fig = go.Figure()
    for rows, colour, name in ((real, "royalblue", "real"), (fake, "crimson", "generated")):
        xs = np.tile(np.append(SINE_X.numpy(), np.nan), len(rows))  # all curves in one trace, NaN between them
        ys = np.concatenate([rows, np.full((len(rows), 1), np.nan)], axis=1).ravel()
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": 1}, opacity=0.35, name=name))
    fig.update_layout(title=f"Generated curves (red) over real ones (blue), {n} of each", xaxis_title="x", **layout)
    fig.update_yaxes(range=list(toy_view("sine").y_range))
    st.plotly_chart(fig, key="sine_plot")
else:
    view = toy_view(cfg.dataset)
    fig = go.Figure()
    if view.modes:  # outlines under the points, so the real points stay visible
        fig.add_trace(modes_trace(view.modes, 18))
    fig.add_trace(
        go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated", marker={"color": "crimson", "size": 4})
    )
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real", marker={"color": "royalblue", "size": 4}))
    if cfg.dataset == "ring-8":
        modes, quality = ring_coverage(torch.from_numpy(fake).float())
        m1, m2 = st.columns(2)
        m1.metric("Modes covered", f"{modes} / 8")
        m2.metric("High-quality samples (within 3σ of a mode)", f"{quality:.0%}")
    fig.update_layout(title=f"{n} real (blue) and {n} generated (red)", **layout)
    fig.update_xaxes(range=list(view.x_range), constrain="domain")
    fig.update_yaxes(range=list(view.y_range), scaleanchor="x", constrain="domain")
    st.plotly_chart(fig, key="points_plot")
    if cfg.dataset == "quadratic":
        st.plotly_chart(
            curves({run_dir.name: log}, ("d_acc_real", "d_acc_fake"), 0.9, title="Discriminator accuracy on real and fake"),
            key="quad_acc",
        )
