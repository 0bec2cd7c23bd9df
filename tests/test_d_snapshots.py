"""Discriminator snapshots: save -> load gives the same scores, spectral norm folds into a plain D,
the trainer keeps D beside every G snapshot (unless keep_d is off), and G and D files are never confused."""

import dataclasses

import pytest
import torch

from models import (
    CheckpointError,
    DCGANConfig,
    MLPConfig,
    build_discriminator,
    load_discriminator,
    load_generator,
    save_discriminator,
    save_generator,
)
from models.spec import OutputSpec
from pipelines import runs
from pipelines.build import _spectral_norm
from pipelines.train import train
from pipelines.train_config import TrainConfig


def _x(n=8):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_save_load_gives_the_same_scores(tmp_path):
    torch.manual_seed(0)
    cfg = DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8)
    D = build_discriminator(cfg).eval()
    path = save_discriminator(tmp_path / "d.safetensors", D, cfg, {"step": 5})
    D2, cfg2 = load_discriminator(path)
    assert cfg2 == cfg and not D2.training
    assert not any(p.requires_grad for p in D2.parameters())
    with torch.no_grad():
        assert torch.allclose(D(_x()), D2(_x()), atol=2e-2, rtol=1e-2)  # fp16 storage


def test_spectral_norm_discriminator_loads_into_a_plain_one(tmp_path):
    torch.manual_seed(0)
    points = OutputSpec("points", (2,), (-2.5, 2.5))
    cfg = MLPConfig(output=points, z_dim=4, g_hidden=(16,), d_hidden=(16, 16), out_activation="none")
    D = _spectral_norm(build_discriminator(cfg))
    x = torch.randn(64, 2)
    for _ in range(5):  # a few training-mode passes move the power-iteration vectors
        D(x)
    before = {k: v.clone() for k, v in D.state_dict().items()}
    rng = torch.get_rng_state()
    path = save_discriminator(tmp_path / "d.safetensors", D, cfg)
    assert all(torch.equal(before[k], v) for k, v in D.state_dict().items())  # the live D is untouched
    assert torch.equal(rng, torch.get_rng_state()) and D.training
    D2, _ = load_discriminator(path)
    assert type(D2) is type(build_discriminator(cfg))  # a plain D: no parametrisations
    with torch.no_grad():
        want = D.eval()(x)
        assert torch.allclose(want, D2(x), atol=1e-2, rtol=1e-2)


def test_generator_and_discriminator_files_are_not_confused(tmp_path):
    torch.manual_seed(0)
    cfg = DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8)
    from models import build_generator

    g = save_generator(tmp_path / "g.safetensors", build_generator(cfg), cfg)
    d = save_discriminator(tmp_path / "d.safetensors", build_discriminator(cfg), cfg)
    with pytest.raises(CheckpointError, match="is a generator snapshot, not a discriminator"):
        load_discriminator(g)
    with pytest.raises(CheckpointError, match="is a discriminator, not a generator snapshot"):
        load_generator(d)
    with pytest.raises(CheckpointError, match="no such file"):
        load_discriminator(tmp_path / "missing.safetensors")


def test_trainer_keeps_d_beside_every_snapshot(tmp_path, mnist_small):
    data = dataclasses.replace(mnist_small, images=mnist_small.images[:128], labels=mnist_small.labels[:128])
    cfg = TrainConfig(
        preset="tiny",
        model=DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8),
        epochs=1,
        batch_size=32,
        snapshot_every=2,
        eval_samples=16,
        spectral_norm=True,
    )
    out = train(cfg, tmp_path / "run", data=data, progress=False)
    steps = [m["step"] for _, m in runs.list_snapshots(out)]
    assert steps == [2, 4]
    for step in steps:
        path = runs.find_discriminator(out, step)
        assert path == runs.discriminator_path(out, step) and path.is_file()
        D, mcfg = load_discriminator(path)
        assert mcfg == cfg.model
        assert D(_x(3)).shape[0] == 3
    assert runs.find_discriminator(out, 3) is None
    # the last D is the resume state's D, spectral norm folded in
    state = runs.load_state(out)
    live = _spectral_norm(build_discriminator(cfg.model))
    live.load_state_dict(state["D"])
    with torch.no_grad():
        assert torch.allclose(live.eval()(_x()), load_discriminator(runs.find_discriminator(out, 4))[0](_x()), atol=2e-2)

    off = train(cfg.replace(keep_d=False), tmp_path / "off", data=data, progress=False)
    assert not (off / runs.DISCRIMINATORS).exists()


def test_ship_keeps_the_discriminators_asked_for(tmp_path, mnist_small):
    from pipelines.ship import ship

    data = dataclasses.replace(mnist_small, images=mnist_small.images[:128], labels=mnist_small.labels[:128])
    cfg = TrainConfig(
        preset="tiny", model=DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8), epochs=1, batch_size=32, snapshot_every=1
    )
    run = train(cfg.replace(eval_samples=16), tmp_path / "run", data=data, progress=False)
    kept = lambda dest: sorted(p.name for p in (dest / runs.DISCRIMINATORS).glob("*"))  # noqa: E731
    chosen = ship(run, tmp_path / "all", keep=2)
    assert [p.name for p in chosen] == ["step-0000001.safetensors", "step-0000004.safetensors"]
    assert kept(tmp_path / "all") == [p.name for p in chosen]
    ship(run, tmp_path / "last", keep=2, keep_d="last")
    assert kept(tmp_path / "last") == ["step-0000004.safetensors"]
    ship(run, tmp_path / "none", keep=2, keep_d="none")
    assert not (tmp_path / "none" / runs.DISCRIMINATORS).exists()
    assert not list((tmp_path / "all").rglob("*.pt"))  # never a resume state
