"""Sample grids kept on disk (``pipelines.grid_cache``): a cold start draws a grid it has seen before (or that
ships with the run) before torch is imported; a grid is shown only for exactly the view and the weights it
was made for; a damaged file is never sent to the browser."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from app.render import generate, seed_latents
from models import load_generator, save_generator
from pipelines import disk_cache, runs
from pipelines import grid_cache as gc
from pipelines.images import grid_pixels
from tests.conftest import CHECKPOINTS, ROOT

APP = str(ROOT / "app" / "dashboard.py")

# Runs the dashboard's first visit in a fresh interpreter in which importing torch fails, and prints what the
# main area drew, in order, and the exception (if any) that stopped it.
NO_TORCH_VISIT = """
import json, sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision"):
            raise ImportError("torch imported before the first grid")
sys.meta_path.insert(0, NoTorch())
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.query_params.update(json.loads(sys.argv[2]))
at.run()
print(json.dumps({"main": [type(e).__name__ for e in at.main], "exception": [e.message for e in at.exception]}))
"""


def _visit_without_torch(query: dict, cache) -> dict:
    env = {**os.environ, "GANSCOPE_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", NO_TORCH_VISIT, APP, json.dumps(query)], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANSCOPE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_shipped_first_grid_is_drawn_before_torch_is_imported(cache):
    """The first visit (the shipped MNIST DCGAN, its default grid) draws the grid from the file shipped
    beside the run while torch is still unimported: here torch cannot be imported at all, so the page stops
    right after the grid, and everything before it (sidebar, links, the page's inputs) needed no torch."""
    seen = _visit_without_torch({}, cache)
    assert seen["exception"] == ["torch imported before the first grid"]
    assert "Title" in seen["main"] and "Image" in seen["main"], seen
    assert seen["main"].index("Image") < seen["main"].index("Exception")


def test_the_shipped_grid_is_what_the_generator_draws(cache):
    run = CHECKPOINTS / "mnist-dcgan"
    snap = runs.list_snapshots(run)[-1][0]
    G, cfg = load_generator(snap)
    labels = gc.cell_labels(cfg.num_classes, 8, 8)
    key = gc.make_key(snap, 0, gc.default_rows(cfg.num_classes), 8, 1.0, labels)
    png = gc.lookup(snap, key)
    assert png is not None, "checkpoints/mnist-dcgan/grids/ lacks the default view: run python -m pipelines.grid_cache"
    shipped = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    fresh = grid_pixels(generate(G, seed_latents(G, range(64))).numpy(), 8, gc.DEFAULT_SIZE, True).astype(int)
    assert shipped.shape == fresh.shape
    diff = np.abs(shipped - fresh)
    assert diff.max() <= 1 and diff.mean() < 0.01, "the shipped grid is not this snapshot's default view"


def _copy(tmp_path, run: str):
    dest = tmp_path / run
    shutil.copytree(CHECKPOINTS / run, dest, ignore=shutil.ignore_patterns(gc.SHIPPED_DIR, "directions"))
    return dest


def test_a_grid_drawn_once_is_drawn_before_torch_by_the_next_process(tmp_path, cache):
    """A conditional run with no shipped grid: the page renders it and keeps it; a new process (torch
    unavailable) then draws that grid from the cache, one class per row, before anything imports torch."""
    run = _copy(tmp_path, "mnist-cgan")
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["run"] = str(run)
    at.run()
    assert not at.exception
    assert len(list((cache / "grids").glob("*.png"))) == 1
    images = [e for e in at.main if type(e).__name__ == "Image"]
    at.run()  # the same view again in this process: one grid, not the cached one and a fresh one
    assert len([e for e in at.main if type(e).__name__ == "Image"]) == len(images)
    seen = _visit_without_torch({"run": str(run)}, cache)
    assert "Image" in seen["main"] and seen["main"].index("Image") < seen["main"].index("Exception")
    seen = _visit_without_torch({"run": str(run), "seed": "5"}, cache)  # another view: nothing to draw early
    assert "Image" not in seen["main"]


def test_only_the_exact_view_and_weights_find_a_grid(tmp_path, cache):
    run = _copy(tmp_path, "mnist-dcgan")
    snap = runs.list_snapshots(run)[-1][0]
    key = gc.make_key(snap, 0, 8, 8, 1.0)
    image = np.zeros((10, 10, 3), np.uint8)
    from pipelines.images import screen_png

    png = screen_png(image, text=gc.png_text(key))
    assert gc.store(key, png, snap)
    assert gc.lookup(snap, key) == png
    for other in (
        gc.make_key(snap, 1, 8, 8, 1.0),
        gc.make_key(snap, 0, 8, 7, 1.0),
        gc.make_key(snap, 0, 8, 8, 0.7),
        gc.make_key(snap, 0, 8, 8, 1.0, batchnorm="batch"),
        gc.make_key(snap, 0, 8, 8, 1.0, size=96),
        gc.make_key(snap, 0, 8, 8, 1.0, smooth=False),
        gc.make_key(snap, 0, 8, 8, 1.0, labels=[0] * 64),
    ):
        assert gc.lookup(snap, other) is None, other
    # the snapshot rewritten with other weights (the same name, a training run's newest snapshot): a new key
    G, cfg = load_generator(snap)
    with torch.no_grad():
        next(G.parameters()).add_(0.1)
    save_generator(snap, G, cfg, meta=runs.list_snapshots(run)[-1][1])
    disk_cache._digest.cache_clear()
    assert gc.make_key(snap, 0, 8, 8, 1.0) != key and gc.lookup(snap, gc.make_key(snap, 0, 8, 8, 1.0)) is None


def test_damaged_or_foreign_files_are_never_sent(tmp_path, cache):
    run = _copy(tmp_path, "mnist-dcgan")
    snap = runs.list_snapshots(run)[-1][0]
    key = gc.make_key(snap, 0, 8, 8, 1.0)
    from pipelines.images import screen_png

    good = screen_png(np.full((20, 20, 3), 128, np.uint8), text=gc.png_text(key))
    path = gc.cache_dir() / key.file_name()
    path.parent.mkdir(parents=True)
    path.write_bytes(good[: len(good) // 2])  # truncated (a full disk, a killed write)
    assert gc.lookup(snap, key) is None
    path.write_bytes(b"not a png at all" + gc.PNG_END)
    assert gc.lookup(snap, key) is None
    other = gc.make_key(snap, 3, 8, 8, 1.0)
    path.write_bytes(screen_png(np.zeros((20, 20, 3), np.uint8), text=gc.png_text(other)))  # renamed, or hash-colliding
    assert gc.lookup(snap, key) is None
    flipped = bytearray(good)  # one bit flipped in the pixel data: Pillow alone decodes other pixels without a word
    flipped[flipped.index(b"IDAT") + 4 + 14] ^= 0x80
    with Image.open(io.BytesIO(bytes(flipped))) as im:
        assert (np.asarray(im) != np.asarray(Image.open(io.BytesIO(good)))).any()
    path.write_bytes(bytes(flipped))
    assert gc.lookup(snap, key) is None
    path.write_bytes(good)
    assert gc.lookup(snap, key) == good


def test_the_cache_keeps_the_newest_files_only(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(gc, "FILES", __import__("dataclasses").replace(gc.FILES, max_files=3))
    run = _copy(tmp_path, "mnist-dcgan")
    snap = runs.list_snapshots(run)[-1][0]
    from pipelines.images import screen_png

    keys = [gc.make_key(snap, s, 8, 8, 1.0) for s in range(5)]
    for i, k in enumerate(keys):
        gc.store(k, screen_png(np.zeros((4, 4, 3), np.uint8), text=gc.png_text(k)), snap)
        os.utime(gc.cache_dir() / k.file_name(), (1000 + i, 1000 + i))
    gc.store(keys[-1], screen_png(np.zeros((4, 4, 3), np.uint8), text=gc.png_text(keys[-1])), snap)
    left = {p.name for p in gc.cache_dir().glob("*.png")}
    assert left == {k.file_name() for k in keys[-3:]}


def test_ganscope_ship_writes_the_first_grid_beside_the_run(tmp_path, cache):
    from pipelines.ship import main

    run = _copy(tmp_path, "fashion-dcgan")
    dest = tmp_path / "shipped"
    assert main([str(run), str(dest), "--keep", "2"]) == 0
    snap = runs.list_snapshots(dest)[-1][0]
    _, cfg = load_generator(snap)
    rows = gc.default_rows(cfg.num_classes)
    key = gc.make_key(snap, 0, rows, 8, 1.0, gc.cell_labels(cfg.num_classes, rows, 8))
    assert [p.name for p in (dest / gc.SHIPPED_DIR).iterdir()] == [key.file_name()]
    assert gc.lookup(snap, key) is not None and not (cache / "grids").exists()
    assert main([str(CHECKPOINTS / "ring-8"), str(tmp_path / "ring"), "--keep", "1"]) == 0  # points: no grid
    assert not (tmp_path / "ring" / gc.SHIPPED_DIR).exists()


def _fresh_grid(snap, n: int = 64) -> np.ndarray:
    G, _ = load_generator(snap)
    return grid_pixels(generate(G, seed_latents(G, range(n))).numpy(), 8, gc.DEFAULT_SIZE, True).astype(int)


def test_a_snapshot_rewritten_in_place_is_drawn_and_kept_with_its_new_weights(tmp_path, cache):
    """A snapshot overwritten in place with other weights of the same size, its mtime set back: the page
    reloads the generator (its caches are keyed on size, mtime, ctime and inode, not the mtime alone), so
    the grid drawn and kept under the new bytes' hash is the new weights', never the old ones'."""
    run = _copy(tmp_path, "mnist-dcgan")
    snap, meta = runs.list_snapshots(run)[-1]
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["run"] = str(run)
    at.run()
    assert not at.exception and len(list((cache / "grids").glob("*.png"))) == 1
    G, cfg = load_generator(snap)
    with torch.no_grad():
        for p in G.parameters():
            p.neg_()
    other = save_generator(tmp_path / "other.safetensors", G, cfg, meta=meta).read_bytes()
    before = os.stat(snap)
    assert len(other) == before.st_size
    with open(snap, "r+b") as f:
        f.write(other)
    os.utime(snap, ns=(before.st_atime_ns, before.st_mtime_ns))
    at.run()
    assert not at.exception
    key = gc.make_key(snap, 0, 8, 8, 1.0)
    png = gc.lookup(snap, key)
    assert png is not None, "the new weights' grid was not kept"
    kept = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert np.abs(kept - _fresh_grid(snap)).max() <= 1, "old weights' pixels kept under the new bytes' hash"


def test_a_grid_is_not_kept_when_the_snapshot_changed_while_it_rendered(tmp_path, cache):
    run = _copy(tmp_path, "mnist-dcgan")
    snaps = runs.list_snapshots(run)
    key = gc.make_key(snaps[-1][0], 0, 8, 8, 1.0)
    shutil.copyfile(snaps[0][0], snaps[-1][0])  # another training step's weights land meanwhile
    assert not gc.store(key, b"png of the old weights", snaps[-1][0])
    assert not (cache / "grids").exists()


def test_the_first_grid_written_for_an_imported_run_is_the_one_its_page_uses(tmp_path, cache):
    """Imported generators carry their own BatchNorm mode ("running"/"batch"): the shipped grid is keyed
    with it, as the page keys its lookup."""
    from pipelines.importers import import_generator
    from tests.test_app_import import _dcgan_file

    run, _ = import_generator(_dcgan_file(tmp_path / "netG_epoch_24.pth"), tmp_path / "runs" / "netG")
    assert gc.main([str(run)]) == 0
    seen = _visit_without_torch({"run": str(run)}, cache)
    assert "Image" in seen["main"] and seen["main"].index("Image") < seen["main"].index("Exception"), seen
    assert not (cache / "grids").exists()


def test_writing_grids_for_a_folder_that_is_not_a_run_fails(tmp_path, capsys):
    assert gc.main([str(tmp_path / "checkpoints" / "mnist-dcgan")]) == 1
    assert "not a run folder" in capsys.readouterr().err
