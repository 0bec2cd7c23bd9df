"""Training as a film: the fixed seeds through every snapshot of a shipped run, one frame per snapshot in
step order with the step written on it, as a GIF and an MP4; Compare offers both."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence
from streamlit.testing.v1 import AppTest

from app import film
from app.render import generate, seed_latents
from models import load_generator
from pipelines import runs
from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")


def _rows(run: str, seeds=range(8)):
    snaps = runs.list_snapshots(CHECKPOINTS / run)
    rows, steps = [], []
    for path, meta in snaps:
        G, _ = load_generator(path)
        rows.append(generate(G, seed_latents(G, list(seeds))).numpy())
        steps.append(int(meta["step"]))
    return rows, steps, G.output


def _frames(data: bytes) -> list[np.ndarray]:
    return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


@pytest.mark.parametrize("run", ["mnist-dcgan", "ring-8"])
def test_the_gif_has_one_frame_per_snapshot_each_different(run):
    rows, steps, spec = _rows(run)
    frames = _frames(film.gif(rows, steps, spec, nrow=8))
    assert len(frames) == len(steps) > 2
    for a, b in zip(frames, frames[1:], strict=False):
        assert not np.array_equal(a[film.BAR :], b[film.BAR :])  # the samples change as training goes on


def test_each_frame_says_its_step_and_frames_come_in_step_order():
    rows, steps, spec = _rows("ring-8")
    same = [rows[-1]] * 2  # the same samples, two steps: only the band differs
    a, b = film.frames(same, [100, 2000], spec, nrow=8)
    assert not np.array_equal(a[: film.BAR], b[: film.BAR]) and np.array_equal(a[film.BAR :], b[film.BAR :])
    assert (a[: film.BAR] < 128).any()  # dark text on the white band
    shuffled = film.frames(rows[::-1], steps[::-1], spec, nrow=8)
    assert all(np.array_equal(x, y) for x, y in zip(shuffled, film.frames(rows, steps, spec, nrow=8), strict=True))


def test_the_mp4_holds_every_snapshot():
    import av

    rows, steps, spec = _rows("mnist-dcgan")
    with av.open(io.BytesIO(film.mp4(rows, steps, spec, nrow=8))) as container:
        assert sum(1 for _ in container.decode(video=0)) == len(steps)


def test_compare_offers_the_film():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="run_select").set_value(str(CHECKPOINTS / "ring-8")).run()
    at.switch_page("views/compare.py").run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [b.label for b in at.get("download_button")]
    assert {"Film GIF", "Film MP4"} <= set(labels)
    assert any("one per snapshot" in c.value for c in at.caption)
