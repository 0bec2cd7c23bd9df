"""Training as a film: the same seeds drawn at every snapshot, one frame per snapshot, the step written on
each (Brownlee's per-epoch plots, animated). Frames are uint8 pictures made with PIL, whatever the kind
of output: an image grid, or points, curves and vectors drawn on fixed axes so the frames line up."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app import export
from models import OutputSpec
from pipelines.images import grid_pixels

PLOT = 320  # pixels of a drawn plot's side (non-image kinds)
BAR = 28  # the band above each frame that holds the step
FPS = 4.0  # snapshots per second


def _font(size: int = 18) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


def _plot(samples: np.ndarray, spec: OutputSpec) -> np.ndarray:
    """Non-image samples (in [0, 1], as rendered) on a fixed white square: points as dots, a 1-D output as a
    histogram, curves as lines, vectors as a grey heatmap (one row a sample)."""
    img = Image.new("RGB", (PLOT, PLOT), "white")
    d = ImageDraw.Draw(img)
    v = np.clip(np.asarray(samples, dtype=np.float64).reshape(len(samples), -1), -0.5, 1.5)
    px = lambda a: (np.asarray(a) * 0.9 + 0.05) * (PLOT - 1)  # noqa: E731 - [0, 1] to pixels with a margin
    if spec.kind == "points" and v.shape[1] >= 2:
        for x, y in zip(px(v[:, 0]), px(1 - v[:, 1]), strict=True):
            d.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(31, 119, 180))
    elif spec.kind == "points":
        counts, _ = np.histogram(v[:, 0], bins=40, range=(0, 1))
        top = max(1, counts.max())
        for i, c in enumerate(counts):
            x0 = px(i / 40)
            d.rectangle((x0, px(1 - c / top), px((i + 1) / 40) - 1, px(1)), fill=(31, 119, 180))
    elif spec.kind == "curve":
        xs = px(np.linspace(0, 1, v.shape[1]))
        for row in v:
            d.line(list(zip(xs.tolist(), px(1 - row).tolist(), strict=True)), fill=(31, 119, 180), width=1)
    else:  # vector: one row per sample, one column per element
        grey = (np.clip(v, 0, 1) * 255).astype(np.uint8)
        img = Image.fromarray(grey).resize((PLOT, PLOT), Image.NEAREST).convert("RGB")
    return np.asarray(img)


def frame(samples: np.ndarray, spec: OutputSpec, step: int, nrow: int, size: int | None = None) -> np.ndarray:
    """One frame: the samples of one snapshot (image grid or plot) under a band saying ``step N``."""
    body = grid_pixels(samples, nrow, size, False) if spec.kind == "image" else _plot(samples, spec)
    if body.ndim == 2:
        body = body[:, :, None]
    if body.shape[2] == 1:
        body = np.repeat(body, 3, axis=2)
    h, w = body.shape[:2]
    band = Image.new("RGB", (max(w, 120), BAR), "white")
    ImageDraw.Draw(band).text((6, 4), f"step {step:,}", fill="black", font=_font())
    out = np.full((h + BAR, max(w, 120), 3), 255, np.uint8)
    out[:BAR] = np.asarray(band)
    out[BAR:, :w] = body
    return out


def frames(
    rows: Sequence[np.ndarray], steps: Sequence[int], spec: OutputSpec, nrow: int, size: int | None = None
) -> list[np.ndarray]:
    """One frame per snapshot, in step order (``rows[i]``: the samples of the snapshot at ``steps[i]``)."""
    order = sorted(range(len(steps)), key=lambda i: steps[i])
    return [frame(rows[i], spec, int(steps[i]), nrow, size) for i in order]


def gif(rows, steps, spec: OutputSpec, nrow: int, size: int | None = None) -> bytes:
    """The film as an animated GIF."""
    return export.gif_bytes(frames(rows, steps, spec, nrow, size), fps=FPS)


def mp4(rows, steps, spec: OutputSpec, nrow: int, size: int | None = None) -> bytes:
    """The film as an H.264 MP4 (PyAV); a run of one snapshot is one frame long."""
    data = export.mp4_bytes(frames(rows, steps, spec, nrow, size), fps=FPS)
    if data is None:
        raise RuntimeError("PyAV (the av package) is not installed: pip install av")
    return data
