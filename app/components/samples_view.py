"""Draw generated samples natively for their kind: image grids, heatmaps, curves or points."""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from app.render import grid_u8
from models import OutputSpec

SIZES = [96, 128, 192, 256, 384]  # on-screen pixels for an image's longer side
DEFAULT_SIZE = 192  # a 64 px face drawn 3x, a 28 px digit about 7x
MAX_WIDTH = 1460  # the widest image Streamlit sends as it is (its MAXIMUM_CONTENT_WIDTH)
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


def grid_image(samples: np.ndarray, spec: OutputSpec, nrow: int, size: int | None = None) -> np.ndarray:
    """(N, C, H, W) samples in [0, 1] -> one uint8 grid, each image enlarged to ``size`` px (default: the
    sidebar's display size), smoothly or pixel-exact as picked there. A grid is kept within the width
    Streamlit sends unscaled (wider ones it shrinks on the server, which would undo pixel-exact scaling)."""
    size = size or display_size(spec)
    smooth = st.session_state.get("display_scaling", "smooth") == "smooth"
    cols = min(nrow, len(samples))
    fit = (MAX_WIDTH - 2 * (cols + 1)) // max(cols, 1)
    if size and cols > 1 and size > fit:
        side = max(np.shape(samples)[-2:])
        size = fit if smooth else max(side, fit // side * side)
    return grid_u8(torch.from_numpy(np.asarray(samples)), nrow=nrow, size=size, smooth=smooth)


def screen_png(image: np.ndarray) -> bytes:
    """A uint8 (H, W, 3) image as the PNG the browser is sent: one grey channel when the three are the
    same (every grid of one-channel samples), and zlib's fastest level. For a grid of 64 digits that is
    0.04 s of encoding instead of the 0.19 s of Streamlit's own RGB PNG, in a smaller file (336 KB, not 437)."""
    from PIL import Image

    grey = (
        image.ndim == 3
        and image.shape[2] == 3
        and np.array_equal(image[..., 0], image[..., 1])
        and np.array_equal(image[..., 0], image[..., 2])
    )
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image[..., 0]) if grey else image).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def to_values(samples: np.ndarray, spec: OutputSpec) -> np.ndarray:
    """[0, 1] samples back to the generator's own value range (for plots of non-image kinds)."""
    lo, hi = spec.value_range
    return np.asarray(samples) * (hi - lo) + lo


def outside_range(samples: np.ndarray, spec: OutputSpec) -> str | None:
    """A sentence when non-image samples leave the generator's declared value range, else None."""
    if spec.kind == "image" or not len(samples):
        return None
    v = to_values(samples, spec)
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


def figure(samples: np.ndarray, spec: OutputSpec, title: str = "") -> go.Figure:
    """A plotly figure for non-image samples, drawn with their real values (never clipped to the range)."""
    v = to_values(samples, spec).reshape(len(samples), -1)
    if spec.kind == "vector":
        lo, hi = min(spec.value_range[0], float(v.min())), max(spec.value_range[1], float(v.max()))
        fig = go.Figure(go.Heatmap(z=v, zmin=lo, zmax=hi, colorscale="Viridis"))
        fig.update_layout(xaxis_title="element", yaxis_title="sample")
    elif spec.kind == "curve":
        fig = go.Figure([go.Scatter(y=row, mode="lines", line={"width": 1}, showlegend=False) for row in v])
        fig.update_layout(xaxis_title="sample point", yaxis_title="value")
    else:  # points
        if v.shape[1] == 1:
            fig = go.Figure(go.Histogram(x=v[:, 0], nbinsx=40))
        else:
            fig = go.Figure(go.Scatter(x=v[:, 0], y=v[:, 1], mode="markers", marker={"size": 5}))
    fig.update_layout(title=title, height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def show(samples: np.ndarray, spec: OutputSpec, nrow: int, caption: str, key: str) -> np.ndarray | None:
    """Show samples; returns the uint8 grid for image kinds (for export), else None."""
    if spec.kind == "image":
        grid = grid_image(samples, spec, nrow)
        st.image(screen_png(grid), caption=caption, width="content", output_format="PNG")
        return grid
    st.plotly_chart(figure(samples, spec, caption), key=key)
    note = outside_range(samples, spec)
    if note:
        st.caption(f":warning: {note}")
    return None
