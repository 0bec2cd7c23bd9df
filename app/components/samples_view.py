"""Draw generated samples natively for their kind: image grids, heatmaps, curves or points."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from models import OutputSpec
from pipelines import grid_cache
from pipelines.images import DEFAULT_SIZE, grid_pixels, screen_png

if TYPE_CHECKING:  # plotly is imported when a non-image run is drawn
    from app.plotting import go

SIZES = [96, 128, 192, 256, 384]  # on-screen pixels for an image's longer side
SCALING = {"smooth": "smooth (bicubic)", "pixel": "pixel-exact (each pixel a square)"}


def display_options() -> None:
    """Sidebar settings for how images are drawn: their size on screen and smooth or pixel-exact scaling."""
    with st.sidebar.expander("Display"):
        st.select_slider(
            "Image size on screen (px)",
            SIZES,
            value=DEFAULT_SIZE,
            key="display_size",
            help="Each generated image is enlarged to this size; a grid wider than the page is fitted to it.",
        )
        st.radio("Scaling", list(SCALING), format_func=SCALING.get, key="display_scaling", horizontal=True)


def display_size(spec: OutputSpec) -> int | None:
    """Pixels on screen for an image's longer side (None for non-image kinds)."""
    return int(st.session_state.get("display_size", DEFAULT_SIZE)) if spec.kind == "image" else None


@st.cache_data(max_entries=512, show_spinner=False)
def _grid_and_png(samples: np.ndarray, nrow: int, size: int | None, smooth: bool) -> tuple[np.ndarray, bytes]:
    """The grid and its screen PNG, made once for every session: enlarging, tiling and encoding were the
    largest share of what each visitor's page cost the server (eight browsers at once share one process)."""
    grid = grid_pixels(samples, nrow, size, smooth)
    return grid, screen_png(grid)


def grid_image(samples: np.ndarray, spec: OutputSpec, nrow: int, size: int | None = None) -> np.ndarray:
    """(N, C, H, W) samples in [0, 1] -> one uint8 grid, each image enlarged to ``size`` px (default: the
    sidebar's display size), smoothly or pixel-exact as picked there (``pipelines.images.grid_pixels``)."""
    return _grid_and_png(np.asarray(samples), nrow, size or display_size(spec), scaling_smooth())[0]


def grid_png(samples: np.ndarray, spec: OutputSpec, nrow: int, size: int | None = None) -> bytes:
    """The PNG the browser is sent for ``grid_image`` of the same arguments (cached like it)."""
    return _grid_and_png(np.asarray(samples), nrow, size or display_size(spec), scaling_smooth())[1]


def scaling_smooth() -> bool:
    """Whether the sidebar's Display scaling is smooth (else pixel-exact)."""
    return st.session_state.get("display_scaling", "smooth") == "smooth"


def outside_range(samples: np.ndarray, spec: OutputSpec) -> str | None:
    """A sentence when non-image samples leave the generator's declared value range, else None."""
    if spec.kind == "image" or not len(samples):
        return None
    v = spec.from_unit(np.asarray(samples))
    lo, hi = spec.value_range
    vmin, vmax = float(np.nanmin(v)), float(np.nanmax(v))
    tol = 1e-6 * (hi - lo)
    if vmin >= lo - tol and vmax <= hi + tol:
        return None
    share = float(((v < lo - tol) | (v > hi + tol)).mean())
    return (
        f"The generator's outputs run from {vmin:.3g} to {vmax:.3g}, outside its declared range "
        f"[{lo:g}, {hi:g}] ({share:.0%} of the values): drawn as they are, not clipped."
    )


FLAT_STD = 0.01  # [0, 1] samples varying less than this (over cells and pixels) look like one flat colour


def flat_because_batchnorm(G, samples: np.ndarray, snapshot: str) -> bool:
    """Whether flat samples come from a generator used in eval mode whose BatchNorm statistics were never
    updated (see ``pipelines.importers.common.batchnorm_never_updated``); the sidebar offers batch statistics."""
    from pipelines.importers.common import batchnorm_never_updated

    from .. import state

    if float(np.std(samples)) >= FLAT_STD or (state.bn_mode(snapshot) or getattr(G, "batchnorm", "running")) != "running":
        return False
    return batchnorm_never_updated(G)


