"""The Lab's 2-D plane drawn as a picture with Pillow, for the redraws while it plays.

The browser swaps one image five times a second for a few milliseconds each; the same plane as a plotly
figure (a heatmap, 512 markers, a lattice and arrows as SVG) cost Chromium's main thread about 300 ms a
redraw on the 2-core machine (profiled), so it could not show more than about 3 a second. The picture is
the plotly plane's: same layers, colours, fixed axes and equal scale, D's surface in PRGn around the
neutral score at 55% opacity; the paused plane stays a plotly figure (hover, zoom). Sent as JPEG at quality
90 without chroma subsampling (3 ms to encode; PNG took 17 ms for about the same size, and the thin lines
and dots look the same side by side at 2x).
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.components.lab_plane import ARROW, FAKE, REAL, arrow_ends, lattice_lines
from pipelines.lab.views import Frame

# ColorBrewer PRGn (11 classes), plotly's "PRGn" scale: purple (low, fake) → white → green (high, real)
PRGN = (
    (64, 0, 75), (118, 42, 131), (153, 112, 171), (194, 165, 207), (231, 212, 232), (247, 247, 247),
    (217, 240, 211), (166, 219, 160), (90, 174, 97), (27, 120, 55), (0, 68, 27),
)  # fmt: skip
OPACITY = 0.55  # the heatmap over the white plot area, as in the plotly plane
MANIFOLD_RGBA = (123, 50, 148, 90)  # lab_plane.MANIFOLD, rgba(123,50,148,0.35)
MARGIN = {"l": 40, "r": 10, "t": 36, "b": 30}


@lru_cache(maxsize=1)
def _lut() -> np.ndarray:
    """256 colours: PRGn interpolated and blended over white at OPACITY (uint8, (256, 3))."""
    t = np.linspace(0, 1, 256)
    anchors = np.linspace(0, 1, len(PRGN))
    rgb = np.stack([np.interp(t, anchors, [c[i] for c in PRGN]) for i in range(3)], 1)
    return np.round(OPACITY * rgb + (1 - OPACITY) * 255).astype(np.uint8)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def surface_rgb(values: np.ndarray, midpoint: float) -> np.ndarray:
    """D's scores (rows follow y upwards) as colours, symmetric around the neutral score as plotly's ``zmid``:
    the farther from ``midpoint`` on either side, the deeper the colour. Image rows go downwards."""
    reach = max(float(np.abs(values - midpoint).max()), 1e-12)
    idx = np.clip(np.round((values - midpoint) / reach * 127.5 + 127.5), 0, 255).astype(np.uint8)
    return _lut()[idx[::-1]]


class _Canvas:
    """Data coordinates → pixels of the plot area (equal scale when both axes span the same range)."""

    def __init__(self, fr: Frame, size: int) -> None:
        self.x0, self.x1 = fr.axes.x
        self.y0, self.y1 = fr.axes.y
        w = size - MARGIN["l"] - MARGIN["r"]
        h = size - MARGIN["t"] - MARGIN["b"]
        if fr.axes.x == fr.axes.y:
            w = h = min(w, h)
        self.w, self.h = w, h

    def px(self, pts: np.ndarray) -> np.ndarray:
        """(N, 2) data points → (N, 2) pixel positions inside the plot area (y downwards)."""
        u = (pts[:, 0] - self.x0) / (self.x1 - self.x0) * (self.w - 1)
        v = (self.y1 - pts[:, 1]) / (self.y1 - self.y0) * (self.h - 1)
        return np.stack([u, v], 1)


def _lines(draw: ImageDraw.ImageDraw, xs: np.ndarray, ys: np.ndarray, canvas: _Canvas, fill, width: int = 1) -> None:
    """Polylines separated by NaN (as ``lab_plane`` builds them for plotly)."""
    pts = canvas.px(np.stack([xs, ys], 1))
    breaks = np.flatnonzero(np.isnan(pts[:, 0]))
    for part in np.split(pts, breaks):
        part = part[~np.isnan(part[:, 0])]
        if len(part) >= 2:
            draw.line([tuple(p) for p in part.tolist()], fill=fill, width=width)


def _dots(draw: ImageDraw.ImageDraw, pts: np.ndarray, canvas: _Canvas, radius: float, fill) -> None:
    for u, v in canvas.px(pts).tolist():
        draw.ellipse((u - radius, v - radius, u + radius, v + radius), fill=fill)


def _plot_area(fr: Frame, layers, canvas: _Canvas) -> Image.Image:
    """The plot area alone (what falls outside it is clipped by its edges)."""
    if "D's surface" in layers and fr.surface is not None:
        img = Image.fromarray(surface_rgb(fr.surface[2], fr.midpoint)).resize((canvas.w, canvas.h), Image.NEAREST)
    else:
        img = Image.new("RGB", (canvas.w, canvas.h), "white")
    if "manifold" in layers and fr.manifold is not None:
        over = Image.new("RGBA", img.size, (0, 0, 0, 0))
        _lines(ImageDraw.Draw(over), *lattice_lines(fr.manifold), canvas, MANIFOLD_RGBA)
        img = Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")
    draw = ImageDraw.Draw(img)
    if "real" in layers:
        _dots(draw, fr.real, canvas, 2.0, _hex(REAL))
    if "fake" in layers:
        _dots(draw, fr.fake, canvas, 2.5, _hex(FAKE))
    if "arrows" in layers and fr.arrows is not None:
        ends = arrow_ends(fr)
        gaps = np.full((len(ends), 2), np.nan)
        seg = np.stack([fr.fake, ends, gaps], 1).reshape(-1, 2)
        _lines(draw, seg[:, 0], seg[:, 1], canvas, _hex(ARROW))
    return img


def _ticks(lo: float, hi: float) -> list[float]:
    """Round tick values inside [lo, hi]: steps of 1, 2 or 5 times a power of ten, four to eight of them."""
    span = hi - lo
    for step in (10.0 ** np.floor(np.log10(span)) * m for m in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)):
        if span / step <= 8:
            break
    return [float(t) for t in np.arange(np.ceil(lo / step) * step, hi + 1e-9, step)]


def plane_image(fr: Frame, layers, title: str, size: int = 460) -> Image.Image:
    """The plane, ``size`` pixels square: title, plot area with its layers, ticks on both axes."""
    canvas = _Canvas(fr, size)
    out = Image.new("RGB", (size, size), "white")
    left, top = MARGIN["l"], MARGIN["t"]
    out.paste(_plot_area(fr, layers, canvas), (left, top))
    draw = ImageDraw.Draw(out)
    draw.rectangle((left - 1, top - 1, left + canvas.w, top + canvas.h), outline=(204, 204, 204))
    small = _font(11)
    for t in _ticks(canvas.x0, canvas.x1):
        u = left + canvas.px(np.array([[t, canvas.y0]]))[0, 0]
        draw.text((u, top + canvas.h + 4), f"{t:g}", fill=(68, 68, 68), font=small, anchor="mt")
    for t in _ticks(canvas.y0, canvas.y1):
        v = top + canvas.px(np.array([[canvas.x0, t]]))[0, 1]
        draw.text((left - 5, v), f"{t:g}", fill=(68, 68, 68), font=small, anchor="rm")
    draw.text((left, 10), title, fill=(38, 38, 38), font=_font(13))
    return out


def plane_jpeg(fr: Frame, layers, title: str, size: int = 460) -> bytes:
    """The plane as JPEG bytes (give ``st.image`` ``output_format="JPEG"``: it then sends them as they are)."""
    buf = io.BytesIO()
    plane_image(fr, layers, title, size).save(buf, format="JPEG", quality=90, subsampling=0)
    return buf.getvalue()
