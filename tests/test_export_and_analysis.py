"""Pure pieces behind the pages: exports carry their provenance, GANSpace finds real directions,
curves smooth as promised, rendering gives distinct images."""

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from app import export
from app.charts import ema
from app.render import generate, grid_u8, sample_grid, seed_latents
from models import DCGANConfig, DCGANGenerator, load_generator
from pipelines.directions import ganspace, labelled_direction, latent_pca, layer_activations, move, probe_layers
from tests.conftest import CHECKPOINTS


def _img(seed=0, shape=(28, 28, 1)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_png_round_trips_pixels_and_provenance():
    prov = {"run": "checkpoints/mnist-dcgan", "snapshot": "step-0004680.safetensors", "seed": 12, "z": [0.5, -1.25]}
    data = export.png_bytes(_img(), prov)
    assert export.read_png_provenance(data) == {"run": "mnist-dcgan", "step": 4680, "seed": 12, "z": [0.5, -1.25]}  # no paths
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), _img()[:, :, 0])
    assert export.read_png_provenance(export.png_bytes(_img())) is None
    with pytest.raises(ValueError, match="not an image that can be read"):
        export.read_png_provenance(b"GIF89a not really")


def test_zip_gif_npy_json():
    imgs = [_img(i) for i in range(3)]
    provs = [{"seed": i, "z": [float(i)]} for i in range(3)]
    zf = zipfile.ZipFile(io.BytesIO(export.zip_bytes(imgs, provs, "s")))
    assert sorted(zf.namelist()) == ["latents.json", "s-000.png", "s-001.png", "s-002.png"]
    assert export.read_png_provenance(zf.read("s-002.png")) == provs[2]
    gif = Image.open(io.BytesIO(export.gif_bytes([_img(i, (16, 16, 3)) for i in range(5)])))
    assert gif.n_frames == 5
    z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    assert np.array_equal(np.load(io.BytesIO(export.npy_bytes(z))), z)
    assert np.allclose(json.loads(export.latents_json(z, {"run": "r"}))["latents"], z)


def test_mp4_export_when_pyav_is_present():
    pytest.importorskip("av")
    data = export.mp4_bytes([_img(i, (28, 28, 1)) for i in range(6)], fps=6)
    assert data[4:8] == b"ftyp" and len(data) > 500


def test_shipped_grid_shows_distinct_images():
    G, _ = load_generator(CHECKPOINTS / "mnist-dcgan")
    x = generate(G, seed_latents(G, range(64)))
    flat = x.reshape(64, -1)
    d = torch.cdist(flat, flat) + torch.eye(64) * 1e9
    assert d.min() > 0.5  # no two of the 64 cells are the same image
    grid = sample_grid(G, range(64), nrow=8)
    assert grid.shape == (8 * 30 + 2, 8 * 30 + 2, 3) and grid.dtype == np.uint8
    assert np.array_equal(grid, sample_grid(G, range(64), nrow=8))  # a seed always renders the same image
    assert grid_u8(x[:2], nrow=2, scale=3).shape == (28 * 3 + 4, 2 * 28 * 3 + 6, 3)


def test_ganspace_directions_move_the_layer_along_its_components():
    G, _ = load_generator(CHECKPOINTS / "mnist-dcgan")
    layer = probe_layers(G)[0]
    d = ganspace(G, layer, n=1000, k=4)
    assert d.vectors.shape == (4, G.z_dim)
    assert torch.allclose(d.vectors.norm(dim=1), torch.ones(4), atol=1e-5)
    assert (d.explained[:-1] >= d.explained[1:]).all() and d.explained.sum() < 1
    # moving along PC1 changes the layer more than moving the same distance along a random direction
    z = seed_latents(G, range(50))
    base = layer_activations(G, z, layer)
    rnd = torch.randn(G.z_dim)
    rnd /= rnd.norm()
    along = (layer_activations(G, z + 2 * d.vectors[0], layer) - base).norm(dim=1).mean()
    random = (layer_activations(G, z + 2 * rnd, layer) - base).norm(dim=1).mean()
    assert along > 1.2 * random
    # the prior is isotropic, so PCA of the latents themselves finds no dominant direction
    lp = latent_pca(G, n=2000, k=5)
    assert lp.explained[0] < 2.5 / G.z_dim


def test_labelled_direction_and_move():
    with_set = torch.ones(3, 4) * 2
    without = torch.zeros(2, 4)
    v = labelled_direction(with_set, without)
    assert torch.equal(v, torch.full((4,), 2.0))
    assert torch.equal(move(torch.zeros(4), v[None], torch.tensor([0.5])), torch.ones(4))
    with pytest.raises(ValueError):
        labelled_direction(torch.empty(0, 4), without)


def test_probe_layers_of_a_dcgan():
    names = probe_layers(DCGANGenerator(DCGANConfig(image_size=28, channels=1, ngf=8)))
    assert names and all(n.startswith("net.") for n in names)


def test_ema_smoothing():
    raw = [1.0, None, 3.0, 3.0]
    assert np.array_equal(ema(raw, 0.0), np.array([1.0, np.nan, 3.0, 3.0]), equal_nan=True)
    out = ema(raw, 0.5)
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 2.0 and out[3] == 2.5