def run_dataset(run_dir: str | Path | None = None) -> str:
    """The dataset of ``run_dir`` (default: the run open in the sidebar), "" when it cannot be read."""
    from pipelines import runs

    run_dir = run_dir or st.session_state.get("run_dir")
    try:
        return runs.read_config(Path(run_dir)).dataset if run_dir else ""
    except (runs.RunError, OSError):
        return ""


def modes_trace(modes, size: int) -> go.Scatter:
    """A toy dataset's true modes as open circles (drawn under the points, so the real points stay visible)."""
    from app.plotting import go

    return go.Scatter(
        x=[m[0] for m in modes],
        y=[m[1] for m in modes],
        mode="markers",
        name="true modes",
        marker={"symbol": "circle-open", "size": size, "color": "black", "line": {"width": 1.5}},
    )


def figure(samples: np.ndarray, spec: OutputSpec, title: str = "", dataset: str = "") -> go.Figure:
    """A plotly figure for non-image samples, drawn with their real values (never clipped to the range).
    For a toy ``dataset`` the axes are fixed (the same for every snapshot and run of it) and its real
    distribution is marked: ring-8's modes as outlines, quadratic's y = x², scalar's real interval."""
    from app.plotting import go
    from pipelines.toydata import toy_view

    view = toy_view(dataset) if dataset else None
    v = spec.from_unit(np.asarray(samples)).reshape(len(samples), -1)
    if spec.kind == "vector":
        lo, hi = min(spec.value_range[0], float(v.min())), max(spec.value_range[1], float(v.max()))
        fig = go.Figure(go.Heatmap(z=v, zmin=lo, zmax=hi, colorscale="Viridis"))
        fig.update_layout(xaxis_title="element", yaxis_title="sample")
    elif spec.kind == "curve":
        fig = go.Figure([go.Scatter(y=row, mode="lines", line={"width": 1}, showlegend=False) for row in v])
        fig.update_layout(xaxis_title="sample point", yaxis_title="value")
        if view and view.y_range:
            fig.update_yaxes(range=list(view.y_range))
    elif v.shape[1] == 1:
        fig = go.Figure(go.Histogram(x=v[:, 0], nbinsx=40, name="generated"))
        if view and view.band:
            fig.add_vrect(x0=view.band[0], x1=view.band[1], fillcolor="royalblue", opacity=0.25, line_width=0)
            lo, hi = min(spec.value_range[0], float(v.min())), max(spec.value_range[1], float(v.max()))
            fig.update_xaxes(range=[lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)])
            fig.update_layout(xaxis_title="value (blue band: where the real values lie)")
    else:  # 2-D points
        fig = go.Figure(go.Scatter(x=v[:, 0], y=v[:, 1], mode="markers", marker={"size": 5}, name="generated"))
        if view and view.curve:
            fig.add_trace(
                go.Scatter(x=view.curve[0], y=view.curve[1], mode="lines", name="real: y = x²", line={"color": "black"})
            )
        if view and view.modes:
            fig.add_trace(modes_trace(view.modes, 16))
        if view and view.x_range:
            fig.update_xaxes(range=list(view.x_range), constrain="domain")
            fig.update_yaxes(range=list(view.y_range), scaleanchor="x", constrain="domain")
    fig.update_layout(title=title, height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def show(
    samples: np.ndarray, spec: OutputSpec, nrow: int, caption: str, key: str, cache_key=None, snapshot=None, run_dir=None
) -> np.ndarray | None:
    """Show samples; returns the uint8 grid for image kinds (for export), else None. An image grid drawn
    under ``cache_key`` (an ``pipelines.grid_cache.GridKey``) of ``snapshot`` is kept on disk, so the next process
    draws it at once. Non-image samples of a toy run (``run_dir``, default the sidebar's) get its fixed view."""
    if spec.kind == "image":
        grid = grid_image(samples, spec, nrow)
        if cache_key is None:
            png = grid_png(samples, spec, nrow)
        else:
            png = screen_png(grid, text=grid_cache.png_text(cache_key))
            grid_cache.store(cache_key, png, snapshot)
        st.image(png, caption=caption, width="content", output_format="PNG")
        return grid
    st.plotly_chart(figure(samples, spec, caption, run_dataset(run_dir)), key=key)
    note = outside_range(samples, spec)
    if note:
        st.caption(f":warning: {note}")
    return None
