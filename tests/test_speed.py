"""What makes first visits fast stays right: the grid without torchvision, images enlarged for the
screen, the randomized GANSpace PCA against the full one, the faster projection's PSNR on a real ORL
photo, and the header without a Deploy button."""

import math
import subprocess
import sys
import tomllib

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from torchvision.utils import make_grid

from app.components.samples_view import screen_png
from app.render import enlarge, generate, grid_u8, images_u8, seed_latents
from models import load_generator
from pipelines.directions import _pca, ganspace, layer_activations, probe_layers
from pipelines.faces import FaceCropper, open_photo
from pipelines.project import project
from tests.conftest import CHECKPOINTS, ROOT

SAMPLES_PATH = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=180)
at.run()
assert not at.exception and at.get("image"), "the Samples page did not draw its grid"
print(" ".join(m for m in ("torchvision", "scipy", "pandas", "facenet_pytorch", "av") if m in sys.modules))
"""


@pytest.mark.parametrize("n,nrow,shape", [(64, 8, (1, 28, 28)), (5, 8, (3, 5, 7)), (7, 3, (1, 9, 4)), (2, 2, (3, 6, 6))])
def test_grid_is_laid_out_exactly_as_torchvision_did(n, nrow, shape):
    x = torch.rand(n, *shape)
    for scale in (1, 3):
        big = x.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
        want = make_grid(big, nrow=nrow, padding=2, pad_value=1.0).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
        assert np.array_equal(grid_u8(x, nrow=nrow, scale=scale), want)


def test_a_64px_face_is_drawn_at_least_192px_smooth_or_pixel_exact():
    face = torch.rand(3, 1, 64, 64)
    u8 = images_u8(face)
    exact = enlarge(u8, size=192)
    assert exact.shape == (3, 192, 192, 1)
    assert np.array_equal(exact[:, ::3, ::3], u8) and np.array_equal(exact[:, 2::3, 1::3], u8)  # every pixel a 3x3 square
    smooth = enlarge(u8, size=192, smooth=True)
    assert smooth.shape == (3, 192, 192, 1) and not np.array_equal(smooth, exact)
    digit = images_u8(torch.rand(1, 1, 28, 28))
    assert enlarge(digit, size=192).shape[1] == 196 and enlarge(digit, size=192, smooth=True).shape[1] == 192
    assert grid_u8(face, nrow=3, size=192, smooth=True).shape == (192 + 4, 3 * 192 + 8, 3)
    assert enlarge(images_u8(torch.rand(1, 3, 256, 256)), size=192).shape[1] == 256  # large images stay as they are


def test_grids_are_sent_as_lossless_pngs_grey_when_the_samples_are():
    """The PNG the browser gets: one channel for a grid of one-channel samples (3x less to encode), three
    for colour, and every pixel as the grid holds it."""
    import io

    from PIL import Image

    G, _ = load_generator(CHECKPOINTS / "mnist-dcgan")
    grid = grid_u8(generate(G, seed_latents(G, range(64))), nrow=8, size=180, smooth=True)
    grey = Image.open(io.BytesIO(screen_png(grid)))
    assert grey.mode == "L" and np.array_equal(np.asarray(grey), grid[..., 0])
    colour = grid_u8(torch.rand(6, 3, 20, 20), nrow=3, scale=3)
    rgb = Image.open(io.BytesIO(screen_png(colour)))
    assert rgb.mode == "RGB" and np.array_equal(np.asarray(rgb), colour)


def test_the_samples_page_loads_without_torchvision_scipy_pandas_or_facenet():
    """Cold start: importing torchvision alone cost 1.5 s of the 8 s a browser waited for the first grid."""
    out = subprocess.run(
        [sys.executable, "-c", SAMPLES_PATH.format(app=str(ROOT / "app" / "dashboard.py"))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), f"imported on the Samples path: {out.stdout.strip()}"


def test_randomized_pca_finds_the_same_directions_as_the_full_svd():
    G, _ = load_generator(CHECKPOINTS / "mnist-dcgan")
    layer = probe_layers(G)[0]  # the page's default layer: 6,272 activations
    z = torch.randn(1000, G.z_dim, generator=torch.Generator().manual_seed(0))
    acts = layer_activations(G, z, layer)
    fast, e_fast, _ = _pca(acts, 10)
    full, e_full, _ = _pca(acts, 10, exact=True)
    cos = (fast * full).sum(1).abs()
    assert cos.min() > 0.99, cos  # each of the 10 components, not just the span
    assert torch.allclose(e_fast, e_full, rtol=0.01)
    assert torch.linalg.svdvals(fast[:5] @ full[:5].T).min() > 0.999  # the top-5 subspaces coincide
    # and the directions in z that the page moves along
    d_fast, d_full = ganspace(G, layer, n=1000, k=5), ganspace(G, layer, n=1000, k=5, exact=True)
    assert (d_fast.vectors * d_full.vectors).sum(1).abs().min() > 0.99
    assert torch.allclose(d_fast.sigma, d_full.sigma, rtol=0.02)
    assert torch.equal(ganspace(G, layer, n=1000, k=5).vectors, d_fast.vectors)  # seeded: the same every time


@pytest.mark.parametrize("run", ["mnist-dcgan", "faces-orl", "mnist-cgan"])
def test_the_probe_stops_the_forward_pass_and_sees_what_a_whole_pass_shows(run):
    G, _ = load_generator(CHECKPOINTS / run)
    z = torch.randn(6, G.z_dim, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(6) % G.num_classes if G.num_classes else None
    last = [m for m in G.modules() if not list(m.children())][-1]
    for layer in probe_layers(G):
        module = dict(G.named_modules())[layer]
        whole: list[torch.Tensor] = []
        h = module.register_forward_hook(lambda _m, _i, o, whole=whole: whole.append(o.reshape(len(o), -1)))
        with torch.no_grad():
            G(z, labels)  # a whole pass: in-place activations after the layer rewrite what it output
        h.remove()
        calls: list[int] = []
        h = last.register_forward_hook(lambda *a, calls=calls: calls.append(1))
        acts = layer_activations(G, z, layer, labels)
        h.remove()
        assert torch.equal(acts, whole[0]), layer
        assert not calls, f"{layer}: the last layer ran"


@pytest.mark.parametrize("photo", ["s12/5.pgm", "s33/7.pgm"])
def test_projection_of_a_real_orl_photo_reaches_20_db_in_at_most_130_steps(faces_dir, photo):
    G, _ = load_generator(CHECKPOINTS / "faces-orl")
    status, _, _, crops = FaceCropper(64).faces(open_photo(faces_dir / "att_orl" / photo))
    assert status == "ok"
    target = G.output.from_unit(TF.to_tensor(crops[0].convert("L")))
    result = project(G, target, seed=0)  # the page's defaults
    lo, hi = G.output.value_range
    psnr = 10 * math.log10((hi - lo) ** 2 / result.mse)
    assert psnr >= 20.0, psnr
    assert result.steps_run <= 130 and len(result.history) == result.steps_run
    assert len(result.restart_mse) == 4 and min(result.restart_mse) == pytest.approx(result.mse)
    with torch.no_grad():
        assert torch.allclose(G(result.z[None])[0], result.image, atol=1e-5)


def test_the_header_has_no_deploy_button():
    cfg = tomllib.loads((ROOT / "app" / ".streamlit" / "config.toml").read_text())
    assert cfg["client"]["toolbarMode"] == "viewer"  # checked in Chromium by tests/test_browser.py
