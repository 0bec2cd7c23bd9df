"""ganscope-import on PyTorch files: the upstream generators (copied in tests/fixtures, trained a few
steps on real MNIST) give the same outputs after import, and bad or hostile files are refused
with one sentence naming them, leaving nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import pickle

import pytest
import torch
import torch.nn.functional as F

from models import SequentialConfig, load_generator
from pipelines.importers import Hints, ImportFailed, detect, import_generator
from pipelines.importers.cli import main
from pipelines.runs import read_config
from tests.conftest import CHECKPOINTS
from tests.fixtures.upstream import DCGANGenerator, train_dcgan, train_myo

TOL = 1e-4


def _z(n: int, d: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def _nothing_left(parent, name):
    assert not (parent / name).exists()
    assert not [p for p in parent.iterdir() if p.name.startswith(f".{name}.")], "a temporary folder was left behind"


@pytest.fixture(scope="module")
def mnist64(mnist_small):
    """Real MNIST digits at 64x64 in [-1, 1], as pytorch/examples' transforms make them."""
    x = mnist_small.images[:64].float().div(255).mul(2).sub(1)
    return F.interpolate(x, size=64, mode="bilinear", align_corners=False)


@pytest.mark.parametrize("nz,ngf,nc", [(100, 8, 1), (16, 4, 3)])
def test_pytorch_examples_dcgan_matches_upstream(tmp_path, mnist64, nz, ngf, nc):
    up = train_dcgan(mnist64.expand(-1, nc, -1, -1), nz, ngf, nc)
    src = tmp_path / "netG_epoch_24.pth"
    torch.save(up.state_dict(), src)
    assert main([str(src), "--out", str(tmp_path / "run")]) == 0
    G, cfg = load_generator(tmp_path / "run")
    assert isinstance(cfg, SequentialConfig) and tuple(G.output.shape) == (nc, 64, 64) and G.output.value_range == (-1.0, 1.0)
    z = _z(8, nz)
    with torch.no_grad():
        ours, theirs = G(z), up.eval()(z[:, :, None, None])
        assert (ours - theirs).abs().max() < TOL
        # their own sample images use batch statistics (the script never calls netG.eval())
        G.set_batchnorm_mode("batch")
        assert (G(z) - up.train()(z[:, :, None, None])).abs().max() < TOL
        assert (G(z) - theirs).abs().max() > 1e-3  # the two modes really differ on a trained network
    data = json.loads((tmp_path / "run" / "config.json").read_text())
    src_rec = data["source"]
    assert src_rec["file"] == "netG_epoch_24.pth"
    assert src_rec["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert src_rec["format"] == "pytorch-state-dict" and f"nz={nz}, ngf={ngf}, nc={nc}" in src_rec["family"]
    assert src_rec["output_range"] == [-1.0, 1.0] and src_rec["batchnorm"] == "running"
    assert read_config(tmp_path / "run").preset == "netG_epoch_24"


def test_make_your_own_gan_mlp_matches_upstream(tmp_path, mnist_small):
    up = train_myo(mnist_small.images.float().div(255), steps=30)
    src = tmp_path / "myo_generator.pth"
    torch.save(up.state_dict(), src)
    run, imp = import_generator(src, tmp_path / "run")
    G, _ = load_generator(run)
    assert tuple(G.output.shape) == (1, 28, 28) and G.output.value_range == (0.0, 1.0)
    z = _z(16, 100)
    with torch.no_grad():
        assert (G(z).reshape(16, 784) - up.forward(z)).abs().max() < TOL
    assert "08_gan_mnist" in imp.record.family and imp.record.batchnorm == "none"


def test_checkpoint_dict_with_module_prefix(tmp_path):
    up = DCGANGenerator(nz=8, ngf=2, nc=1).eval()
    src = tmp_path / "ckpt.pt"
    torch.save({"epoch": 3, "netG": {f"module.{k}": v for k, v in up.state_dict().items()}}, src)
    run, _ = import_generator(src, tmp_path / "run")
    z = _z(4, 8)
    with torch.no_grad():
        assert (load_generator(run)[0](z) - up(z[:, :, None, None])).abs().max() < TOL


def test_ganscope_snapshot_imports_as_itself(tmp_path):
    snap = sorted((CHECKPOINTS / "mnist-dcgan" / "snapshots").glob("*.safetensors"))[-1]
    run, imp = import_generator(snap, tmp_path / "run", Hints(name="copy"))
    z = _z(4, 100)
    with torch.no_grad():
        assert torch.equal(load_generator(run)[0](z), load_generator(snap)[0](z))
    assert imp.record.format == "ganscope-snapshot" and read_config(run).model == load_generator(snap)[1]


def test_whole_pickled_module_is_refused_with_advice(tmp_path, capsys):
    src = tmp_path / "netG.pth"
    torch.save(DCGANGenerator(nz=8, ngf=2, nc=1), src)
    assert main([str(src), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "netG.pth" in err and "torch.save(netG.state_dict()" in err
    _nothing_left(tmp_path, "run")


class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_crafted_pickle_runs_no_code(tmp_path, how):
    marker = tmp_path / "pwned"
    # the payload works: plain unpickling runs it
    pickle.loads(pickle.dumps(_Evil(tmp_path / "proof")))
    assert (tmp_path / "proof").exists()
    src = tmp_path / "generator.pth"
    if how == "torch.save":
        torch.save({"main.0.weight": torch.zeros(1), "x": _Evil(marker)}, src)
    else:
        src.write_bytes(pickle.dumps(_Evil(marker), protocol=2))
    with pytest.raises(ImportFailed, match="generator.pth: is a pickled Python object") as e:
        import_generator(src, tmp_path / "run")
    assert "system" in str(e.value)
    assert not marker.exists()
    _nothing_left(tmp_path, "run")


def test_bad_files_get_one_clear_error(tmp_path):
    good = tmp_path / "good.pth"
    torch.save(DCGANGenerator(nz=8, ngf=2, nc=1).state_dict(), good)
    cases = {}
    (tmp_path / "notes.txt").write_text("these are not weights\n" * 10)
    cases["notes.txt"] = "not a generator file"
    data = good.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    cases["cut.pth"] = "truncated or corrupt"
    (tmp_path / "empty.pth").write_bytes(b"")
    cases["empty.pth"] = "empty"
    sd = DCGANGenerator(nz=8, ngf=2, nc=1).state_dict()
    sd["main.1.weight"] = torch.ones(5)  # BatchNorm over 5 channels after a 16-channel conv
    torch.save(sd, tmp_path / "mismatch.pth")
    cases["mismatch.pth"] = "BatchNorm2d over 16 channels"
    torch.save({"encoder.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    cases["other.pth"] = "no generator family ganscope knows"
    for name, words in cases.items():
        with pytest.raises(ImportFailed) as e:
            import_generator(tmp_path / name, tmp_path / "run")
        assert str(e.value).startswith(f"{name}: ") and words in str(e.value), str(e.value)
        _nothing_left(tmp_path, "run")
    assert detect(good) == "torch"


def test_existing_run_dir_is_not_overwritten(tmp_path):
    src = tmp_path / "g.pth"
    torch.save(DCGANGenerator(nz=8, ngf=2, nc=1).state_dict(), src)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("mine")
    with pytest.raises(ImportFailed, match="already exists"):
        import_generator(src, tmp_path / "run")
    assert (tmp_path / "run" / "keep.txt").read_text() == "mine"


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    from pipelines.importers import common

    src = tmp_path / "g.pth"
    torch.save(DCGANGenerator(nz=8, ngf=2, nc=1).state_dict(), src)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(common, "save_generator", boom)
    with pytest.raises(OSError):
        import_generator(src, tmp_path / "run")
    _nothing_left(tmp_path, "run")


def test_real_weights_in_the_notebooks_layout_draw_the_same_digits(tmp_path):
    """The shipped mnist-mlp is the notebook's network trained by ganscope: saved under the notebook's
    keys (model.0, model.2, model.3) it imports to the same generator, image for image."""
    shipped, _ = load_generator(CHECKPOINTS / "mnist-mlp")
    sd = {k.replace("net.", "model."): v for k, v in shipped.state_dict().items()}
    torch.save(sd, tmp_path / "myo_gan_mnist.pth")
    run, imp = import_generator(tmp_path / "myo_gan_mnist.pth", tmp_path / "run")
    z = _z(64, 100)
    with torch.no_grad():
        assert (load_generator(run)[0](z) - shipped(z)).abs().max() < TOL
    assert "08_gan_mnist" in imp.record.family
