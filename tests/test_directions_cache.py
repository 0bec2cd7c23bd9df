"""Directions on disk: a second process opens them without computing, a rewritten snapshot is never
shown its old directions, a file written for another key is ignored, and the directions shipped
beside the runs are those of their current final snapshots, as the code computes them today."""

import json
import shutil

import pytest
import torch
from safetensors import safe_open

from models import load_generator
from pipelines import directions_cache as dc
from pipelines import disk_cache, runs
from pipelines.directions import ganspace, latent_pca, probe_layers
from tests.conftest import CHECKPOINTS

SHIPPED = sorted(p for p in CHECKPOINTS.iterdir() if (p / "config.json").is_file())


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder for this test (GANSCOPE_CACHE)."""
    monkeypatch.setenv("GANSCOPE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "directions"


def _run_copy(tmp_path, run="mnist-dcgan"):
    """A copy of a shipped run without its shipped directions, so every lookup goes to the cache."""
    dest = tmp_path / run
    shutil.copytree(CHECKPOINTS / run, dest, ignore=shutil.ignore_patterns(dc.SHIPPED_DIR))
    return dest


def _refuse_to_compute(*_a, **_k):
    raise AssertionError("computed, though a matching file was on disk")


def _same(a, b):
    return torch.equal(a.vectors, b.vectors) and torch.equal(a.explained, b.explained) and torch.equal(a.sigma, b.sigma)


def test_a_second_lookup_reads_the_file_the_first_one_wrote(tmp_path, cache, monkeypatch):
    run = _run_copy(tmp_path)
    snap = runs.list_snapshots(run)[-1][0]
    G, _ = load_generator(snap)
    layer = probe_layers(G)[0]
    first = dc.cached_directions(G, snap, "layer", layer)
    assert _same(first, ganspace(G, layer, n=dc.N_SAMPLES, k=dc.K_DIRECTIONS))  # what the page computed before
    assert [p.name for p in cache.iterdir()] == [dc.make_key(snap, "layer", layer).file_name()]
    latents = dc.cached_directions(G, snap, "latents")
    assert _same(latents, latent_pca(G, n=dc.N_SAMPLES, k=dc.K_DIRECTIONS)) and len(list(cache.iterdir())) == 2
    monkeypatch.setattr(dc, "compute", _refuse_to_compute)  # as a new process would: only the files
    disk_cache._digest.cache_clear()
    assert _same(dc.cached_directions(G, snap, "layer", layer), first)
    assert _same(dc.cached_directions(G, snap, "latents"), latents)
    with pytest.raises(AssertionError, match="computed"):  # another layer or BatchNorm mode is another key
        dc.cached_directions(G, snap, "layer", probe_layers(G)[1])
    with pytest.raises(AssertionError, match="computed"):
        dc.cached_directions(G, snap, "layer", layer, "batch")


def test_a_rewritten_snapshot_gets_its_own_directions(tmp_path, cache):
    run = _run_copy(tmp_path)
    (early, _), (final, _) = runs.list_snapshots(run)[0], runs.list_snapshots(run)[-1]
    G, _ = load_generator(final)
    layer = probe_layers(G)[0]
    old = dc.cached_directions(G, final, "layer", layer)
    shutil.copyfile(early, final)  # the same path now holds other weights (its mtime may even be the same second)
    G2, _ = load_generator(final)
    new = dc.cached_directions(G2, final, "layer", layer)
    assert _same(new, ganspace(G2, layer, n=dc.N_SAMPLES, k=dc.K_DIRECTIONS))
    assert (new.vectors * old.vectors).sum(1).abs().min() < 0.9  # really other directions, not the stale file's
    assert len(list(cache.iterdir())) == 2


def test_a_file_for_another_key_or_a_damaged_file_is_not_used(tmp_path, cache):
    run = _run_copy(tmp_path)
    snap = runs.list_snapshots(run)[-1][0]
    G, _ = load_generator(snap)
    key = dc.make_key(snap, "latents")
    path = dc.places(snap, key)[-1]
    wrong = torch.ones(dc.K_DIRECTIONS, G.z_dim)
    path.parent.mkdir(parents=True, exist_ok=True)
    other = dc.DirectionsKey(key.snapshot_sha256, "latents", "", "", seed=1)
    path.write_bytes(dc.file_bytes(other, dc.Directions(wrong, wrong[:, 0], wrong[:, 0])))
    assert dc.read(path, key) is None  # a file under the right name, written for seed 1
    assert _same(dc.cached_directions(G, snap, "latents"), latent_pca(G, n=dc.N_SAMPLES, k=dc.K_DIRECTIONS))
    path.write_bytes(path.read_bytes()[:50])  # truncated
    assert dc.read(path, key) is None
    assert _same(dc.cached_directions(G, snap, "latents"), latent_pca(G, n=dc.N_SAMPLES, k=dc.K_DIRECTIONS))
    assert dc.read(path, key) is not None  # and written again, whole


def test_every_shipped_run_carries_the_directions_of_its_current_final_snapshot():
    for run in SHIPPED:
        snap = runs.list_snapshots(run)[-1][0]
        G, _ = load_generator(snap)
        files = sorted((run / dc.SHIPPED_DIR).glob("*.safetensors"))
        if not getattr(G, "has_layers", True) or not probe_layers(G):
            assert not files, run.name
            continue
        key = dc.make_key(snap, "layer", probe_layers(G)[0])  # the page's first view
        assert [f.name for f in files] == [key.file_name()], f"{run.name}: run python -m pipelines.directions_cache"
        with safe_open(str(files[0]), framework="pt") as f:
            assert json.loads(f.metadata()["key"])["algorithm"] == dc.ALGORITHM
        assert dc.read(files[0], key) is not None, run.name


@pytest.mark.parametrize("run", ["mnist-dcgan", "faces-orl"])
def test_shipped_directions_are_what_the_code_computes(run, cache, monkeypatch):
    snap = runs.list_snapshots(CHECKPOINTS / run)[-1][0]
    G, _ = load_generator(snap)
    layer = probe_layers(G)[0]
    fresh = ganspace(G, layer, n=dc.N_SAMPLES, k=dc.K_DIRECTIONS)
    monkeypatch.setattr(dc, "compute", _refuse_to_compute)
    shipped = dc.cached_directions(G, snap, "layer", layer)  # from checkpoints/RUN/directions/, not computed
    assert (shipped.vectors * fresh.vectors).sum(1).abs().min() > 0.999
    assert torch.allclose(shipped.explained, fresh.explained, rtol=1e-3)
    assert torch.allclose(shipped.sigma, fresh.sigma, rtol=1e-3)
    assert not cache.exists()  # nothing needed writing


def test_the_directions_page_opens_the_shipped_directions_without_computing(cache, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(dc, "compute", _refuse_to_compute)
    at = AppTest.from_file(str(CHECKPOINTS.parent / "app" / "dashboard.py"), default_timeout=180)
    at.run()
    at.switch_page("views/directions.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.slider(key="dir_k").value == 5 and len(at.get("image")) == 2  # original → moved, and the rows
    assert (
        at.slider(key="dir_amt_layer_0").label.startswith("PC1 (")
        and "% of the variance)" in at.slider(key="dir_amt_layer_0").label
    )
    assert not cache.exists()
