"""The dashboard on imported generators (AppTest): every page opens on an imported run without an
exception, pages that need a training log or gradients say why they cannot show it, the sidebar
offers BatchNorm statistics, and "Import a generator" turns an upload into a run."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

from pipelines.importers import import_generator
from tests.conftest import ROOT, run_card
from tests.fixtures.upstream import DCGANGenerator, weights_init

APP = str(ROOT / "app" / "dashboard.py")
PAGES = sorted(p.stem for p in (ROOT / "app" / "views").glob("*.py") if p.stem != "__init__")


def _dcgan_file(path: Path) -> Path:
    torch.manual_seed(0)
    G = DCGANGenerator(nz=16, ngf=4, nc=1)
    G.apply(weights_init)
    with torch.no_grad():
        G(torch.randn(32, 16, 1, 1))  # one forward in train mode: running statistics move, as after training
    torch.save(G.state_dict(), path)
    return path


def _gelu_onnx(path: Path) -> Path:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 784), nn.Unflatten(1, (1, 28, 28)), nn.Tanh()).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, (torch.randn(2, 16),), str(path), dynamo=False, opset_version=20, input_names=["z"], dynamic_axes={"z": {0: "n"}}
        )
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """Two imported runs (a pytorch/examples DCGAN, an ONNX graph onnx2torch cannot convert) and the
    upload folder, visible to the app through GANSCOPE_RUNS / GANSCOPE_IMPORT_DIR."""
    files, runs_dir, uploads = (tmp_path_factory.mktemp(n) for n in ("files", "imported", "uploads"))
    dcgan, _ = import_generator(_dcgan_file(files / "netG_epoch_24.pth"), runs_dir / "netG_epoch_24")
    onnx_run, imp = import_generator(_gelu_onnx(files / "gelu.onnx"), runs_dir / "gelu")
    assert imp.record.runtime == "onnxruntime"
    old = {k: os.environ.get(k) for k in ("GANSCOPE_RUNS", "GANSCOPE_IMPORT_DIR")}
    os.environ["GANSCOPE_RUNS"] = str(runs_dir)
    os.environ["GANSCOPE_IMPORT_DIR"] = str(uploads)
    yield {"dcgan": dcgan, "onnx": onnx_run, "uploads": uploads, "files": files}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _open(run: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="run_select").set_value(str(run)).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at, kind: str) -> str:
    return " ".join(e.value for e in at.get(kind))


@pytest.mark.parametrize("which", ["dcgan", "onnx"])
def test_every_page_opens_on_an_imported_run(imported, which):
    at = _open(imported[which])
    card = run_card(at)
    assert "imported from" in card and "no training log" in card
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.message for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        info = _texts(at, "info")
        if page == "training":
            assert "No training log for" in info and "trained elsewhere" in info
        if page == "diagnostics":
            assert "has no training log" in info
        if page == "architecture":
            assert "without a discriminator" in _texts(at, "caption")
        if which == "onnx" and page == "project":
            assert "Projection is unavailable" in info and "onnxruntime" in info
        if which == "onnx" and page == "directions":
            assert "Directions by layer are unavailable" in info
    if which == "onnx":
        assert "Project a photo and Directions by layer unavailable" in card


def test_batchnorm_statistics_choice(imported):
    at = _open(imported["dcgan"])
    key = f"bn_mode_{imported['dcgan']}"
    assert at.sidebar.radio(key=key).value == "running"
    assert "BatchNorm: running statistics" in run_card(at)
    first = at.get("image")[0].proto.imgs[0].url
    at.sidebar.radio(key=key).set_value("batch").run()
    assert not at.exception
    assert "BatchNorm: batch statistics" in run_card(at)
    assert at.get("image")[0].proto.imgs[0].url != first  # the grid is redrawn with the batch's statistics


def test_upload_becomes_a_run_and_opens(imported):
    at = _open(imported["dcgan"])
    data = (imported["files"] / "netG_epoch_24.pth").read_bytes()
    at.sidebar.file_uploader(key="import_upload").set_value(("netG_epoch_24.pth", data, "application/octet-stream")).run()
    assert not at.exception
    new = imported["uploads"] / "netG_epoch_24"
    assert (new / "config.json").is_file() and list((new / "snapshots").glob("*.safetensors"))
    assert "Imported netG_epoch_24.pth" in _texts(at, "success") and "as run netG_epoch_24" in _texts(at, "success")
    assert at.sidebar.selectbox(key="run_select").value == str(new)


def test_bad_upload_says_why_and_writes_nothing(imported):
    at = _open(imported["dcgan"])
    before = sorted(p.name for p in imported["uploads"].iterdir())
    at.sidebar.file_uploader(key="import_upload").set_value(("notes.txt", b"not weights\n" * 20, "text/plain")).run()
    assert not at.exception
    err = _texts(at, "error")
    assert "Cannot import notes.txt: is not a generator file" in err and "Nothing was written" in err
    assert sorted(p.name for p in imported["uploads"].iterdir()) == before
    assert at.sidebar.selectbox(key="run_select").value == str(imported["dcgan"])
