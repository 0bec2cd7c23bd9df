"""The film's download buttons (Compare): the fixed seeds across every snapshot as a GIF and an MP4,
made when clicked (``app.film`` draws the frames)."""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from app import film
from app.components.export_buttons import download
from app.components.samples_view import display_size
from models import OutputSpec


def film_row(rows: list[np.ndarray], steps: list[int], spec: OutputSpec, nrow: int, key: str, stem: str = "training") -> None:
    """Two buttons: the film of ``rows`` (one entry per snapshot, at ``steps``) as GIF and as MP4, in step order."""
    size = min(display_size(spec) or 0, 96) or None  # a film of 8-64 samples: small images keep it light
    cols = st.columns(4)
    cols[0].caption(f"Training as a film: {len(steps)} frame(s), one per snapshot")
    args = (list(rows), list(steps), spec, nrow, size)
    download("Film GIF", partial(film.gif, *args), f"{stem}-film.gif", "image/gif", key=f"{key}_gif", where=cols[1])
    download("Film MP4", partial(film.mp4, *args), f"{stem}-film.mp4", "video/mp4", key=f"{key}_mp4", where=cols[2])
