"""Pages that tell the truth (issue 23): the best snapshot is one the run has, judged by its quality
metric; the card says how many samples each figure used; toy runs show only metrics that mean
something for their kind of output."""

import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CHECKPOINTS
from tests.test_app import APP, _app, _captions, _ok


def _card(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_best_snapshot_is_shipped_and_by_quality():
    """mnist-dcgan ships steps 468, 6084, 11700; its metrics also name dropped snapshots (5148 was "best
    by diversity", the old default). The default is fd, where it was evaluated."""
    at = _app("diagnostics")
    assert at.selectbox(key="dx_best_metric").value == "fd"
    text = " ".join(m.value for m in at.markdown)
    step = int(re.search(r"step \*\*(\d+)\*\*", text).group(1))
    assert step in (468, 6084, 11700), text
    assert "the 3 snapshots the run has" in text
    at.selectbox(key="dx_best_metric").set_value("diversity").run()
    _ok(at)
    text = " ".join(m.value for m in at.markdown)
    assert int(re.search(r"step \*\*(\d+)\*\*", text).group(1)) in (468, 6084, 11700), text


def test_card_says_how_many_samples_each_figure_used():
    at = _app()
    card = _card(at)
    assert "fd 18" in card and "(5,000 samples)" in card, card  # the larger evaluation wins over 500
    assert "(256 samples)" in card  # the trainer's diversity, on its eval_samples


def test_toy_cards_show_only_metrics_of_their_kind():
    for run, own in (("toy-scalar", "scalar_w1"), ("ring-8", "ring_modes"), ("pattern-1010", "pattern_error")):
        card = _card(_app(run=run))
        assert own in card and "near_duplicates" not in card and "diversity" not in card, card


# ---- the discriminator's view ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_with_d(tmp_path_factory):
    """mnist-dcgan's final snapshot with a discriminator kept beside it (the shipped runs keep none):
    a D of the run's own architecture, fixed seed, saved as the trainer saves them."""
    import torch

    from models import build_discriminator, load_generator, save_discriminator
    from pipelines import runs

    src = CHECKPOINTS / "mnist-dcgan"
    run = tmp_path_factory.mktemp("d") / "dcgan-with-d"
    (run / "snapshots").mkdir(parents=True)
    for name in ("config.json", "log.jsonl", "metrics.jsonl"):
        shutil.copy(src / name, run / name)
    snap, meta = runs.list_snapshots(src)[-1]
    shutil.copy(snap, run / "snapshots" / snap.name)
    _, model_cfg = load_generator(snap)
    (run / "discriminators").mkdir()
    torch.manual_seed(0)
    save_discriminator(
        runs.discriminator_path(run, meta["step"]), build_discriminator(model_cfg), model_cfg, {"step": meta["step"]}
    )
    return run


def _open_typed(run, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.text_input(key="typed_run").set_value(str(run)).run()
    _ok(at)
    if page:
        at.switch_page(f"views/{page}.py").run()
        _ok(at)
    return at


def test_samples_show_d_score_under_every_tile(run_with_d):
    at = _open_typed(run_with_d)
    at.number_input(key="grid_rows").set_value(2).run()
    at.number_input(key="grid_cols").set_value(3).run()
    table = at.dataframe[0]
    assert table.value.shape == (2, 3)
    assert ((table.value.to_numpy() >= 0) & (table.value.to_numpy() <= 1)).all()  # BCE: a probability of real
    assert any("under each tile" in c.value for c in at.caption)


def test_no_d_no_view_and_no_error():
    at = _app()
    assert not at.dataframe  # Samples: no score table where the run kept no D
    at = _app("diagnostics")
    assert any("kept no discriminator" in c.value for c in at.caption)


def test_diagnostics_show_d_on_real_and_samples_and_where_it_looks(run_with_d):
    import json

    at = _open_typed(run_with_d, "diagnostics")
    text = " ".join(m.value for m in at.markdown)
    auc = float(re.search(r"AUC (\d\.\d\d)", text).group(1))
    assert 0 <= auc <= 1
    hist = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "real vs generated" in c.proto.spec)
    assert [t["name"] for t in hist["data"]] == ["256 samples", "256 real"]
    assert any("D's scores" in c for c in _captions(at))  # the saliency overlays


def test_compare_captions_carry_d_scores(run_with_d):
    at = _open_typed(run_with_d, "compare")
    assert any(" · D: " in c for c in _captions(at))


# ---- words ------------------------------------------------------------------------------------------


def test_a_mistyped_path_says_it_does_not_exist_and_suggests_the_run():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.text_input(key="typed_run").set_value(str(CHECKPOINTS / "mnist-dcgn")).run()
    assert not at.exception
    said = " ".join(e.value for e in at.sidebar.error)
    assert "does not exist" in said and f"Did you mean {CHECKPOINTS / 'mnist-dcgan'}?" in said, said


@pytest.mark.parametrize("run,fits,never", [("mnist-dcgan", "digits", "smiling"), ("ring-8", "points", "smiling")])
def test_arithmetic_hint_fits_the_run(run, fits, never):
    at = _app("arithmetic", run=run)
    hint = " ".join(i.value for i in at.info)
    assert fits in hint and never not in hint, hint


@pytest.fixture(scope="module")
def untrained_import(tmp_path_factory):
    """pytorch/examples' DCGAN generator saved before any training (BatchNorm running stats 0 and 1)."""
    import torch

    from pipelines.importers import import_generator
    from tests.fixtures.upstream import DCGANGenerator

    d = tmp_path_factory.mktemp("imp")
    torch.manual_seed(0)
    torch.save(DCGANGenerator(nz=100, ngf=8, nc=1).state_dict(), d / "netG_epoch_4.pth")
    import_generator(d / "netG_epoch_4.pth", d / "run")
    return d / "run"


def test_an_untrained_import_says_why_it_is_grey_and_names_its_layers(untrained_import):
    import json

    at = _open_typed(untrained_import)
    card = _card(at)
    assert "preset netG_epoch_4" not in card and "imported" in card, card
    said = " ".join(i.value for i in at.info)
    assert "flat grey" in said and "batch statistics (train mode)" in said, said
    at.switch_page("views/architecture.py").run()
    _ok(at)
    shown = json.dumps([df.value.to_dict() for df in at.dataframe])
    assert "CroppedConvTranspose2d" not in shown and "ConvTranspose2d, output cropped" in shown


def test_exported_pngs_carry_the_run_name_and_step_not_paths():
    import numpy as np

    from app.export import latents_json, png_bytes, read_png_provenance, zip_bytes

    prov = {"run": "/home/someone/ganscope/checkpoints/mnist-dcgan", "seed": 3, "z": [0.1, 0.2],
            "snapshot": "/home/someone/ganscope/checkpoints/mnist-dcgan/snapshots/step-0011700.safetensors"}  # fmt: skip
    chunk = read_png_provenance(png_bytes(np.zeros((4, 4), np.uint8), prov))
    assert chunk == {"run": "mnist-dcgan", "step": 11700, "seed": 3, "z": [0.1, 0.2]}
    assert "/home/someone" not in zip_bytes([np.zeros((4, 4), np.uint8)], [prov]).decode("latin-1")
    assert "/home/someone" not in latents_json(np.zeros((1, 2)), prov).decode()
    project = {"run": "/x/runs/faces-orl/snapshots/step-0007200.safetensors", "z": [0.0]}  # Project's record
    assert read_png_provenance(png_bytes(np.zeros((4, 4), np.uint8), project))["run"] == "faces-orl"


def test_d_scores_an_uploaded_image(run_with_d):
    import io

    import numpy as np
    from PIL import Image

    at = _open_typed(run_with_d, "diagnostics")
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((40, 40)) * 255).astype(np.uint8)).save(buf, format="PNG")
    at.file_uploader(key="d_upload").set_value(("mine.png", buf.getvalue(), "image/png")).run()
    _ok(at)
    cap = next(c for c in _captions(at) if c.startswith("mine.png"))
    assert re.search(r"D's probability of real \d\.\d\d \((real|generated), to D\)", cap), cap
    at.file_uploader(key="d_upload").set_value(("notes.png", b"not an image", "image/png")).run()
    assert not at.exception and any("notes.png is not an image" in e.value for e in at.error)


