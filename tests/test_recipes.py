"""The training recipes' parts on real MNIST: EMA, DiffAugment, hinge, spectral norm, R1, and the loop
around them (resume with EMA on, the reference numbers of the loop before these switches existed)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from safetensors.torch import load_file

from models import build_generator, load_generator
from pipelines import runs
from pipelines.augment import OPS, diff_augment, parse_policy
from pipelines.ema import ema_beta
from pipelines.loss import GANLoss
from pipelines.presets import get_preset
from pipelines.train import main, train
from tests.test_train import _tiny_cfg

AUG = "translation,cutout,color"


_tiny = _tiny_cfg  # the tiny 28x28 DCGAN config of the training tests


@pytest.fixture(scope="module")
def digits(mnist_small):
    """256 real digits: 8 steps per epoch at batch 32."""
    return dataclasses.replace(mnist_small, images=mnist_small.images[:256], labels=mnist_small.labels[:256])


def test_ema_matches_a_hand_computation(tmp_path, digits):
    cfg = _tiny(ema_kimg=0.1, ema_rampup=0.5, max_steps=5)
    torch.manual_seed(cfg.seed)
    ema = {k: v.clone() for k, v in build_generator(cfg.model).state_dict().items()}  # the weights at step 0
    live_after = []

    def keep_live_weights(info):  # a copy: state_dict() values alias the weights the next step changes
        live_after.append({k: v.clone() for k, v in info.G.state_dict().items()})

    train(cfg, tmp_path / "r", data=digits, progress=False, callbacks=[keep_live_weights])

    for step, live in enumerate(live_after):
        beta = ema_beta(step * cfg.batch_size, cfg.batch_size, cfg.ema_kimg, cfg.ema_rampup)
        for k, v in live.items():
            ema[k] = v.clone() if not v.is_floating_point() or "running" in k else v + beta * (ema[k] - v)
    assert ema_beta(0, 32, 0.1, 0.5) == 0.0  # the ramp-up starts from a copy of the live weights
    assert 0.5 < ema_beta(4 * 32, 32, 0.1, 0.5) < 0.9

    state = torch.load(tmp_path / "r" / runs.STATE, weights_only=True)
    for k, v in state["G_ema"].items():
        torch.testing.assert_close(v, ema[k], rtol=1e-5, atol=1e-6)
    assert not torch.equal(state["G_ema"]["net.0.weight"], state["G"]["net.0.weight"])
    # the snapshot people explore is the averaged generator
    snap = load_file(str(runs.list_snapshots(tmp_path / "r")[-1][0]))
    torch.testing.assert_close(snap["net.0.weight"].float(), state["G_ema"]["net.0.weight"], rtol=1e-2, atol=1e-3)


class _Crash(Exception):
    pass


def _crash_at(step):
    def cb(info):
        if info.step == step:
            raise _Crash

    return cb


@pytest.mark.parametrize("switches", [dict(ema_kimg=0.2, augment=AUG), dict(loss="hinge", spectral_norm=True, r1_gamma=0.5)])
def test_resume_is_bit_exact_with_the_new_switches(tmp_path, digits, switches):
    cfg = _tiny(**switches)
    train(cfg, tmp_path / "straight", data=digits, progress=False)
    with pytest.raises(_Crash):
        train(cfg, tmp_path / "crashed", data=digits, progress=False, callbacks=[_crash_at(7)])
    train(cfg, tmp_path / "crashed", resume=True, data=digits, progress=False)
    a = torch.load(tmp_path / "straight" / runs.STATE, weights_only=True)
    b = torch.load(tmp_path / "crashed" / runs.STATE, weights_only=True)
    for part in ("G", "D", "G_ema") if "ema_kimg" in switches else ("G", "D"):
        assert a[part].keys() == b[part].keys()
        assert all(torch.equal(a[part][k], b[part][k]) for k in a[part]), part
    strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs]  # noqa: E731
    assert strip(runs.read_log(tmp_path / "straight")) == strip(runs.read_log(tmp_path / "crashed"))


def test_default_loop_gives_the_numbers_it_gave_before_the_switches(tmp_path, mnist_small):
    """With every new switch off, a run is the run the loop made before they existed (reference sums
    recorded with commit 87a6c78 on this machine type; the tolerance allows other CPUs' rounding, not a
    change in what is drawn or computed)."""
    data = dataclasses.replace(mnist_small, images=mnist_small.images[:256], labels=mnist_small.labels[:256])
    reference = {
        "mnist-mlp": [-11.86260662436871, 0.8546366427908652, 200.07334274053574],
        "mnist-cgan": [5.954076189383159, 0.560084834927693, 200.06507617235184],
    }
    for preset, sums in reference.items():
        cfg = get_preset(preset).replace(max_steps=4, batch_size=32, label_flip=0.1, eval_samples=16)
        cfg = cfg.replace(r1_gamma=0.0, ema_kimg=0.0, augment="", spectral_norm=False)  # every switch off
        train(cfg, tmp_path / preset, device="cpu", progress=False, data=data)
        state = torch.load(tmp_path / preset / runs.STATE, weights_only=True)
        got = [float(v.double().sum()) for v in state["G"].values() if v.is_floating_point()][:3]
        assert got == pytest.approx(sums, rel=1e-4, abs=1e-4), preset


@pytest.mark.parametrize("name", list(OPS))
def test_each_augmentation_is_differentiable_and_changes_the_batch(name, mnist_small):
    x = (mnist_small.images[:16].float() / 127.5 - 1).requires_grad_(True)
    gen = torch.Generator().manual_seed(0)
    y = diff_augment(x, (name,), gen)
    assert y.shape == x.shape and not torch.equal(y, x)
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # the generator's gradient flows back through it
    assert diff_augment(x, ()) is x  # no policy: the very same tensor


def test_augmentation_reaches_every_batch_the_discriminator_sees(tmp_path, digits, monkeypatch):
    """Cutout zeroes a 14x14 square (clipped at the border: at least 7x7) in every image D sees: the
    real batch and the fake batch of D's update, and the fakes of G's update."""
    import pipelines.step as step_module

    seen = []
    augment = step_module.diff_augment

    def recording(x, policy, gen=None):  # the real augmentation, with what it returns kept
        out = augment(x, policy, gen)
        seen.append(out.detach().clone())
        return out

    monkeypatch.setattr(step_module, "diff_augment", recording)
    train(_tiny(augment="cutout", max_steps=1), tmp_path / "r", data=digits, progress=False)
    assert len(seen) == 3  # real and fake for D, fake for G
    for batch in seen:
        assert ((batch == 0).flatten(1).sum(1) >= 49).all()
    assert (to_m11(digits.images[:32]) == 0).sum() == 0  # real digits have no exact zeros of their own


def to_m11(images):
    return images.float() / 127.5 - 1


def test_policy_names_are_checked():
    assert parse_policy(" translation , color ") == ("translation", "color")
    with pytest.raises(ValueError, match="unknown augmentation flip"):
        parse_policy("translation,flip")
    with pytest.raises(ValueError, match="unknown augmentation"):
        _tiny(augment="blur")


def test_hinge_and_r1_losses_by_hand():
    cfg = _tiny(loss="hinge", r1_gamma=4.0)
    loss = GANLoss(cfg)
    logits = torch.tensor([2.0, 0.5, -3.0])
    assert loss.d_real(logits, None).item() == pytest.approx((0 + 0.5 + 4) / 3)
    assert loss.d_fake(logits, None).item() == pytest.approx((3 + 1.5 + 0) / 3)
    assert loss.g(logits).item() == pytest.approx(-(2 + 0.5 - 3) / 3)
    w = torch.tensor([1.0, -2.0, 2.0])
    x = torch.randn(5, 3, requires_grad=True)
    penalty = loss.r1(x @ w, x)  # D(x) = w.x has gradient w everywhere: (4/2) * |w|^2 = 18
    assert penalty.item() == pytest.approx(18.0)
    with pytest.raises(ValueError, match="hinge"):
        _tiny(loss="hinge", real_label=0.9)


def test_spectral_norm_hinge_and_r1_train_and_load(tmp_path, digits):
    cfg = _tiny(loss="hinge", spectral_norm=True, r1_gamma=1.0, max_steps=3)
    train(cfg, tmp_path / "r", data=digits, progress=False)
    state = torch.load(tmp_path / "r" / runs.STATE, weights_only=True)
    assert any("parametrizations" in k for k in state["D"])  # D's layers are spectrally normalised
    G, _ = load_generator(runs.list_snapshots(tmp_path / "r")[-1][0])
    assert torch.isfinite(G(torch.randn(4, 100))).all()
    assert all(r["d_loss_real"] >= 0 for r in runs.read_log(tmp_path / "r"))  # hinge losses are never negative


def test_resume_past_the_limit_says_how_to_extend(tmp_path, mnist_dir, capsys):
    out = tmp_path / "r"
    args = ["--preset", "mnist-mlp", "--data-dir", str(mnist_dir), "--limit", "256", "--batch-size", "32"]
    assert main([*args, "--max-steps", "2", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    config = (out / runs.CONFIG).read_bytes()
    assert main(["--out", str(out), "--resume", "--no-progress"]) == 0  # finished: said, and not a failure (#22)
    said = capsys.readouterr().out
    assert "already finished: step 2 of 2" in said and "--resume --max-steps 4" in said
    assert "run written" not in said
    assert main(["--out", str(out), "--resume", "--max-steps", "1", "--no-progress"]) == 0  # a lower limit: nothing to do
    assert (out / runs.CONFIG).read_bytes() == config  # and the refusals left the run's config as it was
    assert main(["--out", str(out), "--resume", "--max-steps", "3", "--no-progress"]) == 0  # and extending works
    assert runs.read_log(out)[-1]["step"] == 3


def test_toy_progress_bar_counts_steps_not_a_million_epochs(tmp_path, capsys):
    assert main(["--preset", "toy-scalar", "--max-steps", "40", "--out", str(tmp_path / "t")]) == 0
    err = capsys.readouterr().err
    assert "step 40/40" in err and "epoch 1/1000000" not in err


def test_switching_spectral_norm_on_when_resuming_is_refused_with_a_sentence(tmp_path, digits, mnist_dir, capsys):
    import json

    cfg = _tiny(max_steps=3)
    train(cfg, tmp_path / "r", data=digits, progress=False)
    config = json.loads((tmp_path / "r" / runs.CONFIG).read_text())
    config["train"]["spectral_norm"] = True  # what a user might try on a finished run
    (tmp_path / "r" / runs.CONFIG).write_text(json.dumps(config))
    args = ["--out", str(tmp_path / "r"), "--resume", "--max-steps", "5", "--data-dir", str(mnist_dir), "--limit", "256"]
    assert main([*args, "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "does not fit its config.json" in err and "spectral_norm cannot change when resuming" in err
    assert "Traceback" not in err
