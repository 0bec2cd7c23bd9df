"""ganscope-evaluate on face and toy runs: O-Net face features, the toy metrics, the shipped runs, the CLI."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch
import torchvision.transforms.functional as TF

from models import load_generator
from pipelines import runs
from pipelines.data import load_dataset, to_range
from pipelines.evaluate import evaluate_run, frechet_distance, kernel_distance, main
from pipelines.face_features import face_embed
from pipelines.toy_metrics import toy_scores
from pipelines.toydata import make_toy
from tests.conftest import CHECKPOINTS

TOY_RUNS = {
    "ring-8": "ring-8",
    "pattern-1010": "pattern-1010",
    "sine": "sine",
    "quadratic-1d": "quadratic",
    "toy-scalar": "scalar",
}


def _patch_shuffle(x: torch.Tensor, k: int = 4) -> torch.Tensor:
    """Cut each image into k×k patches and put them back in a fixed random order (a face no more)."""
    n, c, h, w = x.shape
    s = h // k
    p = x.unfold(2, s, s).unfold(3, s, s).reshape(n, c, k * k, s, s)
    p = p[:, :, torch.randperm(k * k, generator=torch.Generator().manual_seed(0))]
    return p.reshape(n, c, k, k, s, s).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


@pytest.fixture(scope="module")
def orl_m11(orl_crops) -> torch.Tensor:
    return to_range(load_dataset("folder", orl_crops, 64, 1).images, (-1.0, 1.0))


def test_face_features_separate_real_from_degraded(orl_m11):
    """Two halves of real crops are close in O-Net space; blurred, noised and scrambled faces are far.

    With 20 crops a side the Fréchet distance is dominated by its small-sample bias (about 0.4 for two
    real halves), so KID, which is unbiased, carries the check; fd must still order them.
    """
    x = orl_m11[torch.randperm(len(orl_m11), generator=torch.Generator().manual_seed(0))]
    a, b = x[::2], x[1::2]  # 20 and 20 crops of the four subjects
    fa, pa = face_embed(a)
    assert fa.shape == (len(a), 256) and pa.min() > 0.9  # O-Net calls every real crop a face
    fb = face_embed(b)[0]
    real_fd, real_kid = frechet_distance(fa, fb), kernel_distance(fa, fb)
    assert real_kid < 0.1
    noise = torch.randn(b.shape, generator=torch.Generator().manual_seed(1))
    degraded = {
        "blurred": TF.gaussian_blur(b, 13, 2.0),
        "noised": (b + 0.1 * noise).clamp(-1, 1),
        "scrambled": _patch_shuffle(b),
    }
    for name, imgs in degraded.items():
        f = face_embed(imgs)[0]
        fd, kid = frechet_distance(fa, f), kernel_distance(fa, f)
        assert kid > real_kid + 0.25 and fd > real_fd, (
            f"{name}: kid {kid:.3f} fd {fd:.3f}; real halves {real_kid:.3f} {real_fd:.3f}"
        )
    scrambled_fd = frechet_distance(fa, face_embed(degraded["scrambled"])[0])
    assert scrambled_fd > 10 * real_fd
    assert face_embed(degraded["scrambled"])[1].mean() < 0.3  # scrambled faces are not faces to O-Net


def test_shipped_faces_run_ranks_its_snapshots(orl_crops):
    recs = evaluate_run(CHECKPOINTS / "faces-orl", data_dir=str(orl_crops), samples=200, write=False)
    assert len(recs) == len(runs.list_snapshots(CHECKPOINTS / "faces-orl"))
    for r in recs:
        for k in ("fd", "kid", "precision", "recall", "face_prob"):
            assert math.isfinite(r[k]), (r["step"], k)
        assert r["real_samples"] == 40 and r["feature_space"] == "mtcnn-onet-256"
    first, last = recs[0], recs[-1]
    assert last["fd"] < first["fd"] / 3  # step 120 draws blobs, step 3600 faces
    assert first["face_prob"] < 0.5 < 0.9 < last["face_prob"]
    assert last["precision"] > first["precision"]


def test_toy_metrics_on_real_and_wrong_samples():
    """Real toy data scores (near) perfectly; collapsed or wrong samples do not."""
    real = {n: make_toy(n, 2000, seed=3)[0] for n in ("ring-8", "pattern-1010", "sine", "quadratic", "scalar")}
    assert toy_scores(real["ring-8"], "ring-8") == pytest.approx({"ring_modes": 8.0, "ring_quality": 1.0}, abs=0.02)
    pattern = toy_scores(real["pattern-1010"], "pattern-1010")
    assert pattern["pattern_error"] == pytest.approx(0.1, abs=0.01) and pattern["pattern_w1"] < 0.01
    exact = toy_scores(torch.tensor([[1.0, 0.0, 1.0, 0.0]]).repeat(100, 1), "pattern-1010")
    assert exact["pattern_error"] == 0 and exact["pattern_w1"] == pytest.approx(0.1, abs=1e-6)  # no spread: not real
    sine = toy_scores(real["sine"], "sine")
    assert sine["sine_fit_error"] < 0.01 and sine["sine_corr"] > 0.999 and sine["sine_coverage"] > 0.99
    collapsed = toy_scores(real["sine"][:1].repeat(2000, 1), "sine")
    assert collapsed["sine_fit_error"] < 0.01 and collapsed["sine_coverage"] < 0.05  # one perfect curve covers nothing
    assert toy_scores(torch.rand(2000, 64) * 2 - 1, "sine")["sine_corr"] < 0.5
    quad = toy_scores(real["quadratic"], "quadratic")
    assert quad["quadratic_error"] < 1e-6 and quad["quadratic_x_w1"] < 0.02
    assert toy_scores(torch.tensor([[0.2, 0.04]]).repeat(100, 1), "quadratic")["quadratic_x_w1"] > 0.2
    assert toy_scores(real["scalar"], "scalar")["scalar_w1"] < 0.01
    assert toy_scores(real["scalar"] + 0.5, "scalar")["scalar_w1"] == pytest.approx(0.5, abs=0.01)


def test_shipped_toy_runs_evaluate():
    recs = {name: evaluate_run(CHECKPOINTS / name, samples=1000, write=False) for name in TOY_RUNS}
    for name, rs in recs.items():
        assert rs and all(math.isfinite(v) for r in rs for k, v in r.items() if isinstance(v, float)), name
    last = {name: rs[-1] for name, rs in recs.items()}
    assert last["ring-8"]["ring_modes"] >= 6 and last["ring-8"]["ring_quality"] > 0.3
    assert last["pattern-1010"]["pattern_error"] < 0.1 < recs["pattern-1010"][0]["pattern_error"]
    assert last["sine"]["sine_corr"] > 0.9 > recs["sine"][0]["sine_corr"]
    assert last["quadratic-1d"]["quadratic_error"] < 0.05
    # the one-parameter GAN: outputs q·U(0.9, 1.1), so their distance from U(0.9, 1.1) is |q − 1|
    for r, (path, _) in zip(recs["toy-scalar"], runs.list_snapshots(CHECKPOINTS / "toy-scalar"), strict=True):
        q = float(load_generator(path)[0].q)
        assert r["scalar_w1"] == pytest.approx(abs(q - 1), abs=0.02)


@pytest.mark.parametrize("name", [*TOY_RUNS, "faces-orl"])
def test_cli_evaluates_every_kind(name, orl_crops, tmp_path, capsys):
    run = tmp_path / name
    shutil.copytree(CHECKPOINTS / name, run)  # the CLI appends to the run's metrics.jsonl
    before = len(runs.read_metrics(run))
    args = [str(run), "--samples", "100"] + (["--data-dir", str(orl_crops)] if name == "faces-orl" else [])
    assert main(args) == 0
    out = capsys.readouterr().out
    wanted = "fd" if name == "faces-orl" else next(iter(toy_scores(make_toy(TOY_RUNS[name], 4)[0], TOY_RUNS[name])))
    assert wanted in out
    added = runs.read_metrics(run)[before:]
    assert len(added) == len(runs.list_snapshots(run)) and all(r["source"] == "evaluate" for r in added)


def test_cli_faces_without_crops_says_how_to_make_them(tmp_path, capsys):
    run = tmp_path / "faces-orl"
    shutil.copytree(CHECKPOINTS / "faces-orl", run)
    cfg = json.loads((run / "config.json").read_text())
    cfg["train"]["data_dir"] = str(tmp_path / "no-crops-here")  # where the run says its crops were: gone
    (run / "config.json").write_text(json.dumps(cfg))
    assert main([str(run), "--samples", "10"]) == 1
    err = capsys.readouterr().err
    assert "--data-dir" in err and "ganscope-crop-faces" in err and "Traceback" not in err