def test_d_view_numbers_on_a_trained_discriminator(tmp_path, mnist_dir):
    """A D trained a few steps tells real digits from its generator's samples well above chance, and
    its input gradient is a map in [0, 1] over each image."""
    import torch

    from models import load_discriminator, load_generator
    from pipelines import runs
    from pipelines.d_view import saliency, scores, separation
    from pipelines.data import load_dataset, to_range
    from pipelines.presets import get_preset
    from pipelines.train import train

    cfg = get_preset("mnist-dcgan").replace(data_dir=str(mnist_dir), limit=256, max_steps=6, eval_samples=0, batch_size=32)
    train(cfg, tmp_path / "run", progress=False)
    snap, meta = runs.list_snapshots(tmp_path / "run")[-1]
    D, _ = load_discriminator(runs.find_discriminator(tmp_path / "run", meta["step"]))
    G, _ = load_generator(snap)
    real = to_range(load_dataset("mnist", mnist_dir, 28, 1, train=False, limit=128).images, (-1.0, 1.0))
    with torch.no_grad():
        fake = G(torch.randn(128, G.z_dim, generator=torch.Generator().manual_seed(0)))
    s_real, s_fake = scores(D, real, "bce"), scores(D, fake, "bce")
    assert separation(s_real, s_fake) > 0.75 and separation(s_real, s_real) == 0.5  # 0.86 measured
    heat = saliency(D, real[:4])
    assert heat.shape == (4, 28, 28) and heat.min() >= 0 and heat.max() == 1.0
