"""The Lab's plane as a picture (app/components/lab_raster.py), drawn while it plays: what a learner reads off
it must be what the plotly plane says: green where D says real, purple where it says fake, the points
where they are, the layers that are switched on, nothing drawn outside the axes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from app.components import lab_raster
from app.components.lab_plane import FAKE, LAYERS, REAL
from pipelines.lab import data
from pipelines.lab.views import Frame

AXES = data.AXES["ring"]  # ±2.5 on both axes


def _frame(fake: np.ndarray, surface: np.ndarray | None = None, arrows: np.ndarray | None = None) -> Frame:
    xs = np.linspace(*AXES.x, 60)
    ys = np.linspace(*AXES.y, 60)
    return Frame(
        step=7, axes=AXES, real=np.array([[-2.0, -2.0]]), fake=fake,
        surface=None if surface is None else (xs, ys, surface), midpoint=0.5, manifold=None, arrows=arrows,
        z=np.zeros((len(fake), 2)), kl=0.0, js=0.0, coverage=None, verdict=None,
    )  # fmt: skip


def _image(fr: Frame, layers=LAYERS) -> np.ndarray:
    img = lab_raster.plane_image(fr, layers, "run · iteration 7")
    assert img.size == (460, 460)
    return np.asarray(img).astype(int)


def _pixel(fr: Frame, point, size: int = 460) -> tuple[int, int]:
    canvas = lab_raster._Canvas(fr, size)
    u, v = canvas.px(np.array([point], dtype=float))[0]
    return int(round(v)) + lab_raster.MARGIN["t"], int(round(u)) + lab_raster.MARGIN["l"]


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def _orange(img: np.ndarray) -> np.ndarray:
    """Where the arrows' orange is (anti-aliased lines: a band of colours, not one)."""
    return (img[..., 0] > 200) & (img[..., 1] > 80) & (img[..., 1] < 200) & (img[..., 2] < 80)


def test_d_surface_is_green_where_d_says_real_and_purple_where_it_says_fake():
    ys = np.linspace(*AXES.y, 60)
    score = np.repeat(((ys > 0) * 0.9 + 0.05)[:, None], 60, 1)  # upper half: real (0.95), lower: fake (0.05)
    fr = _frame(np.empty((0, 2)), surface=score)
    img = _image(fr, ["D's surface"])
    up, down = img[_pixel(fr, (0.0, 1.5))], img[_pixel(fr, (0.0, -1.5))]
    assert up[1] > up[0] and up[1] > up[2]  # green
    assert down[0] > down[1] and down[2] > down[1]  # purple
    # a surface that is the neutral score everywhere is (nearly) white: D cannot tell
    flat = _image(_frame(np.empty((0, 2)), surface=np.full((60, 60), 0.5)), ["D's surface"])
    assert (flat[_pixel(fr, (0.0, 0.0))] > 240).all()


def test_points_are_drawn_where_they_are_and_only_with_their_layer():
    fr = _frame(np.array([[1.0, 1.0]]))
    on, off = _image(fr), _image(fr, ["real", "D's surface"])
    assert np.abs(on[_pixel(fr, (1.0, 1.0))] - _rgb(FAKE)).max() <= 2
    assert (off[_pixel(fr, (1.0, 1.0))] == 255).all()
    assert np.abs(on[_pixel(fr, (-2.0, -2.0))] - _rgb(REAL)).max() <= 2  # the real point at (-2, -2)
    assert np.abs(on[_pixel(fr, (1.0, -1.0))] - 255).max() == 0  # nothing where no point is


def test_points_outside_the_axes_are_clipped_not_drawn_on_the_margins():
    far = np.array([[-2.8, 0.0], [0.0, 2.8], [0.0, -2.7], [9.0, 9.0]])  # in the margins' reach, and far off
    fr = _frame(far, arrows=np.ones_like(far))
    img = _image(fr, ["fake", "arrows"])
    purple = np.all(np.abs(img - _rgb(FAKE)) <= 2, axis=2)
    assert not purple.any()
    orange = _orange(img)
    canvas = lab_raster._Canvas(fr, 460)
    top, left = lab_raster.MARGIN["t"], lab_raster.MARGIN["l"]
    orange[top : top + canvas.h, left : left + canvas.w] = False  # an arrow pointing in may cross the plot area
    assert not orange.any()  # but nothing of the arrows is drawn on the margins


def test_arrows_follow_their_layer():
    fr = _frame(np.array([[0.0, 0.0]]), arrows=np.array([[1.0, 0.0]]))
    orange = [_orange(im).sum() for im in (_image(fr, ["arrows"]), _image(fr, ["fake"]))]
    assert orange[0] > 5 and orange[1] == 0


def test_the_plane_keeps_equal_scale_and_the_axes_never_move():
    fr = _frame(np.array([[0.0, 0.0]]))
    canvas = lab_raster._Canvas(fr, 460)
    assert canvas.w == canvas.h  # a circle of data is a circle on screen
    left = canvas.px(np.array([[AXES.x[0], AXES.y[0]], [AXES.x[1], AXES.y[1]]]))
    assert left.tolist() == [[0.0, canvas.h - 1], [canvas.w - 1, 0.0]]  # the fixed axes fill the plot area
    assert lab_raster._ticks(-2.5, 2.5) == [-2.0, -1.0, 0.0, 1.0, 2.0]


def test_the_page_gets_a_jpeg_it_sends_as_it_is():
    fr = _frame(np.array([[0.0, 0.0]]), surface=np.full((60, 60), 0.5))
    jpeg = lab_raster.plane_jpeg(fr, LAYERS, "run · iteration 7")
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG" and img.size == (460, 460)
    drawn = np.asarray(lab_raster.plane_image(fr, LAYERS, "run · iteration 7")).astype(int)
    assert np.abs(np.asarray(img.convert("RGB")).astype(int) - drawn).mean() < 2  # quality 90: the same picture
